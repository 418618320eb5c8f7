"""Queue failed rows for another try, e.g. after a provider outage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from notifications.actions import notifications_retry_failed


class Command(BaseCommand):
    help = (
        "Retry every row that failed within the last --hours hours (attempts start "
        "over); the workers send them at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=int, default=24)

    def handle(self, *args: Any, hours: int, **options: Any) -> None:
        retried = notifications_retry_failed(since=timedelta(hours=hours))
        self.stdout.write(f"Queued {retried} failed rows for another try.")
