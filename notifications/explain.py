"""What staff read about an outbox row: its type's name, and why it waits and until when.

A row that is not sent at once is not stuck: it waits for something, and the
outbox says what. The reason is read from the row's own state (status,
attempts, due time) and the reason text stored when it began to wait
(``transitions``); the wording comes from its type ("Waiting for more new
followers until 20:05"), in the staff member's language and time zone.

    held    DIGEST        the recipient gets the category by digest
            HOURLY_LIMIT  the recipient reached the hourly ceiling
    queued  DUE           due: the next worker sends it
            COALESCING    more events may join it until the window ends
            UNSEEN        sent only if the recipient has not read it in the app by then
            QUIET_HOURS   the recipient's quiet hours
            RETRY         a temporary failure: the backoff before the next try
            SCHEDULED     the sender asked for a later time

The same causes are available as query filters (`waiting_filters`) for the
dashboard's counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import transitions
from .conf import conf
from .models import EMAIL_KIND, Notification
from .timing import next_digest_at
from .types import UnknownNotificationType, registry

Status = Notification.Status


class Cause(StrEnum):
    DIGEST = "digest"
    HOURLY_LIMIT = "hourly_limit"
    DUE = "due"
    COALESCING = "coalescing"
    UNSEEN = "unseen"
    QUIET_HOURS = "quiet_hours"
    RETRY = "retry"
    SCHEDULED = "scheduled"


@dataclass(frozen=True)
class RowWait:
    """Why a row is not sent yet, and when it is due (None: not known ahead)."""

    cause: Cause
    until: datetime | None
    text: str


# --- names --------------------------------------------------------------------


def kind_label(kind: str) -> str:
    """A row's kind as staff read it: its type's label, "System email" for mail
    given to Django's mail API, the key itself for a type no longer registered."""
    if kind == EMAIL_KIND:
        return _("System email")
    try:
        return registry.get(kind).get_label()
    except UnknownNotificationType:
        return kind


def category_label(key: str) -> str:
    for category in registry.categories():
        if category.key == key:
            return str(category.label)
    return key


def _gathers(kind: str) -> str:
    try:
        return registry.get(kind).get_gathers()
    except UnknownNotificationType:
        return _("events")


# --- times and durations --------------------------------------------------------


def moment_text(moment: datetime, *, now: datetime | None = None) -> str:
    """A moment in the active time zone, as short as is clear: "20:05" today,
    "tomorrow 08:00", else with the day ("December 3 08:00")."""
    now = timezone.localtime(now or timezone.now())
    local = timezone.localtime(moment)
    clock = date_format(local, "H:i")
    if local.date() == now.date():
        return clock
    if local.date() == now.date() + timedelta(days=1):
        return _("tomorrow %(time)s") % {"time": clock}
    if local.date() == now.date() - timedelta(days=1):
        return _("yesterday %(time)s") % {"time": clock}
    return f"{date_format(local, 'MONTH_DAY_FORMAT')} {clock}"


def duration_text(seconds: float) -> str:
    """A span of time with its unit: "45 seconds", "12 minutes", "3 hours"."""
    seconds = max(0, round(seconds))
    if seconds < 120:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = round(seconds / 60)
    if minutes < 120:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = round(seconds / 3600)
    if hours < 48:
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    days = round(seconds / 86400)
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


# --- why a row waits ------------------------------------------------------------------


def wait_cause(row: Notification, *, now: datetime) -> Cause | None:
    """Why `row` has not gone yet, or None when it is not waiting (sending or finished)."""
    reason = row.status_reason
    if row.status == Status.HELD:
        if reason.startswith(transitions.HELD_BY_LIMIT):
            return Cause.HOURLY_LIMIT
        return Cause.DIGEST
    if row.status != Status.QUEUED:
        return None
    if row.next_attempt_at <= now:
        return Cause.DUE
    # Only the quiet-hours deferral writes a reason on a row that was tried
    # before (a retry's is empty), so it is looked at first.
    if reason.startswith(transitions.WAITING_FOR_QUIET_HOURS):
        return Cause.QUIET_HOURS
    if row.attempts > 0:
        return Cause.RETRY
    if reason == transitions.REASON_WAITING_TO_BE_SEEN:
        return Cause.UNSEEN
    if reason == transitions.REASON_WAITING_TO_COALESCE or (not reason and row.group_key):
        return Cause.COALESCING
    return Cause.SCHEDULED


def waiting_filters(*, now: datetime) -> dict[Cause, Q]:
    """For each cause of a queued row that is not due yet, the rows it explains
    (the same answer as `wait_cause`, as queries)."""
    quiet = Q(status_reason__startswith=transitions.WAITING_FOR_QUIET_HOURS)
    fresh = Q(attempts=0) & ~quiet
    unseen = fresh & Q(status_reason=transitions.REASON_WAITING_TO_BE_SEEN)
    coalescing = fresh & (
        Q(status_reason=transitions.REASON_WAITING_TO_COALESCE)
        | (Q(status_reason="") & ~Q(group_key=""))
    )
    waiting = Q(status=Status.QUEUED, next_attempt_at__gt=now)
    return {
        Cause.COALESCING: waiting & coalescing,
        Cause.UNSEEN: waiting & unseen,
        Cause.QUIET_HOURS: waiting & quiet,
        Cause.RETRY: waiting & Q(attempts__gt=0) & ~quiet,
        Cause.SCHEDULED: waiting & fresh & ~unseen & ~coalescing,
    }


def held_filters() -> dict[Cause, Q]:
    """The held rows by cause."""
    limit = Q(status_reason__startswith=transitions.HELD_BY_LIMIT)
    return {
        Cause.DIGEST: Q(status=Status.HELD) & ~limit,
        Cause.HOURLY_LIMIT: Q(status=Status.HELD) & limit,
    }


def row_wait(row: Notification, *, now: datetime | None = None) -> RowWait | None:
    """Why `row` has not gone yet and until when, worded for staff; None when
    it is being sent or is finished.

    A held row reads its recipient's time zone (the digest goes out at their
    hour): select the recipient with the row when explaining many.
    """
    now = now or timezone.now()
    cause = wait_cause(row, now=now)
    if cause is None:
        return None
    until: datetime | None = row.next_attempt_at
    if cause in (Cause.DIGEST, Cause.HOURLY_LIMIT):
        until = next_digest_at(recipient=row.recipient, now=now)
    return RowWait(cause, until, _wording(row, cause, until, now))


def _wording(row: Notification, cause: Cause, until: datetime | None, now: datetime) -> str:
    time = moment_text(until, now=now) if until is not None else ""
    if cause == Cause.DUE:
        return _("Due since %(time)s: the next worker sends it") % {"time": time}
    if cause == Cause.COALESCING:
        return _("Waiting for more %(things)s until %(time)s") % {
            "things": _gathers(row.kind),
            "time": time,
        }
    if cause == Cause.UNSEEN:
        return _(
            "Waiting until %(time)s: sent only if the recipient has not read it in the app by then"
        ) % {"time": time}
    if cause == Cause.QUIET_HOURS:
        return _("Waiting for the recipient's quiet hours to end at %(time)s") % {"time": time}
    if cause == Cause.RETRY:
        return _("Retrying at %(time)s after a temporary failure (try %(next)d of %(most)d)") % {
            "time": time,
            "next": row.attempts + 1,
            "most": conf.MAX_ATTEMPTS,
        }
    if cause == Cause.SCHEDULED:
        return _("Scheduled for %(time)s") % {"time": time}
    category = category_label(row.category)
    if cause == Cause.HOURLY_LIMIT:
        stored = re.search(r"\d+", row.status_reason)  # the limit when it was held
        limit = int(stored.group()) if stored else conf.HOURLY_LIMIT
        if until is None:
            text = ngettext(
                "Held for the next daily digest: the recipient reached the limit of "
                "%(limit)d email an hour",
                "Held for the next daily digest: the recipient reached the limit of "
                "%(limit)d emails an hour",
                limit,
            )
        else:
            text = ngettext(
                "Held for the daily digest at %(time)s: the recipient reached the limit of "
                "%(limit)d email an hour",
                "Held for the daily digest at %(time)s: the recipient reached the limit of "
                "%(limit)d emails an hour",
                limit,
            )
        return text % {"time": time, "limit": limit}
    if until is None:
        return _("Held for the next daily digest: the recipient gets “%(category)s” by digest") % {
            "category": category
        }
    return _(
        "Held for the daily digest at %(time)s: the recipient gets “%(category)s” by digest"
    ) % {"time": time, "category": category}
