"""Delete finished outbox rows older than a number of days (the retention job, by hand or cron)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from notifications.retention import purge_finished, retention_days


class Command(BaseCommand):
    help = (
        "Delete sent, failed, cancelled and suppressed outbox rows (with their attempt "
        "logs) last changed more than --older-than days ago (default: RETENTION_DAYS), "
        "and provider events as old that no suppression names. Queued, held and sending "
        "rows are never deleted. Deletes in batches, each in its own transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=int, default=None, metavar="DAYS")
        parser.add_argument("--batch-size", type=int, default=None, metavar="ROWS")

    def handle(
        self, *args: Any, older_than: int | None, batch_size: int | None, **options: Any
    ) -> None:
        days = older_than if older_than is not None else retention_days()
        if days is None:
            raise CommandError(
                "RETENTION_DAYS is off (0 or None): say how old with --older-than DAYS."
            )
        if days < 0 or (batch_size is not None and batch_size < 1):
            raise CommandError("--older-than must be 0 or more, --batch-size 1 or more.")
        purged = purge_finished(older_than=timedelta(days=days), batch_size=batch_size)
        self.stdout.write(
            f"Deleted {purged.notifications} rows older than {days} days with their "
            f"{purged.attempts} attempts, and {purged.events} provider events."
        )
