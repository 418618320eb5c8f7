"""Delete finished outbox rows older than a number of days (for cron)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from notifications.actions import notifications_purge


class Command(BaseCommand):
    help = (
        "Delete sent, failed, cancelled and suppressed outbox rows (with their attempt "
        "logs) last changed more than --older-than days ago. Queued, held and sending "
        "rows are never deleted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=int, default=90, metavar="DAYS")

    def handle(self, *args: Any, older_than: int, **options: Any) -> None:
        deleted = notifications_purge(older_than=timedelta(days=older_than))
        self.stdout.write(f"Deleted {deleted} rows (rows and their attempt logs).")
