"""Writing in-app items: in the event's transaction, coalesced like the email.

An event of a type that reaches the app writes an InAppItem beside its outbox
row. A coalescing type merges the burst into the recipient's one unread item
of the group ("bob and 9 others followed you"; the database allows one unread
item per group), under the same lock as the email row; an actor who withdraws
before the item is read is taken off it, and an item left with nobody goes.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import InAppItem, Notification, Preference
from ..sql import insert_new
from ..types import NotificationType
from .coalesce import group_key, lock_group
from .statements import unread_item

_TRIES = 10


def in_app_wanted(*, kind_type: NotificationType, mode: str | None) -> bool:
    """Whether the event reaches the recipient's feed: `kind_type` reaches the
    app and `mode`, the recipient's in-app choice for its category (None when
    there is no recipient to ask), is not off."""
    if Preference.Channel.IN_APP not in kind_type.channels or mode is None:
        return False
    return mode != Preference.Mode.OFF


def item_record(
    *,
    kind_type: NotificationType,
    recipient: Any,
    params: dict[str, Any],
    actor_id: int | str | None = None,
    dedupe_key: str | None = None,
    notification: Notification | None = None,
    group_locked: bool = False,
    likely_new: bool = False,
) -> InAppItem | None:
    """The recipient's in-app item for this event (new, or merged into), or None
    for a repeated dedupe key. `group_locked`: the caller's transaction holds
    the group's lock already (it coalesced the email row under it).
    `likely_new`: the group probably has no unread item (the event started a
    new email row), so the item is inserted before any read; either way the
    result is the same."""
    if kind_type.coalesce:
        return _merge_or_create(
            kind_type=kind_type,
            recipient=recipient,
            params=params,
            actor_id=actor_id,
            notification=notification,
            group_locked=group_locked,
            likely_new=likely_new,
        )
    item = InAppItem(
        recipient=recipient,
        kind=kind_type.key,
        category=kind_type.category.key,
        params=params,
        dedupe_key=dedupe_key,
        notification=notification,
    )
    if insert_new(item):
        return item
    if dedupe_key:  # the same event again
        return None
    raise IntegrityError(f"in-app item of {kind_type.key} for {recipient.pk}: refused")


def _merge_or_create(
    *,
    kind_type: NotificationType,
    recipient: Any,
    params: dict[str, Any],
    actor_id: int | str | None,
    notification: Notification | None,
    group_locked: bool,
    likely_new: bool,
) -> InAppItem:
    group = group_key(kind_type.key, recipient.pk)
    with transaction.atomic(savepoint=False):  # the lock's scope, see coalesce
        if not group_locked:
            lock_group(group)
        for attempt in range(_TRIES):
            now = timezone.now()
            # A likely-new item skips the read: the one-unread-item constraint
            # refuses the INSERT if an item is there after all, and the next
            # try reads it and merges.
            unread = None if likely_new and attempt == 0 else unread_item(group=group)
            if unread is not None:
                actors = list(unread.params.get("actor_ids", []))
                if actor_id not in actors:
                    actors.append(actor_id)
                unread.params = {**unread.params, "actor_ids": actors}
                changes = {"params": unread.params, "updated_at": now}
                if notification is not None:
                    changes["notification"] = notification
                if InAppItem.objects.filter(pk=unread.pk, read_at__isnull=True).update(**changes):
                    return unread
                continue  # read just now: this event starts a new item
            item = InAppItem(
                recipient=recipient,
                kind=kind_type.key,
                category=kind_type.category.key,
                params={**params, "actor_ids": [actor_id]},
                group_key=group,
                notification=notification,
                created_at=now,
                updated_at=now,
            )
            if not insert_new(item):
                continue  # another transaction made the unread item: merge into it
            return item
    raise RuntimeError(f"{group}: could not merge or create an in-app item")


def items_withdraw_actor(*, kind: str, recipient_id: object, actor_id: int | str) -> int:
    """Take `actor_id` off the recipient's unread item of `kind`; an empty item goes."""
    group = group_key(kind, recipient_id)
    changed = 0
    with transaction.atomic():
        lock_group(group)
        for item in InAppItem.objects.filter(group_key=group, read_at__isnull=True):
            actors = list(item.params.get("actor_ids", []))
            if actor_id not in actors:
                continue
            remaining = [a for a in actors if a != actor_id]
            if remaining:
                item.params = {**item.params, "actor_ids": remaining}
                item.save(update_fields=["params"])
            else:
                item.delete()
            changed += 1
    return changed
