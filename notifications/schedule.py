"""The framework's django-q2 Schedules, kept in step with the settings:
the periodic sweep and the daily digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured

SWEEP_SCHEDULE_NAME = "notifications.sweep"
SWEEP_FUNC = "notifications.tasks.sweep"
DIGEST_SCHEDULE_NAME = "notifications.daily_digest"
DIGEST_FUNC = "notifications.digest.send_daily_digests"


def sweep_schedule_ensure(**kwargs: Any) -> None:
    """Create or update the sweep's Schedule, and the daily digest's
    (idempotent; runs after migrate)."""
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
    digest_schedule_ensure()


def digest_hour() -> int:
    """NOTIFICATIONS["DIGEST_HOUR"], checked: an hour of the day, UTC."""
    from .conf import conf

    hour = conf.DIGEST_HOUR
    if not isinstance(hour, int) or isinstance(hour, bool) or not 0 <= hour <= 23:
        raise ImproperlyConfigured(
            f'NOTIFICATIONS["DIGEST_HOUR"] must be an hour from 0 to 23, not {hour!r}'
        )
    return hour


def next_digest_run(*, hour: int, now: datetime | None = None) -> datetime:
    """The next `hour`:00 UTC strictly after `now`."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    run = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return run if run > now else run + timedelta(days=1)


def digest_schedule_ensure() -> None:
    """Create the daily digest's Schedule, or move it to DIGEST_HOUR.

    A schedule already at the right hour keeps its next run, so running this
    (every migrate) never skips or repeats a day's digest.
    """
    from django_q.models import Schedule

    hour = digest_hour()
    schedule = Schedule.objects.filter(name=DIGEST_SCHEDULE_NAME).first()
    if schedule is None:
        Schedule.objects.create(
            name=DIGEST_SCHEDULE_NAME,
            func=DIGEST_FUNC,
            schedule_type=Schedule.DAILY,
            repeats=-1,
            next_run=next_digest_run(hour=hour),
        )
        return
    next_run = schedule.next_run.astimezone(UTC) if schedule.next_run else None
    if (
        schedule.func != DIGEST_FUNC
        or schedule.schedule_type != Schedule.DAILY
        or schedule.repeats != -1
        or next_run is None
        or (next_run.hour, next_run.minute) != (hour, 0)
    ):
        schedule.func = DIGEST_FUNC
        schedule.schedule_type = Schedule.DAILY
        schedule.repeats = -1
        schedule.next_run = next_digest_run(hour=hour)
        schedule.save()
