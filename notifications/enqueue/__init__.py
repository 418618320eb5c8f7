"""Enqueue: writing outbox rows in the caller's transaction, and waking the workers after it.

No rendering and no network I/O happen here: a request pays for a row (or a
merge into one) and an after-commit wake-up, nothing else. The modules:

* ``rows``: the one row builder every row comes from;
* ``coalesce``: merging a burst of events into one row, and withdrawing actors;
* ``wakeup``: the wake-up after commit.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr
from typing import Any

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction

from .. import preferences
from ..conf import conf
from ..mailapi import serialize_message
from ..models import EMAIL_KIND, Notification
from ..recipients import recipient_address, user_with_address
from ..types import registry
from .coalesce import coalesce, withdraw_actor
from .rows import build_row
from .wakeup import wake_on_commit

__all__ = [
    "EMAIL_KIND",
    "build_row",
    "notification_enqueue",
    "notification_store_message",
    "notification_withdraw_actor",
    "wake_on_commit",
]


def notification_enqueue(
    *,
    kind: str,
    recipient: Any,
    params: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    actor_id: int | None = None,
    send_at: datetime | None = None,
) -> Notification | None:
    """Write an outbox row for `recipient` in the current transaction.

    Returns the row (possibly an existing one the event was merged into), or
    None when nothing needs sending (duplicate `dedupe_key`, no address,
    NOTIFICATIONS["ENABLED"] off). For coalescing types `actor_id` names who
    caused the event.

    A new row is stored `held` for the daily digest, not queued, when the
    recipient gets its category by digest or has reached the hourly ceiling.
    """
    if not conf.ENABLED:
        return None
    kind_type = registry.get(kind)
    if not recipient_address(recipient):
        return None
    params = dict(params or {})
    if kind_type.coalesce:
        if actor_id is None:
            raise ValueError(f"{kind!r} coalesces events and needs an actor_id")
        row = coalesce(kind=kind, recipient=recipient, actor_id=actor_id, params=params)
    else:
        if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        hold = preferences.enqueue_hold_reason(recipient=recipient, category=kind_type.category)
        row = build_row(
            kind=kind,
            recipient=recipient,
            params=params,
            dedupe_key=dedupe_key,
            due=send_at,
            hold_reason=hold,
        )
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            if dedupe_key:  # a concurrent request stored the same event
                return None
            raise
    if row.status == Notification.Status.QUEUED:
        wake_on_commit()
    return row


def notification_withdraw_actor(*, kind: str, recipient_id: int, actor_id: int) -> int:
    """An undone event (an unfollow) takes its actor off the recipient's pending rows."""
    return withdraw_actor(kind=kind, recipient_id=recipient_id, actor_id=actor_id)


def notification_store_message(*, message: EmailMessage) -> Notification:
    """Store a message given to Django's mail API as one transactional row."""
    addresses = [str(a) for a in message.recipients()]
    recipient = None
    if len(addresses) == 1:
        recipient = user_with_address(parseaddr(addresses[0])[1])
    row = build_row(
        kind=EMAIL_KIND,
        recipient=recipient,
        to_address=", ".join(addresses),
        message=serialize_message(message),
        subject=str(message.subject)[:1000],
        body_text=str(message.body),
    )
    row.save(force_insert=True)
    wake_on_commit()
    return row
