"""Notification types owned by accounts (new_follower), and the services
that start and withdraw them."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from notifications.conf import conf
from notifications.enqueue import notification_enqueue, notification_withdraw_actor
from notifications.models import Notification
from notifications.types import (
    EMAIL,
    IN_APP,
    Category,
    NotificationObsolete,
    NotificationType,
    register,
)

from . import avatars
from .models import Follow, User

SOCIAL = Category("social", _("New followers"))


def profile_path(username: str) -> str:
    """The path of a profile page (the in-app feed links with paths)."""
    try:
        return reverse("timeline:profile", kwargs={"username": username})
    except NoReverseMatch:
        return f"/u/{username}/"


def profile_url(username: str) -> str:
    """Absolute URL of a profile page (emails link with absolute URLs)."""
    return conf.absolute_url(profile_path(username))


def followers_path(username: str) -> str:
    try:
        return reverse("timeline:followers", kwargs={"username": username})
    except NoReverseMatch:
        return f"/u/{username}/followers/"


def followers_headline(names: list[str]) -> str:
    """ "bob is now following you!", or the wording for several followers."""
    if len(names) == 1:
        return gettext("%(name)s is now following you!") % {"name": names[0]}
    if len(names) == 2:
        return gettext("%(first)s and %(second)s are now following you") % {
            "first": names[0],
            "second": names[1],
        }
    others = len(names) - 2
    return ngettext(
        "%(first)s, %(second)s and %(count)d other are now following you",
        "%(first)s, %(second)s and %(count)d others are now following you",
        others,
    ) % {"first": names[0], "second": names[1], "count": others}


def avatar_card(user: Any, size: int = 96) -> dict[str, Any]:
    """What an email shows of a person's avatar: the image's absolute URL (the
    site's own drawing unless Gravatar is on), and the initials and colour that
    stand in when a mail client does not load images.

    A made-up person (the admin's previews) has no account, so the site serves
    no picture of them: the URL is empty and the initials alone are shown.
    """
    has_picture = user.pk is not None or avatars.gravatar_enabled()
    return {
        "avatar_url": conf.absolute_url(user.avatar_url(size)) if has_picture else "",
        "initials": user.avatar_initials,
        "avatar_colour": user.avatar_colour,
    }


def _follower_card(user: Any) -> dict[str, Any]:
    return {
        "username": user.username,
        "name": user.get_full_name() or user.username,
        **avatar_card(user),
        "profile_url": profile_url(user.username),
        # Following back is a POST on the profile page; the link lands there.
        "follow_back_url": profile_url(user.username),
    }


def new_follower_context(*, followers: list[Any], recipient: Any | None) -> dict[str, Any]:
    cards = [_follower_card(user) for user in followers]
    return {
        "followers": cards,
        "follower": cards[0],
        "others": cards[1:],
        "headline": followers_headline([card["username"] for card in cards]),
        "recipient_profile_url": profile_url(recipient.username) if recipient else "",
        # In the app: one follower's profile, or the list of everyone's.
        "target_url": (
            profile_path(cards[0]["username"])
            if len(cards) == 1 or recipient is None
            else followers_path(recipient.username)
        ),
    }


@register
class NewFollower(NotificationType):
    """Someone (or, coalesced, several people) started following the recipient."""

    key = "new_follower"
    category = SOCIAL
    template_prefix = "accounts/email/new_follower"
    channels = (EMAIL, IN_APP)
    coalesce = True

    def get_contexts(
        self, *, notifications: list[Notification]
    ) -> dict[int, dict[str, Any] | Exception]:
        """The follows and followers of a whole batch, in two queries."""
        actors = {
            row.pk: [int(a) for a in row.params.get("actor_ids", [])] for row in notifications
        }
        wanted = {a for ids in actors.values() for a in ids}
        recipients = {row.recipient_id for row in notifications}
        follows = set(
            Follow.objects.filter(followed_id__in=recipients, follower_id__in=wanted).values_list(
                "followed_id", "follower_id"
            )
        )
        followers_of = {follower for _, follower in follows}
        users = {u.pk: u for u in User.objects.filter(pk__in=followers_of, is_active=True)}
        contexts: dict[int, dict[str, Any] | Exception] = {}
        for row in notifications:
            followers = [
                users[pk]
                for pk in actors[row.pk]
                if pk in users and (row.recipient_id, pk) in follows
            ]
            if not followers:
                contexts[row.pk] = NotificationObsolete("the follow was undone before sending")
                continue
            try:
                contexts[row.pk] = new_follower_context(
                    followers=followers, recipient=row.recipient
                )
            except Exception as error:
                contexts[row.pk] = error
        return contexts

    def sample_params(self) -> dict[str, Any]:
        return {"actor_ids": []}

    def sample_context(self) -> dict[str, Any]:
        samples = [
            User(username=name, email=f"{name}@example.com")
            for name in ("bob", "carol", "dave", "erin")
        ]
        return new_follower_context(followers=samples, recipient=None)


def new_follower_notify(*, follow: Follow) -> Notification | None:
    """Tell the followed user about a new follow (after commit, by the worker)."""
    return notification_enqueue(
        kind=NewFollower.key, recipient=follow.followed, actor_id=follow.follower_id
    )


def new_follower_withdraw(*, follow: Follow) -> int:
    """An unfollow before the email went out takes the follower off it."""
    return notification_withdraw_actor(
        kind=NewFollower.key, recipient_id=follow.followed_id, actor_id=follow.follower_id
    )
