"""Queue failed rows for another try, e.g. after a provider outage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notification_retry_now


class Command(BaseCommand):
    help = (
        "Retry every row that failed within the last --hours hours (attempts start "
        "over); the workers send them at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=int, default=24)

    def handle(self, *args: Any, hours: int, **options: Any) -> None:
        since = timezone.now() - timedelta(hours=hours)
        failed = Notification.objects.filter(
            status=Notification.Status.FAILED, updated_at__gte=since
        ).only("pk", "status")
        retried = sum(notification_retry_now(notification=row) for row in list(failed))
        self.stdout.write(f"Queued {retried} failed rows for another try.")
