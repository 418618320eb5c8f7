"""The in-app channel: a person's feed, its unread count, and reading it.

Items are written by enqueue (in the event's transaction); here they are
read. An item is shown as its type's ``.inapp.html`` line, rendered from the
type's context when the page is shown, so it always names who is still
behind it; an item whose event was undone since (NotificationObsolete) is
left out. A page of the feed costs the same queries however many items it
holds: one for the items, and the types' batch context loaders.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from ..conf import conf
from ..models import InAppItem, Preference
from ..types import NotificationObsolete, UnknownNotificationType, registry

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedEntry:
    """One item as the feed shows it."""

    item: InAppItem
    html: str
    url: str

    @property
    def unread(self) -> bool:
        return self.item.read_at is None


def _shown(user_id: int) -> QuerySet[InAppItem]:
    """The person's items of categories they still want in the app, of types
    the project still has (a type it removed leaves items nobody can render:
    neither listed nor counted).

    Preferences are checked when items are shown, not only when they were
    written: turning a category off in the app hides what it already has.
    """
    turned_off = Preference.objects.filter(
        user_id=user_id, channel=Preference.Channel.IN_APP, mode=Preference.Mode.OFF
    ).values("category")
    kinds = [kind.key for kind in registry.all()]
    return InAppItem.objects.filter(recipient_id=user_id, kind__in=kinds).exclude(
        category__in=turned_off
    )


def unread_count(*, user: Any) -> int:
    """The person's unread items: one indexed COUNT (the preferences in a subquery)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return _shown(user.pk).filter(read_at__isnull=True).count()


def feed_items(*, user: Any) -> QuerySet[InAppItem]:
    """The person's items, newest (most recently added to) first."""
    return _shown(user.pk).order_by("-updated_at", "-id")


def feed_entries(items: list[InAppItem], *, gone: set[int] | None = None) -> list[FeedEntry]:
    """Render a page of items, one batch context load per type.

    An item that cannot be shown is left out, never the page: its event is
    gone (the follower's account, the post; its id is added to `gone`), or
    its type's code or template fails for it (logged)."""
    by_kind: dict[str, list[InAppItem]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    rendered: dict[int, FeedEntry] = {}
    for kind_key, members in by_kind.items():
        try:
            kind = registry.get(kind_key)
        except UnknownNotificationType:
            continue
        contexts = _contexts(kind, members)
        for item in members:
            context = contexts.get(item.pk)
            if isinstance(context, NotificationObsolete):
                if gone is not None:
                    gone.add(item.pk)
                continue
            if context is None or isinstance(context, Exception):
                logger.warning("in-app item %s could not be shown: %s", item.pk, context)
                continue
            try:
                html, url = render_line(kind=kind, context=context), kind.in_app_url(context)
            except Exception:
                logger.exception("in-app item %s could not be rendered", item.pk)
                continue
            rendered[item.pk] = FeedEntry(item=item, html=html, url=url)
    return [rendered[item.pk] for item in items if item.pk in rendered]


def _contexts(kind: Any, members: list[InAppItem]) -> dict[int, Any]:
    """The type's contexts for `members`, loaded together; if that fails, one
    item at a time, so one malformed item does not hide the others."""
    try:
        return kind.get_contexts(notifications=members)
    except Exception:
        logger.exception("%s: loading the contexts of feed items failed", kind.key)
    contexts: dict[int, Any] = {}
    if len(members) > 1:
        for item in members:
            try:
                contexts.update(kind.get_contexts(notifications=[item]))
            except Exception as error:
                contexts[item.pk] = error
    return contexts


def render_line(*, kind: Any, context: dict[str, Any]) -> str:
    """A type's in-app line (its ``.inapp.html``), in the active language."""
    full = {"site_url": conf.SITE_URL, "site_name": conf.SITE_NAME, **context}
    # Rendered with autoescaping on, so the stripped text is still safe HTML.
    return mark_safe(render_to_string(f"{kind.template_prefix}.inapp.html", full).strip())  # noqa: S308


def items_mark_gone_read(*, user: Any, item_ids: set[int]) -> int:
    """Mark read the person's unread items whose event is gone (feed_entries'
    `gone`): never shown again, they must not keep the bell's count up."""
    if not item_ids:
        return 0
    return InAppItem.objects.filter(
        pk__in=item_ids, recipient_id=user.pk, read_at__isnull=True
    ).update(read_at=timezone.now())


def item_mark_read(*, user: Any, item_id: int) -> bool:
    """Mark one of the person's items read; False if it is not theirs or already read."""
    return bool(
        InAppItem.objects.filter(pk=item_id, recipient_id=user.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    )


def items_mark_all_read(*, user: Any) -> int:
    """Mark every unread item of the person read; how many were."""
    return InAppItem.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
