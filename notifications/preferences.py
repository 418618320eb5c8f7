"""Recipient control: preferences and whether a notification may be sent now.

Every non-transactional category in the registry has a mode per user:
immediately (the default), daily digest, or off. Transactional mail (password
resets, error reports) has no preference: it is always sent, unless its
address cannot receive mail at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from .exceptions import NotificationsError
from .models import Notification, Preference
from .suppression import BLOCKS_TRANSACTIONAL, suppression_for
from .types import Category, registry

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

Mode = Preference.Mode
DEFAULT_MODE = Mode.IMMEDIATELY


class UnknownCategory(NotificationsError, LookupError):
    """The category is not registered, or is transactional and has no preference."""


def configurable_categories() -> list[Category]:
    """The categories a recipient can choose a mode for, in registration order."""
    return [category for category in registry.categories() if not category.transactional]


def configurable_category(key: str) -> Category:
    """The registered non-transactional category `key`, or UnknownCategory."""
    for category in configurable_categories():
        if category.key == key:
            return category
    raise UnknownCategory(key)


def preference_set(*, user: AbstractBaseUser, category: str, mode: str) -> Preference:
    """Set how `user` wants mail of `category` delivered."""
    configurable_category(category)
    try:
        mode = Mode(mode)
    except ValueError:
        raise ValueError(f"unknown preference mode {mode!r}") from None
    preference, _ = Preference.objects.update_or_create(
        user=user, category=category, defaults={"mode": mode}
    )
    return preference


def preferences_update(*, user: AbstractBaseUser, modes: dict[str, str]) -> None:
    """Set several categories at once (the preferences page), all or nothing."""
    with transaction.atomic():
        for category, mode in modes.items():
            preference_set(user=user, category=category, mode=mode)


def preferences_for(*, user: AbstractBaseUser) -> dict[str, str]:
    """The mode of every configurable category for `user`, defaults filled in."""
    modes = {category.key: DEFAULT_MODE.value for category in configurable_categories()}
    if user.pk is None:
        return modes
    stored = Preference.objects.filter(user=user, category__in=list(modes)).values_list(
        "category", "mode"
    )
    modes.update(dict(stored))
    return modes


def preference_mode(*, user_id: int, category: str) -> str:
    """The mode `user_id` chose for `category` (the default if none)."""
    mode = (
        Preference.objects.filter(user_id=user_id, category=category)
        .values_list("mode", flat=True)
        .first()
    )
    return mode or DEFAULT_MODE.value


def delivery_block_reason(*, notification: Notification) -> tuple[str, str] | None:
    """Why `notification` must not be sent now, as (status, reason), or None.

    Called by the worker right before sending. status is Notification.Status
    CANCELLED (the recipient turned the category off) or SUPPRESSED (the
    address is on the suppression list). Transactional mail ignores
    preferences, and is only stopped by a hard bounce or a staff entry.
    """
    if not notification.transactional and notification.recipient_id and notification.category:
        mode = preference_mode(user_id=notification.recipient_id, category=notification.category)
        if mode == Mode.OFF:
            return (
                Notification.Status.CANCELLED,
                f"recipient turned off {notification.category} notifications",
            )

    entry = suppression_for(address=notification.to_address or "")
    if entry is None:
        return None
    if notification.transactional and entry.reason not in BLOCKS_TRANSACTIONAL:
        return None
    return (
        Notification.Status.SUPPRESSED,
        f"address is suppressed: {entry.reason}",
    )
