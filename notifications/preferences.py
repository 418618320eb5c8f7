"""Recipient control: preferences and whether a notification may be sent now.

Every non-transactional category in the registry has a mode per user and
channel. Email: immediately (the default), daily digest, only if not seen in
the app first (for categories that also reach the app), or off. In the app:
on (the default) or off. Transactional mail (password resets, error reports)
has no preference: it is always sent, unless its address cannot receive mail
at all.

The daily digest email has a category of its own, ``digest``. Choosing
"daily digest" for a category is what subscribes to it; emails over the
hourly limit go to it too, unless the person said not to (the preferences
page, stored as the ``digest`` category turned off). Its one-click
unsubscribe link names it: turning the digest off turns off every category
the person gets by digest, and emails over the limit are then not sent.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from . import transitions
from .conf import conf
from .exceptions import NotificationsError
from .models import InAppItem, Notification, Preference, Suppression
from .suppression import BLOCKS_TRANSACTIONAL, normalize_address, suppression_for
from .timing import quiet_hours_set, recipient_quiet_until
from .transitions import Stop
from .types import Category, registry

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

Mode = Preference.Mode
Channel = Preference.Channel
DEFAULT_MODE = Mode.IMMEDIATELY
DEFAULT_MODES = {Channel.EMAIL: Mode.IMMEDIATELY, Channel.IN_APP: Mode.ON}
# Key of the daily digest's own category (see notifications/digest.py).
DIGEST_CATEGORY = "digest"


class UnknownCategory(NotificationsError, LookupError):
    """The category is not registered, or is transactional and has no preference."""


def configurable_categories() -> list[Category]:
    """The categories a recipient can choose a mode for, in registration order."""
    return [
        category
        for category in registry.categories()
        if not category.transactional and category.key != DIGEST_CATEGORY
    ]


def category_channels(category: Category) -> tuple[str, ...]:
    """The channels any registered type of `category` reaches its recipient on."""
    channels = {
        channel
        for kind in registry.all()
        if kind.category.key == category.key
        for channel in kind.channels
    }
    return tuple(channel for channel in Channel.values if channel in channels)


def channel_modes(*, category: Category, channel: str) -> list[str]:
    """The modes a recipient can choose for `category` on `channel`."""
    if channel == Channel.IN_APP:
        return [Mode.ON, Mode.OFF]
    modes = [Mode.IMMEDIATELY, Mode.DIGEST]
    if Channel.IN_APP in category_channels(category):
        modes.append(Mode.UNSEEN)  # there is something to have seen
    return [*modes, Mode.OFF]


def configurable_category(key: str) -> Category:
    """The registered non-transactional category `key`, or UnknownCategory.

    The digest's own category is accepted too: its unsubscribe link names it.
    """
    for category in registry.categories():
        if category.key == key and not category.transactional:
            return category
    raise UnknownCategory(key)


def preference_set(
    *, user: AbstractBaseUser, category: str, mode: str, channel: str = Channel.EMAIL
) -> Preference | None:
    """Set how `user` wants `category` on `channel`.

    For the digest's own category only "off" is meaningful: it turns off every
    category `user` gets by digest (and returns None).
    """
    kind_category = configurable_category(category)
    try:
        mode, channel = Mode(mode), Channel(channel)
    except ValueError:
        raise ValueError(f"unknown preference mode {mode!r} or channel {channel!r}") from None
    if category == DIGEST_CATEGORY:
        if mode != Mode.OFF or channel != Channel.EMAIL:
            raise ValueError("the daily digest can only be turned off")
        Preference.objects.filter(user=user, channel=Channel.EMAIL, mode=Mode.DIGEST).update(
            mode=Mode.OFF
        )
        digest_for_the_excess_set(user=user, wanted=False)
        return None
    if mode not in channel_modes(category=kind_category, channel=channel):
        raise ValueError(f"{mode!r} is not a mode of {category!r} on {channel!r}")
    preference, _ = Preference.objects.update_or_create(
        user=user, category=category, channel=channel, defaults={"mode": mode}
    )
    return preference


def digest_for_the_excess(*, user_id: Any) -> bool:
    """Whether emails over the hourly limit wait for `user_id`'s daily digest
    (the default), or are not sent."""
    return not Preference.objects.filter(
        user_id=user_id, category=DIGEST_CATEGORY, channel=Channel.EMAIL, mode=Mode.OFF
    ).exists()


def digest_for_the_excess_set(*, user: AbstractBaseUser, wanted: bool) -> None:
    mine = Preference.objects.filter(user=user, category=DIGEST_CATEGORY, channel=Channel.EMAIL)
    if wanted:
        mine.delete()
    else:
        Preference.objects.update_or_create(
            user=user, category=DIGEST_CATEGORY, channel=Channel.EMAIL, defaults={"mode": Mode.OFF}
        )


def preferences_update(
    *, user: AbstractBaseUser, modes: dict[str, str], channel: str = Channel.EMAIL
) -> None:
    """Set several categories at once on one channel, all or nothing."""
    with transaction.atomic():
        for category, mode in modes.items():
            preference_set(user=user, category=category, mode=mode, channel=channel)


def preferences_page_save(
    *,
    user: AbstractBaseUser,
    email: dict[str, str],
    in_app: dict[str, str],
    quiet_start: time | None,
    quiet_end: time | None,
    digest_for_the_excess: bool | None = None,
) -> None:
    """Everything the preferences page sets, all or nothing
    (`digest_for_the_excess` None: the page did not ask, there is no limit)."""
    with transaction.atomic():
        preferences_update(user=user, modes=email, channel=Channel.EMAIL)
        preferences_update(user=user, modes=in_app, channel=Channel.IN_APP)
        quiet_hours_set(user=user, start=quiet_start, end=quiet_end)
        if digest_for_the_excess is not None:
            digest_for_the_excess_set(user=user, wanted=digest_for_the_excess)


def preferences_for(*, user: AbstractBaseUser, channel: str = Channel.EMAIL) -> dict[str, str]:
    """The mode of every configurable category on `channel`, defaults filled in."""
    default = DEFAULT_MODES[Channel(channel)].value
    modes = {category.key: default for category in configurable_categories()}
    if user.pk is None:
        return modes
    stored = Preference.objects.filter(
        user=user, channel=channel, category__in=list(modes)
    ).values_list("category", "mode")
    modes.update(dict(stored))
    return modes


def preference_mode(*, user_id: int, category: str, channel: str = Channel.EMAIL) -> str:
    """The mode `user_id` chose for `category` on `channel` (the default if none).

    For the digest's own category: "digest" while some category is delivered
    by digest, or emails over the hourly limit wait for it; otherwise "off".
    """
    if category == DIGEST_CATEGORY:
        by_digest = Preference.objects.filter(
            user_id=user_id, channel=Channel.EMAIL, mode=Mode.DIGEST
        ).exists()
        excess = bool(conf.HOURLY_LIMIT) and digest_for_the_excess(user_id=user_id)
        return Mode.DIGEST.value if by_digest or excess else Mode.OFF.value
    mode = (
        Preference.objects.filter(user_id=user_id, category=category, channel=channel)
        .values_list("mode", flat=True)
        .first()
    )
    return mode or DEFAULT_MODES[Channel(channel)].value


def send_time_stop(*, notification: Notification, address: str) -> Stop | None:
    """Why `notification` must not be sent to `address` now, or None.

    Asked by the worker right before sending: the recipient turned the
    category off (cancelled), now wants it in the daily digest (held: the row
    waits for it), has read it in the app already (cancelled, when they want
    email only for what they have not seen), is in their quiet hours (the row
    waits until they end), or the address is suppressed. Transactional mail ignores
    preferences, and is only stopped by a hard bounce or a staff entry. The
    digest itself is not checked against preferences: it re-checks the
    category of every item it lists when it is rendered.
    """
    stop = preference_stop(notification=notification)
    if stop is not None:
        return stop
    if not notification.transactional and notification.recipient is not None:
        until = recipient_quiet_until(recipient=notification.recipient, now=timezone.now())
        if until is not None:
            return Stop(
                Notification.Status.QUEUED, transitions.reason_quiet_hours(until), until=until
            )
    entry = suppression_for(address=address)
    if entry is None:
        return None
    if notification.transactional and entry.reason not in BLOCKS_TRANSACTIONAL:
        return None
    return Stop(Notification.Status.SUPPRESSED, transitions.reason_suppressed(entry.reason))


def suppressed_addresses(*, addresses: list[str], transactional: bool) -> dict[str, str]:
    """Of `addresses`, those mail must not go to, each with its suppression reason.

    For a message to several people (given to Django's mail API): the others
    still get it.
    """
    wanted = {normalize_address(a): a for a in addresses if normalize_address(a)}
    entries = Suppression.objects.annotate(lower=Lower("address")).filter(lower__in=list(wanted))
    return {
        wanted[entry.lower]: entry.reason
        for entry in entries
        if not transactional or entry.reason in BLOCKS_TRANSACTIONAL
    }


def preference_stop(*, notification: Notification) -> Stop | None:
    """What the recipient's preference says about sending `notification` now:
    cancelled when its category is off, held when it goes to the daily
    digest, None when it may be sent (or preferences do not apply).
    """
    if (
        notification.transactional
        or not notification.recipient_id
        or not notification.category
        or notification.category == DIGEST_CATEGORY
    ):
        return None
    mode = preference_mode(user_id=notification.recipient_id, category=notification.category)
    if mode == Mode.UNSEEN and seen_in_the_app(notification=notification):
        return Stop(Notification.Status.CANCELLED, transitions.REASON_SEEN_IN_APP)
    if mode == Mode.OFF:
        return Stop(
            Notification.Status.CANCELLED, transitions.reason_category_off(notification.category)
        )
    if mode == Mode.DIGEST:
        return Stop(Notification.Status.HELD, transitions.reason_digest_mode(notification.category))
    return None


def seen_in_the_app(*, notification: Notification) -> bool:
    """Whether the recipient has read every in-app item this email goes with."""
    items = InAppItem.objects.filter(notification=notification)
    return items.exists() and not items.filter(read_at__isnull=True).exists()


def enqueue_hold_reason(
    *,
    recipient: Any,
    category: Category,
    recent_count: int | None = None,
    mode: str | None = None,
) -> str | None:
    """Why a new notification of `category` for `recipient` waits for the
    daily digest instead of going out now, or None.

    Asked when the row is written: the recipient gets the category by digest,
    or already has HOURLY_LIMIT non-transactional emails sent or queued in the
    last hour (the excess is folded into the next digest, not dropped).
    `recent_count` is that number, and `mode` the recipient's email mode for
    the category, when the caller has already read them.
    """
    if category.transactional or recipient is None or recipient.pk is None:
        return None
    if category.key == DIGEST_CATEGORY:
        return None
    if mode is None:
        mode = preference_mode(user_id=recipient.pk, category=category.key)
    if mode == Mode.DIGEST:
        return transitions.reason_digest_mode(category.key)
    limit = conf.HOURLY_LIMIT
    if limit:
        if recent_count is None:
            recent_count = recent_email_count(recipient_id=recipient.pk)
        if recent_count >= limit:
            return transitions.reason_hourly_limit(limit)
    return None


RECENT_EMAIL_WINDOW = timedelta(hours=1)


def recent_email_filter(
    *, now: datetime, within: timedelta = RECENT_EMAIL_WINDOW, recipient_id: int | None = None
) -> Q:
    """The rows recent_email_count counts (for one recipient, filtered apart).

    With `recipient_id` each alternative names the recipient itself, so that
    it is read through the (recipient, sent_at) or (recipient, created_at)
    index instead of all of the recipient's rows.
    """
    since = now - within
    Status = Notification.Status
    mine = Q() if recipient_id is None else Q(recipient_id=recipient_id)
    return Q(transactional=False) & (
        (mine & Q(status=Status.SENT, sent_at__gte=since))
        | (mine & Q(status__in=(Status.QUEUED, Status.SENDING), created_at__gte=since))
    )


def counts_as_recent_email(
    row: Notification, *, now: datetime, within: timedelta = RECENT_EMAIL_WINDOW
) -> bool:
    """recent_email_filter for a row already loaded."""
    since = now - within
    Status = Notification.Status
    if row.transactional:
        return False
    if row.status == Status.SENT:
        return row.sent_at is not None and row.sent_at >= since
    return row.status in (Status.QUEUED, Status.SENDING) and row.created_at >= since


def recent_email_count(*, recipient_id: int, within: timedelta = RECENT_EMAIL_WINDOW) -> int:
    """Non-transactional emails to `recipient_id` sent, or queued, within `within`."""
    return Notification.objects.filter(
        recent_email_filter(now=timezone.now(), within=within, recipient_id=recipient_id),
        recipient_id=recipient_id,
    ).count()
