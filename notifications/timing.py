"""When a notification email may go out, in the recipient's own time.

Quiet hours (a daily span in the recipient's time zone) defer notification
email to the end of the span; transactional mail never waits. An email whose
recipient wants it "only if I haven't seen it in the app" waits UNSEEN_DELAY
for them to read the in-app item. The daily digest goes out at DIGEST_HOUR of
the recipient's own day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
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


def wall_clock_reaches(
    *, day: date, wall: time, zone: ZoneInfo, after: datetime | None = None
) -> datetime:
    """The instant the clock in `zone` reaches `wall` on `day`.

    Clock changes make that more than a combine(): a time the clocks skip
    (02:30 when they go from 02:00 to 03:00) is reached when they jump past
    it, and a time they show twice (01:30 when they go back from 02:00 to
    01:00) is reached twice: the first time after `after` counts, when given.
    """
    naive = datetime.combine(day, wall)
    earlier, later = (naive.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))
    if earlier.astimezone(zone).replace(tzinfo=None) != naive:
        # Skipped: fold 1 reads it with the offset after the jump (an instant
        # before it), fold 0 with the offset before (an instant after it).
        low, high = int(later.timestamp()), int(earlier.timestamp())
        while high - low > 1:  # the first second whose wall time is at or past it
            middle = (low + high) // 2
            shown = datetime.fromtimestamp(middle, zone).replace(tzinfo=None)
            low, high = (low, middle) if shown >= naive else (middle, high)
        return datetime.fromtimestamp(high, zone)
    for instant in sorted({earlier, later}):
        if after is None or instant > after:
            return instant.astimezone(zone)
    return later.astimezone(zone)


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
    return wall_clock_reaches(day=end_day, wall=end, zone=zone, after=now)


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
    today = now.astimezone(zone).date()
    start = _digest_hour_start(day=today, zone=zone)
    if now >= start + DIGEST_WINDOW:
        start = _digest_hour_start(day=today + timedelta(days=1), zone=zone)
    return start


# The digest hour is an hour of real time from the moment the recipient's
# clock reaches DIGEST_HOUR, so a day whose clocks skip or repeat it has one.
DIGEST_WINDOW = timedelta(hours=1)


def _digest_hour_start(*, day: date, zone: ZoneInfo) -> datetime:
    return wall_clock_reaches(day=day, wall=time(conf.DIGEST_HOUR), zone=zone)


def digest_day(*, user: Any, now: datetime) -> date | None:
    """The recipient's own date while it is their digest hour, else None.

    The digest job runs several times an hour, so a run falls in everyone's
    hour; what is held after it waits for the next day's. The hour is real
    time: on the day the clocks skip DIGEST_HOUR it starts when they jump
    past it, and on the day they show it twice only its first pass counts.
    With DIGEST_HOUR None every run writes the digests (a project that
    schedules the job itself), still one per person and day.
    """
    zone = recipient_timezone(user)
    today = now.astimezone(zone).date()
    if conf.DIGEST_HOUR is None:
        return today
    for day in (today, today - timedelta(days=1)):  # an hour begun before midnight
        start = _digest_hour_start(day=day, zone=zone)
        if start <= now < start + DIGEST_WINDOW:
            return day
    return None
