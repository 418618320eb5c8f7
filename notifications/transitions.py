"""Every status change of an outbox row: one guarded UPDATE each, and its reason text.

The lifecycle of a row (docs/notifications.md draws it with the module that
owns each step)::

    (enqueue) ──▶ held ─────────────fold_into_digest / cancel_held──▶ cancelled
        │          │ retry_now
        ▼          ▼
      queued ──claim──▶ sending ──finish──▶ sent | failed | cancelled | suppressed | held
        ▲  │              │
        │  │              └──finish (transient error, backoff)──▶ queued
        │  └──cancel / cancel_withdrawn──▶ cancelled
        └──take_back (the worker is gone)── sending

Each function here is the only place its transition is written. The UPDATE
names the status it expects (``WHERE status = …``), so two workers, or a
worker and a web request, can never both win: the loser changes nothing and
is told so by the return value. Nothing else in the framework writes
``status``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import Notification
from .sql import update_where

logger = logging.getLogger(__name__)

Status = Notification.Status

# A row nobody has tried yet: its content may still change (coalescing,
# withdrawal), a claimed one's may not.
PENDING = Q(status=Status.QUEUED, attempts=0)

# Rows staff may send again, and rows not claimed yet.
RETRYABLE = (Status.FAILED, Status.CANCELLED, Status.SUPPRESSED, Status.QUEUED, Status.HELD)
CANCELLABLE = (Status.QUEUED, Status.HELD)
FINISHED = (Status.SENT, Status.FAILED, Status.CANCELLED, Status.SUPPRESSED)

REASON_MAX = 255


@dataclass(frozen=True)
class Stop:
    """Why a row must not be sent now: the status it takes instead, and the reason.

    A stop to ``queued`` defers the row `until` a later time (quiet hours).
    """

    status: str
    reason: str
    until: datetime | None = None


# --- reason texts: what staff read in the outbox --------------------------------


def reason_category_off(category: str) -> str:
    return f"recipient turned off {category} emails"


# A held row's reason starts with one of these (explain.py tells them apart).
HELD_BY_CHOICE = "held for the daily digest: recipient gets"
HELD_BY_LIMIT = "held for the daily digest: hourly limit"


def reason_digest_mode(category: str) -> str:
    return f"{HELD_BY_CHOICE} {category} by digest"


def reason_hourly_limit(limit: int) -> str:
    return f"{HELD_BY_LIMIT} of {limit} emails reached"


def reason_in_digest(digest_id: int | str) -> str:
    return f"included in digest #{digest_id}"


def reason_suppressed(suppression_reason: str) -> str:
    return f"address is suppressed: {suppression_reason}"


def reason_gave_up(attempts: int, error: str) -> str:
    return f"gave up after {attempts} attempts: {error}"


# Why a queued row is not due yet, stored with it when it is written (and when
# the worker defers it for quiet hours); explain.py words them for staff.
WAITING_FOR_QUIET_HOURS = "waiting for the end of the recipient's quiet hours"
REASON_WAITING_TO_COALESCE = "waiting for more events to send in one email"
REASON_WAITING_TO_BE_SEEN = "waiting for the recipient to read it in the app first"
REASON_SCHEDULED = "scheduled by the sender"


def reason_quiet_hours(until: datetime) -> str:
    return f"{WAITING_FOR_QUIET_HOURS} ({until:%H:%M})"


def reason_cancelled_by(who: object) -> str:
    return f"cancelled by {who}"


REASON_WITHDRAWN = "withdrawn: the event was undone before sending"
REASON_RECIPIENT_GONE = "the recipient no longer exists"
REASON_NO_ADDRESS = "the recipient has no email address"
REASON_WORKER_LOST_TOO_OFTEN = "gave up: the worker stopped while sending, too many times"
REASON_OBSOLETE = "obsolete"
REASON_SEEN_IN_APP = "seen in the app before the email was due"
REASON_DIGEST_OFF = "over the hourly limit, and the recipient turned the daily digest off"


def _reason(text: str) -> str:
    return text[:REASON_MAX]


# --- the worker's transitions ----------------------------------------------------


def claim(*, ids: Iterable[int], token: str, lease_until: datetime, now: datetime) -> int:
    """queued → sending under `token` (one more attempt), for those of `ids` still queued."""
    return Notification.objects.filter(id__in=list(ids), status=Status.QUEUED).update(
        status=Status.SENDING,
        attempts=F("attempts") + 1,
        claimed_by=token,
        lease_expires_at=lease_until,
        updated_at=now,
    )


def renew_leases(*, ids: Iterable[int], tokens: set[str], lease_until: datetime) -> set[int]:
    """Extend the lease of the rows still claimed under `tokens`; their ids.

    A row whose lease ran out may already be back in the queue or claimed by
    another worker: the caller must not send it any more.
    """
    mine = Notification.objects.filter(
        pk__in=list(ids), status=Status.SENDING, claimed_by__in=tokens
    )
    mine.update(lease_expires_at=lease_until, updated_at=timezone.now())
    return set(mine.values_list("pk", flat=True))


def finish(*, row: Notification, status: str, reason: str = "", **fields: Any) -> bool:
    """sending → `status` for a row this claim still holds; False if the lease was lost.

    `fields` are stored by the same UPDATE (the rendered content, the
    provider's message id, the next attempt's time), so an outcome costs one
    write.
    """
    # Once per email: written once per set of fields rather than built by the ORM
    # each time (sql.update_where).
    won = update_where(
        Notification,
        where={"id": row.pk, "status": Status.SENDING, "claimed_by": row.claimed_by},
        values={
            "status": status,
            "status_reason": _reason(reason),
            "claimed_by": "",
            "lease_expires_at": None,
            "updated_at": timezone.now(),
            **fields,
        },
    )
    if not won:
        logger.warning("notification %s: lease lost before the outcome was recorded", row.pk)
    return bool(won)


def defer(*, row: Notification, until: datetime, reason: str) -> bool:
    """sending → queued and due `until`, for a row this claim holds; the try is not counted."""
    return bool(
        Notification.objects.filter(
            pk=row.pk, status=Status.SENDING, claimed_by=row.claimed_by
        ).update(
            status=Status.QUEUED,
            status_reason=_reason(reason),
            attempts=F("attempts") - 1,
            next_attempt_at=until,
            claimed_by="",
            lease_expires_at=None,
            updated_at=timezone.now(),
        )
    )


def take_back(*, pk: int, token: str, now: datetime, max_attempts: int) -> str | None:
    """sending (under claim `token`) → queued, or failed when out of tries.

    For a row whose worker is gone. It keeps its due time, already past, so
    it goes out before rows that became due after it. Returns the new status,
    or None when the claim no longer holds the row (it finished, or was taken
    back already).
    """
    claimed = Notification.objects.filter(pk=pk, status=Status.SENDING, claimed_by=token)
    if claimed.filter(attempts__gte=max_attempts).update(
        status=Status.FAILED,
        status_reason=REASON_WORKER_LOST_TOO_OFTEN,
        claimed_by="",
        lease_expires_at=None,
        updated_at=now,
    ):
        return Status.FAILED
    if claimed.update(status=Status.QUEUED, claimed_by="", lease_expires_at=None, updated_at=now):
        return Status.QUEUED
    return None


# --- staff and operators ---------------------------------------------------------


def retry_now(*, pk: int) -> bool:
    """failed / cancelled / suppressed / held / queued → queued and due now.

    A finished row starts over with zero attempts; a queued one keeps its count.
    A coalescing row whose group has a pending row already leaves the group
    (the database allows one pending row per group): it is sent as it is.
    """
    now = timezone.now()
    rows = Notification.objects.filter(pk=pk)
    restart = {"status": Status.QUEUED, "attempts": 0, "next_attempt_at": now}
    restartable = rows.filter(status__in=[s for s in RETRYABLE if s != Status.QUEUED])
    try:
        with transaction.atomic():
            restarted = restartable.update(**restart, status_reason="", updated_at=now)
    except IntegrityError:
        restarted = restartable.update(**restart, group_key="", status_reason="", updated_at=now)
    hurried = rows.filter(status=Status.QUEUED).update(
        next_attempt_at=now, status_reason="", updated_at=now
    )
    return bool(restarted or hurried)


def cancel(*, pk: int, reason: str) -> bool:
    """queued / held → cancelled, for a row no worker has claimed."""
    return bool(
        Notification.objects.filter(pk=pk, status__in=CANCELLABLE).update(
            status=Status.CANCELLED, status_reason=_reason(reason), updated_at=timezone.now()
        )
    )


# --- enqueue and the digest ------------------------------------------------------


def cancel_withdrawn(*, pk: int) -> bool:
    """A pending row whose every actor withdrew → cancelled."""
    return bool(
        Notification.objects.filter(PENDING, pk=pk).update(
            status=Status.CANCELLED, status_reason=REASON_WITHDRAWN, updated_at=timezone.now()
        )
    )


def fold_into_digest(*, ids: Iterable[int], digest_id: int) -> int:
    """held → cancelled, for the rows a digest row now lists."""
    return Notification.objects.filter(pk__in=list(ids), status=Status.HELD).update(
        status=Status.CANCELLED,
        status_reason=_reason(reason_in_digest(digest_id)),
        updated_at=timezone.now(),
    )


def cancel_held(
    *,
    recipient_id: int | None,
    reason: str,
    category: str | None = None,
    over_limit_only: bool = False,
) -> int:
    """held → cancelled for one recipient (optionally one category of theirs,
    or only the rows the hourly limit held).

    `recipient_id=None` means the held rows whose recipient was deleted.
    """
    held = Notification.objects.filter(status=Status.HELD)
    held = (
        held.filter(recipient__isnull=True)
        if recipient_id is None
        else held.filter(recipient_id=recipient_id)
    )
    if category is not None:
        held = held.filter(category=category)
    if over_limit_only:
        held = held.filter(status_reason__startswith=HELD_BY_LIMIT)
    return held.update(
        status=Status.CANCELLED, status_reason=_reason(reason), updated_at=timezone.now()
    )
