"""Reads for posts: the timelines. Each loads its authors in the same query,
so a page costs the same number of queries however many posts it shows."""

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404

from accounts.models import Follow, User

from .mentions import mentioned_usernames
from .models import Post


def _visible_posts() -> QuerySet[Post]:
    return Post.objects.filter(author__is_active=True).select_related("author")


def timeline_home(*, user: User) -> QuerySet[Post]:
    """The user's own posts and those of everyone they follow, newest first."""
    followed_ids = Follow.objects.filter(follower=user).values("followed_id")
    return (
        _visible_posts()
        .filter(Q(author=user) | Q(author_id__in=followed_ids))
        .order_by("-created_at", "-id")
    )


def timeline_explore() -> QuerySet[Post]:
    """Everyone's posts, newest first."""
    return _visible_posts().order_by("-created_at", "-id")


def post_get(*, pk: int) -> Post:
    """One post whose author is active, or Http404."""
    return get_object_or_404(_visible_posts(), pk=pk)


def posts_by_author(*, author: User) -> QuerySet[Post]:
    """One user's posts, newest first."""
    return (
        Post.objects.filter(author=author).select_related("author").order_by("-created_at", "-id")
    )


def mentionable_users(*, posts: Iterable[Post]) -> dict[str, str]:
    """The active users mentioned in `posts`, as lower-cased name → username,
    in one query for all of them (none when nobody is mentioned)."""
    names = {name for post in posts for name in mentioned_usernames(post.body)}
    if not names:
        return {}
    usernames = (
        User.objects.annotate(username_lower=Lower("username"))
        .filter(username_lower__in=names, is_active=True)
        .values_list("username", flat=True)
    )
    return {username.lower(): username for username in usernames}
