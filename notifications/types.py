"""Notification types: small declarative classes registered with the framework.

A type says what an email is about (key, category, templates) and how to build
its template context from the JSON-serialisable ids stored on the outbox row.
Apps define their types in their own ``notifications.py`` and register them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.functional import Promise

from .exceptions import NotificationsError

if TYPE_CHECKING:
    from .models import Notification


# The channels a notification can reach its recipient on.
EMAIL = "email"
IN_APP = "in_app"
CHANNELS = (EMAIL, IN_APP)


@dataclass(frozen=True)
class Category:
    key: str
    label: str | Promise
    transactional: bool = False


class NotificationType:
    """Base class of a notification type. Subclass, set the attributes, register."""

    key: ClassVar[str]
    category: ClassVar[Category]
    # Templates: <template_prefix>.subject.txt, .txt and .html for email, and
    # .inapp.html (one short line, a sentence) for the in-app feed.
    template_prefix: ClassVar[str]
    # Where it reaches the recipient: EMAIL, IN_APP or both.
    channels: ClassVar[tuple[str, ...]] = (EMAIL,)
    # Coalescing types merge a burst of events to one recipient into one row
    # whose params["actor_ids"] lists every actor (see services.py).
    coalesce: ClassVar[bool] = False

    def get_context(self, *, notification: Notification) -> dict[str, Any]:
        """Template context for `notification`, loaded from its params.

        Raise `NotificationObsolete` when the email no longer makes sense
        (the follow was undone, the post deleted): the row is cancelled.

        A type needs only one of get_context and get_contexts: by default each
        is built on the other (a batch of one here).
        """
        if type(self).get_contexts is NotificationType.get_contexts:
            raise NotImplementedError(f"{type(self).__name__} defines no context loader")
        context = self.get_contexts(notifications=[notification])[notification.pk]
        if isinstance(context, Exception):
            raise context
        return context

    def get_contexts(
        self, *, notifications: list[Notification]
    ) -> dict[int, dict[str, Any] | Exception]:
        """Template contexts for a batch of rows of this type, by row id.

        The worker calls this once per batch (rows of one language, inside
        that language's translation), so a type can load what its rows refer
        to in a few queries instead of a few per row. A row whose email no
        longer makes sense maps to a `NotificationObsolete`; a row that could
        not be built maps to the exception raised for it. The default calls
        get_context for each row.
        """
        contexts: dict[int, dict[str, Any] | Exception] = {}
        for notification in notifications:
            try:
                contexts[notification.pk] = self.get_context(notification=notification)
            except Exception as error:
                contexts[notification.pk] = error
        return contexts

    def in_app_url(self, context: dict[str, Any]) -> str:
        """Where an in-app item links to: the context's ``target_url`` by default."""
        return str(context.get("target_url") or "")

    def sample_params(self) -> dict[str, Any]:  # pragma: no cover - overridden
        """Params for the staff preview page."""
        return {}

    def sample_context(self) -> dict[str, Any] | None:
        """A template context for the staff preview page, built without the
        database; None means "call get_context with sample_params"."""
        return None


class NotificationObsolete(NotificationsError):
    """The notification should no longer be sent; the message is the reason."""


class UnknownNotificationType(NotificationsError, LookupError):
    pass


class NotificationRegistry:
    def __init__(self) -> None:
        self._types: dict[str, NotificationType] = {}

    def register(self, cls: type[NotificationType]) -> type[NotificationType]:
        """Class decorator: ``@registry.register``."""
        if cls.key in self._types:
            raise ValueError(f"notification type {cls.key!r} is already registered")
        self._types[cls.key] = cls()
        return cls

    def get(self, key: str) -> NotificationType:
        try:
            return self._types[key]
        except KeyError:
            raise UnknownNotificationType(key) from None

    def __contains__(self, key: object) -> bool:
        return key in self._types

    def all(self) -> list[NotificationType]:
        return list(self._types.values())

    def categories(self) -> list[Category]:
        """Every category, in registration order, without duplicates."""
        seen: dict[str, Category] = {}
        for kind in self._types.values():
            seen.setdefault(kind.category.key, kind.category)
        return list(seen.values())


registry = NotificationRegistry()
register = registry.register
