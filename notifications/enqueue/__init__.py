"""Enqueue: writing outbox rows and in-app items in the caller's transaction,
and waking the workers after it.

No rendering and no network I/O happen here: a request pays for a row (or a
merge into one) and an after-commit wake-up, nothing else. The modules:

* ``rows``: the one row builder every row comes from;
* ``coalesce``: merging a burst of events into one row, and withdrawing actors;
* ``inapp``: the in-app items written beside the rows, coalesced the same way;
* ``wakeup``: the wake-up after commit.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr
from typing import Any

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import preferences, transitions
from ..conf import conf
from ..mailapi import serialize_message
from ..models import EMAIL_KIND, Notification, QuietHours
from ..recipients import recipient_address, user_key, user_with_address
from ..sql import insert_new
from ..timing import email_wait, quiet_hours_of
from ..types import EMAIL, IN_APP, NotificationType, registry
from .coalesce import coalesce, lock_ceiling, withdraw_actor
from .inapp import in_app_wanted, item_record, items_withdraw_actor
from .rows import build_row
from .statements import RecipientChoices, recipient_choices
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
    actor_id: object | None = None,
    send_at: datetime | None = None,
) -> Notification | None:
    """Write what an event means for `recipient`, in the current transaction.

    On the email channel an outbox row (new, or the pending row the event
    was merged into), and on the in-app channel an item of the recipient's
    feed (new, or merged the same way), each as the type's channels and the
    recipient's preferences say. Returns the outbox row, or None when there
    is no email to send (an in-app-only type, a duplicate `dedupe_key`, no
    address, NOTIFICATIONS["ENABLED"] off). For coalescing types `actor_id`
    names who caused the event: a user's key, as any value the user model's
    key field reads (stored as recipients.user_key writes it).

    A new row is stored `held` for the daily digest, not queued, when the
    recipient gets its category by digest or has reached the hourly ceiling.
    It is due later when the recipient wants it only if not seen in the app
    (UNSEEN_DELAY), or is in their quiet hours.
    """
    if not conf.ENABLED:
        return None
    kind_type = registry.get(kind)
    if kind_type.coalesce and actor_id is None:
        raise ValueError(f"{kind!r} coalesces events and needs an actor_id")
    if actor_id is not None:
        actor_id = user_key(actor_id)  # as params["actor_ids"] names actors
    params = dict(params or {})
    emails = EMAIL in kind_type.channels and bool(recipient_address(recipient))
    choices = _choices(recipient=recipient, kind_type=kind_type, emails=emails)
    in_app = in_app_wanted(kind_type=kind_type, mode=choices.modes.get(IN_APP))
    row = None
    if emails:
        row = _email_row(
            kind_type=kind_type,
            recipient=recipient,
            params=params,
            dedupe_key=dedupe_key,
            actor_id=actor_id,
            send_at=send_at,
            in_app=in_app,
            mode=choices.modes.get(EMAIL),
            quiet_hours=choices.quiet_hours,
        )
        if row is None:
            return None  # the same event again: its item exists too
    if in_app:
        item_record(
            kind_type=kind_type,
            recipient=recipient,
            params=params,
            actor_id=actor_id,
            dedupe_key=dedupe_key,
            # The email row was coalesced under the group's lock, which the
            # caller's transaction still holds (without one, it was released).
            group_locked=(
                row is not None
                and kind_type.coalesce
                and transaction.get_connection().in_atomic_block
            ),
            notification=row,
            # An email row this event started (it names only this actor)
            # means the burst is new, and most likely its item too.
            likely_new=row is not None and row.params.get("actor_ids") == [actor_id],
        )
    if row is not None and row.status == Notification.Status.QUEUED:
        wake_on_commit()
    return row


def _choices(*, recipient: Any, kind_type: NotificationType, emails: bool) -> RecipientChoices:
    """What the recipient chose that the event needs, read in one statement:
    the email mode (unless transactional), the in-app mode, and the quiet
    hours a notification email waits out. Modes never chosen are the defaults."""
    channels = []
    notification_email = emails and not kind_type.category.transactional
    if notification_email:
        channels.append(EMAIL)
    if IN_APP in kind_type.channels and recipient is not None:
        channels.append(IN_APP)
    if not channels:
        return RecipientChoices(modes={}, quiet_hours=None)
    category = kind_type.category.key
    if category == preferences.DIGEST_CATEGORY:  # its mode is derived, not stored
        return RecipientChoices(
            modes={
                channel: preferences.preference_mode(
                    user_id=recipient.pk, category=category, channel=channel
                )
                for channel in channels
            },
            quiet_hours=quiet_hours_of(user_id=recipient.pk),
        )
    stored = recipient_choices(
        user_id=recipient.pk,
        category=category,
        channels=channels,
        with_quiet_hours=notification_email,
    )
    defaults = preferences.DEFAULT_MODES
    modes = {channel: defaults[preferences.Channel(channel)].value for channel in channels}
    return RecipientChoices(modes={**modes, **stored.modes}, quiet_hours=stored.quiet_hours)


def _email_row(
    *,
    kind_type: NotificationType,
    recipient: Any,
    params: dict[str, Any],
    dedupe_key: str | None,
    actor_id: int | str | None,
    send_at: datetime | None,
    in_app: bool,
    mode: str | None,
    quiet_hours: QuietHours | None,
) -> Notification | None:
    category = kind_type.category
    waits = in_app and mode == preferences.Mode.UNSEEN
    if kind_type.coalesce:
        return coalesce(
            kind=kind_type.key,
            recipient=recipient,
            actor_id=actor_id,
            params=params,
            mode=mode,
            waits_to_be_seen=waits,
            quiet_hours=quiet_hours,
        )
    if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    with transaction.atomic(savepoint=False):  # the lock's scope, see coalesce
        if recipient is not None and not category.transactional:
            lock_ceiling(recipient.pk)  # the hourly ceiling is counted below
        now = timezone.now()
        due = send_at or now
        wait_reason = transitions.REASON_SCHEDULED if due > now else ""
        if not category.transactional:
            wait_until, why = email_wait(
                recipient=recipient, now=now, waits_to_be_seen=waits, quiet_hours=quiet_hours
            )
            if wait_until > due:
                due, wait_reason = wait_until, why
        row = build_row(
            kind=kind_type.key,
            recipient=recipient,
            params=params,
            dedupe_key=dedupe_key,
            due=due,
            hold_reason=preferences.enqueue_hold_reason(
                recipient=recipient, category=category, mode=mode
            ),
            wait_reason=wait_reason,
        )
        if not insert_new(row):
            if dedupe_key:  # a concurrent request stored the same event
                return None
            raise IntegrityError(f"{kind_type.key} for {row.to_address}: refused")
    return row


def notification_withdraw_actor(*, kind: str, recipient_id: object, actor_id: object) -> int:
    """An undone event (an unfollow) takes its actor off the recipient's pending
    rows and unread in-app items; returns how many were changed."""
    actor_id = user_key(actor_id)
    changed = withdraw_actor(kind=kind, recipient_id=recipient_id, actor_id=actor_id)
    return changed + items_withdraw_actor(kind=kind, recipient_id=recipient_id, actor_id=actor_id)


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
