"""When a notification email may go out, in the recipient's own time.

Quiet hours (a daily span in the recipient's time zone) defer notification
email to the end of the span; transactional mail never waits. An email whose
recipient wants it "only if I haven't seen it in the app" waits UNSEEN_DELAY
for them to read the in-app item. The daily digest goes out at DIGEST_HOUR of
the recipient's own day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from . import transitions
from .conf import conf
from .models import QuietHours
from .recipients import recipient_timezone


def quiet_hours_of(*, user_id: int) -> QuietHours | None:
    return QuietHours.objects.filter(user_id=user_id).first()


def quiet_hours_set(*, user: Any, start: time | None, end: time | None) -> QuietHours | None:
    """Set `user`'s quiet hours; no start or end (or the same time twice) clears them."""
    if start is None or end is None or start == end:
        QuietHours.objects.filter(user=user).delete()
        return None
    quiet, _ = QuietHours.objects.update_or_create(user=user, defaults={"start": start, "end": end})
    return quiet


def quiet_until(*, quiet: QuietHours, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The end of the quiet span `now` falls in, or None when `now` is not quiet."""
    local = now.astimezone(zone)
    moment, start, end = local.time(), quiet.start, quiet.end
    if start == end:
        return None
    if start < end:
        inside, end_day = start <= moment < end, local.date()
    else:  # spans midnight, e.g. 22:00-07:00
        inside = moment >= start or moment < end
        end_day = local.date() + timedelta(days=1 if moment >= start else 0)
    if not inside:
        return None
    return datetime.combine(end_day, end, tzinfo=zone)


def recipient_quiet_until(*, recipient: Any, now: datetime) -> datetime | None:
    """When the recipient's quiet hours end, if they are in them at `now`."""
    quiet = quiet_hours_of(user_id=recipient.pk)
    if quiet is None:
        return None
    return quiet_until(quiet=quiet, zone=recipient_timezone(recipient), now=now)


def email_wait(
    *, recipient: Any, now: datetime, waits_to_be_seen: bool, quiet_hours: QuietHours | None
) -> tuple[datetime, str]:
    """When a new notification email to `recipient` may go out, at the earliest,
    and why it waits until then ("" when it may go at once). `quiet_hours` are
    the recipient's (read by the caller with their preferences)."""
    due, reason = now, ""
    if waits_to_be_seen:
        due = now + timedelta(seconds=conf.UNSEEN_DELAY)
        reason = transitions.REASON_WAITING_TO_BE_SEEN
    quiet_end = None
    if quiet_hours is not None:
        quiet_end = quiet_until(quiet=quiet_hours, zone=recipient_timezone(recipient), now=due)
    if quiet_end is not None:
        return quiet_end, transitions.reason_quiet_hours(quiet_end)
    return due, reason


def next_digest_at(*, recipient: Any, now: datetime) -> datetime | None:
    """When the daily digest that folds in what is held for `recipient` now
    goes out, or None when DIGEST_HOUR is None (the project schedules it).

    Within the recipient's digest hour that is the hour's start (the job runs
    several times an hour): the row goes with one of the hour's runs.
    """
    if conf.DIGEST_HOUR is None:
        return None
    zone = recipient_timezone(recipient)
    local = now.astimezone(zone)
    day = local.date() if local.hour <= conf.DIGEST_HOUR else local.date() + timedelta(days=1)
    return datetime.combine(day, time(conf.DIGEST_HOUR), tzinfo=zone)


def digest_day(*, user: Any, now: datetime) -> date | None:
    """The recipient's own date while it is their digest hour, else None.

    The digest job runs several times an hour, so a run falls in everyone's
    hour; what is held after it waits for the next day's. With DIGEST_HOUR
    None every run writes the digests (a project that schedules the job
    itself), still one per person and day.
    """
    local = now.astimezone(recipient_timezone(user))
    if conf.DIGEST_HOUR is None or local.hour == conf.DIGEST_HOUR:
        return local.date()
    return None
