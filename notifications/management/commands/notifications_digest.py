"""Write today's daily digests (for cron, where django-q2's scheduler does not run it)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from notifications.tasks import send_daily_digests


class Command(BaseCommand):
    help = (
        "Fold the held notifications of each person whose DIGEST_HOUR it is, in their "
        "own time zone, into one digest email. Safe to run often: each person gets one "
        "digest per day. django-q2 runs it every DIGEST_CHECK_MINUTES by itself; with "
        'NOTIFICATIONS["JOB_BACKEND"] = "django_tasks", run it from cron as often.'
    )

    def handle(self, *args: Any, **options: Any) -> None:
        written = send_daily_digests()
        self.stdout.write(f"Wrote {written} daily digest(s).")
