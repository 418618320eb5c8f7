"""Coalescing: a burst of events of one type to one recipient shares one row.

A coalescing type's rows list their actors in ``params["actor_ids"]`` and
share a group key, ``<type>:<recipient id>``. The first event of a burst
makes a row due at once (the first email is never delayed); later events
merge into the recipient's *pending* row (queued, never attempted), or start
one due ``COALESCE_WINDOW`` after the previous email. Once a worker has
claimed a row its content is fixed. An actor who withdraws (unfollows) is
taken off the pending rows, and a row left with nobody is cancelled.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from .. import preferences, transitions
from ..conf import conf
from ..exceptions import NotificationsError
from ..models import Notification, QuietHours
from ..recipients import user_key
from ..sql import insert_new
from ..timing import email_wait
from ..types import registry
from .rows import build_row
from .statements import recent_rows

Status = Notification.Status

# Rounds of "merge into the pending row, or create it" before giving up; a
# round is lost only to a worker's claim or a concurrent insert.
_MERGE_TRIES = 10


class CoalescingContention(NotificationsError):
    """The pending row of a group kept changing under us (never seen in practice)."""


def group_key(kind: str, recipient_id: object) -> str:
    """The group of `kind` to one recipient, the same however the key was passed."""
    return f"{kind}:{user_key(recipient_id)}"


def _is_pending(row: Notification) -> bool:
    return row.status == Status.QUEUED and row.attempts == 0


def _merge(row: Notification, *, actor_id: int | str, now: datetime) -> bool:
    """Add `actor_id` to a pending row; False when a worker claimed it first."""
    actors = list(row.params.get("actor_ids", []))
    if actor_id in actors:
        return True
    merged = {**row.params, "actor_ids": [*actors, actor_id]}
    if not Notification.objects.filter(transitions.PENDING, pk=row.pk).update(
        params=merged, updated_at=now
    ):
        return False
    row.params = merged
    return True


def lock_group(group: str, *more: str) -> None:
    """Serialise the events of one group (or of several, taken in this order)
    until the transaction ends.

    On PostgreSQL a transaction-scoped advisory lock per group, all taken in
    one statement: an event to the same recipient waits here, then reads what
    the first one committed. SQLite runs one writing transaction at a time
    already (IMMEDIATE transactions). Either way the one-pending-row
    constraint backs this up.
    """
    if connection.vendor == "postgresql":
        groups = [group, *more]
        # The target list is evaluated left to right: the locks in order.
        calls = ", ".join(["pg_advisory_xact_lock(hashtextextended(%s, 0))"] * len(groups))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {calls}", groups)


def ceiling_lock(recipient_id: object) -> list[str]:
    """The lock that serialises counting the recipient's emails of the last
    hour, when HOURLY_LIMIT is set (none otherwise): events of every type
    count against the one ceiling, so concurrent ones must not each see room
    under it. Taken after a group's lock, never before it, so two events never
    wait for each other's locks in opposite orders."""
    return [f"ceiling:{user_key(recipient_id)}"] if conf.HOURLY_LIMIT else []


def lock_ceiling(recipient_id: object) -> None:
    """Take the recipient's ceiling_lock, if there is one, until the transaction ends."""
    if locks := ceiling_lock(recipient_id):
        lock_group(*locks)


def coalesce(
    *,
    kind: str,
    recipient: Any,
    actor_id: int | str,
    params: dict[str, Any],
    mode: str | None = None,
    waits_to_be_seen: bool = False,
    quiet_hours: QuietHours | None = None,
) -> Notification:
    """Merge `actor_id` into the recipient's pending row of `kind`, or start one.

    A new row is stored held when preferences.enqueue_hold_reason says so
    (the hourly ceiling is counted in the same read, under the same lock);
    `mode` is the recipient's email mode for the category, when known. A new
    row waits for the recipient to see the event in the app, or for their
    quiet hours to end, when timing.email_wait says so; or for the coalescing
    window after the previous email to end. The row stores why it waits.
    """
    group = group_key(kind, recipient.pk)
    kind_type = registry.get(kind)
    window = timedelta(seconds=conf.COALESCE_WINDOW)
    # No savepoint: the block is the locks' scope. An error in it rolls back
    # the caller's transaction, the event with it; a lost race to INSERT the
    # pending row is not an error (insert_new).
    with transaction.atomic(savepoint=False):
        lock_group(group, *ceiling_lock(recipient.pk))
        for _ in range(_MERGE_TRIES):
            now = timezone.now()
            recent = recent_rows(recipient_id=recipient.pk, group=group, now=now)
            members = [r for r in recent if r.group_key == group]
            pending = next((r for r in members if _is_pending(r)), None)
            if pending is not None:
                if _merge(pending, actor_id=actor_id, now=now):
                    return pending
                continue  # a worker claimed it just now: start the next one
            previous = next(
                (
                    r
                    for r in members
                    if r.created_at >= now - window and r.status != Status.CANCELLED
                ),
                None,
            )
            count = None
            if conf.HOURLY_LIMIT:
                count = sum(1 for r in recent if preferences.counts_as_recent_email(r, now=now))
            due, wait_reason = email_wait(
                recipient=recipient,
                now=now,
                waits_to_be_seen=waits_to_be_seen,
                quiet_hours=quiet_hours,
            )
            if previous is not None and previous.created_at + window > due:
                due = previous.created_at + window
                wait_reason = transitions.REASON_WAITING_TO_COALESCE
            row = build_row(
                kind=kind,
                recipient=recipient,
                params={**params, "actor_ids": [actor_id]},
                group_key=group,
                due=due,
                hold_reason=preferences.enqueue_hold_reason(
                    recipient=recipient, category=kind_type.category, recent_count=count, mode=mode
                ),
                wait_reason=wait_reason,
            )
            if not insert_new(row):
                continue  # another transaction made the pending row: merge into it
            return row
    raise CoalescingContention(f"{group}: could not merge or create a row")


def withdraw_actor(*, kind: str, recipient_id: object, actor_id: int | str) -> int:
    """Remove `actor_id` from the recipient's pending rows of `kind`.

    A row left with no actor is cancelled. Rows already claimed are left
    alone: the type's get_context re-checks the event at send time.
    Returns the number of rows changed.
    """
    changed = 0
    group = group_key(kind, recipient_id)
    with transaction.atomic():
        lock_group(group)  # a concurrent merge must not put the actor back
        rows = Notification.objects.select_for_update().filter(transitions.PENDING, group_key=group)
        for row in rows:
            actors = list(row.params.get("actor_ids", []))
            if actor_id not in actors:
                continue
            remaining = [a for a in actors if a != actor_id]
            if not remaining:
                changed += transitions.cancel_withdrawn(pk=row.pk)
                continue
            changed += Notification.objects.filter(transitions.PENDING, pk=row.pk).update(
                params={**row.params, "actor_ids": remaining}, updated_at=timezone.now()
            )
    return changed
