"""The periodic sweep's django-q2 Schedule, kept in step with the settings."""

from __future__ import annotations

from typing import Any

SWEEP_SCHEDULE_NAME = "notifications.sweep"
SWEEP_FUNC = "notifications.tasks.sweep"


def sweep_schedule_ensure(**kwargs: Any) -> None:
    """Create or update the sweep's Schedule (idempotent; runs after migrate)."""
    from django_q.models import Schedule

    from .conf import conf

    minutes = max(1, round(conf.SWEEP_INTERVAL / 60))
    Schedule.objects.update_or_create(
        name=SWEEP_SCHEDULE_NAME,
        defaults={
            "func": SWEEP_FUNC,
            "schedule_type": Schedule.MINUTES,
            "minutes": minutes,
            "repeats": -1,
        },
    )
