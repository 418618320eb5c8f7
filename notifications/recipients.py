"""How the framework reads a recipient, whatever the project's user model.

The address comes from the model's own ``get_email_field_name()`` (contrib
auth's ``EMAIL_FIELD``), never from a hard-coded ``email`` attribute. The
language and time zone come from getters a project can replace in
``NOTIFICATIONS`` (``RECIPIENT_LANGUAGE``, ``RECIPIENT_TIMEZONE``: dotted
paths to callables taking the user); the built-in ones use a ``language`` /
``timezone`` attribute when the model has one and the project's
``LANGUAGE_CODE`` / ``TIME_ZONE`` otherwise.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.utils.module_loading import import_string

from .conf import conf


def user_key(key: object) -> int | str:
    """A user's primary key in the one form the framework writes it, in JSON
    params (actors), group keys and signed links: an integer key as a number,
    any other (a UUID, a text key) as the text of the key field's own value.

    The key field reads `key` first, so 5 and "5", or a UUID and its hex, are
    the same user however a caller passed them. Raises ValidationError for a
    value the field cannot hold.
    """
    value = get_user_model()._meta.pk.to_python(key)
    return value if isinstance(value, int) else str(value)


def email_field_name() -> str | None:
    """The user model's email field (``EMAIL_FIELD``, "email" by default), or
    None for a model that has no such field (its users get no email)."""
    User = get_user_model()
    name = User.get_email_field_name()
    try:
        User._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return name


def recipient_address(user: Any) -> str:
    """The address mail to `user` goes to, or "" when it has none."""
    if user is None:
        return ""
    name = user.get_email_field_name() if hasattr(user, "get_email_field_name") else "email"
    return str(getattr(user, name, "") or "").strip()


def recipient_can_receive(user: Any) -> bool:
    """An existing, active user with an address."""
    return user is not None and getattr(user, "is_active", True) and bool(recipient_address(user))


def user_with_address(address: str) -> Any | None:
    """The user whose address is `address` (any case), or None."""
    field = email_field_name()
    if not address or field is None:
        return None
    lookup = {f"{field}__iexact": address}
    return get_user_model()._default_manager.filter(**lookup).first()


def default_language(user: Any) -> str:
    """The user's ``language`` attribute, when the model has one and it is set."""
    return str(getattr(user, "language", "") or "")


def default_timezone(user: Any) -> str:
    """The user's ``timezone`` attribute, when the model has one and it is set."""
    return str(getattr(user, "timezone", "") or "")


@cache
def _getter(path: str | None, fallback: Callable[[Any], str]) -> Callable[[Any], str]:
    return import_string(path) if path else fallback


def recipient_language(user: Any) -> str:
    """The language `user` reads email in: the getter's answer, else LANGUAGE_CODE."""
    language = ""
    if user is not None:
        language = _getter(conf.RECIPIENT_LANGUAGE, default_language)(user) or ""
    return language or settings.LANGUAGE_CODE


def recipient_timezone(user: Any) -> zoneinfo.ZoneInfo:
    """The time zone `user` lives in: the getter's answer, else TIME_ZONE (else UTC)."""
    name = ""
    if user is not None:
        name = _getter(conf.RECIPIENT_TIMEZONE, default_timezone)(user) or ""
    for candidate in (name, settings.TIME_ZONE, "UTC"):
        try:
            return zoneinfo.ZoneInfo(str(candidate))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
    return zoneinfo.ZoneInfo("UTC")  # pragma: no cover - UTC always exists
