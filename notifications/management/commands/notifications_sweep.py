"""Run the periodic sweep once (for cron, where django-q2's scheduler does not run it)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from notifications.tasks import sweep


class Command(BaseCommand):
    help = (
        "Take back rows of workers that died, wake a worker for due rows and record the "
        "heartbeat. django-q2 runs this every minute by itself; with "
        'NOTIFICATIONS["JOB_BACKEND"] = "django_tasks", run it every minute from cron.'
    )

    def handle(self, *args: Any, **options: Any) -> None:
        due = sweep()
        self.stdout.write(f"Sweep done: {due} due row(s) found.")
