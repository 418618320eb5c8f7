"""Signed tokens for links sent by email (unsubscribe).

A token names one recipient and one category. It is signed with the project's
SECRET_KEY through django.core.signing under its own salt, so it cannot be
reused as any other kind of signed value. It carries no expiry by default:
an unsubscribe link in a years-old email must still work.
"""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

from .conf import conf
from .exceptions import NotificationsError
from .recipients import user_key

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


class BadUnsubscribeToken(NotificationsError, ValueError):
    """The unsubscribe token was tampered with, truncated or is not one of ours."""


def make_unsubscribe_token(*, user_id: object, category: str) -> str:
    """A URL-safe signed token naming `user_id` (as recipients.user_key writes
    it: a UUID or text key as text) and `category`."""
    return signing.dumps([user_key(user_id), str(category)], salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(
    token: str, *, max_age: float | None = None
) -> tuple[int | str, str]:
    """The (user_id, category) a token names.

    Raises BadUnsubscribeToken when the signature does not match, the token is
    older than `max_age` seconds (when given) or its content is malformed.
    """
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=max_age)
    except signing.SignatureExpired as error:
        raise BadUnsubscribeToken("the unsubscribe link has expired") from error
    except signing.BadSignature as error:
        raise BadUnsubscribeToken("the unsubscribe link is not valid") from error
    match value:
        case [int() | str() as user_id, str() as category] if category and user_id != "":
            return user_id, category
    raise BadUnsubscribeToken("the unsubscribe link is not valid")


def unsubscribe_url(*, user_id: object, category: str) -> str:
    """Absolute one-click unsubscribe URL for one recipient and category."""
    token = make_unsubscribe_token(user_id=user_id, category=category)
    return conf.absolute_url(reverse("notifications:unsubscribe", kwargs={"token": token}))
