"""Notification types owned by posts (mention), and the service that starts them."""

from __future__ import annotations

from typing import Any

from django.db.models.functions import Lower
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.notifications import avatar_card, profile_path, profile_url
from notifications.conf import conf
from notifications.enqueue import notification_enqueue
from notifications.models import Notification
from notifications.types import (
    EMAIL,
    IN_APP,
    Category,
    NotificationObsolete,
    NotificationType,
    register,
)

from .mentions import mentioned_usernames
from .models import Post

MENTIONS = Category("mentions", _("Mentions"))


def post_path(post: Post) -> str:
    """Where a post is: its own page when the site has one, else its place on
    the author's profile."""
    try:
        return reverse("timeline:post", kwargs={"pk": post.pk})
    except NoReverseMatch:
        return profile_path(post.author.username) + f"#post-{post.pk}"


def post_url(post: Post) -> str:
    """Absolute URL of a post, for emails."""
    return conf.absolute_url(post_path(post))


def mention_context(*, post: Post) -> dict[str, Any]:
    author = post.author
    return {
        "post": post,
        "post_body": post.body,
        "post_url": post_url(post),
        "target_url": post_path(post),
        "author": {
            "username": author.username,
            "name": author.get_full_name() or author.username,
            **avatar_card(author),
            "profile_url": profile_url(author.username),
        },
    }


def _post_id(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@register
class Mention(NotificationType):
    """A post mentions the recipient with @username."""

    key = "mention"
    category = MENTIONS
    template_prefix = "microblog/email/mention"
    channels = (EMAIL, IN_APP)

    def get_contexts(
        self, *, notifications: list[Notification]
    ) -> dict[int, dict[str, Any] | Exception]:
        """The posts (and their authors) of a whole batch, in one query."""
        post_ids = {row.pk: _post_id(row.params.get("post_id")) for row in notifications}
        posts = Post.objects.select_related("author").in_bulk(
            {pk for pk in post_ids.values() if pk is not None}
        )
        contexts: dict[int, dict[str, Any] | Exception] = {}
        for row in notifications:
            post = posts.get(post_ids[row.pk])
            if post is None:
                contexts[row.pk] = NotificationObsolete("the post was deleted before sending")
            elif not post.author.is_active:
                contexts[row.pk] = NotificationObsolete("the author's account is no longer active")
            else:
                try:
                    contexts[row.pk] = mention_context(post=post)
                except Exception as error:
                    contexts[row.pk] = error
        return contexts

    def sample_context(self) -> dict[str, Any]:
        author = User(username="bob", email="bob@example.com")
        post = Post(pk=1, author=author, body="Lunch at noon, @alice? 🍜")
        return mention_context(post=post)


def mentions_notify(*, post: Post) -> list[Notification]:
    """Notify each existing user @mentioned in `post` once (never its author)."""
    names = mentioned_usernames(post.body)
    if not names:
        return []
    users = (
        User.objects.annotate(username_lower=Lower("username"))
        .filter(username_lower__in=names, is_active=True)
        .exclude(pk=post.author_id)
    )
    rows = []
    for user in users:
        row = notification_enqueue(
            kind=Mention.key,
            recipient=user,
            params={"post_id": post.pk, "author_id": post.author_id},
            dedupe_key=f"mention:{post.pk}:{user.pk}",
        )
        if row is not None:
            rows.append(row)
    return rows
