"""Writes for posts."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User

from .models import POST_MAX_LENGTH, Post


def post_create(*, author: User, body: str) -> Post:
    """Publish a post. Surrounding whitespace is dropped; an empty post or one
    longer than POST_MAX_LENGTH characters raises ValidationError."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write something before posting.")}, code="required")
    if len(body) > POST_MAX_LENGTH:
        raise ValidationError(
            {
                "body": _("A post can have at most %(limit)d characters (it has %(length)d).")
                % {"limit": POST_MAX_LENGTH, "length": len(body)}
            },
            code="max_length",
        )
    post = Post(author=author, body=body)
    post.full_clean()
    # The mention emails' outbox rows are written by the post_save receiver:
    # in this transaction, so a post never commits without them.
    with transaction.atomic():
        post.save()
    return post
