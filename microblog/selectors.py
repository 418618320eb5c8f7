"""Reads for posts: the timelines. Each loads its authors in the same query,
so a page costs the same number of queries however many posts it shows."""

from django.db.models import Q, QuerySet

from accounts.models import Follow, User

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


def posts_by_author(*, author: User) -> QuerySet[Post]:
    """One user's posts, newest first."""
    return (
        Post.objects.filter(author=author).select_related("author").order_by("-created_at", "-id")
    )
