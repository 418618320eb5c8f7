"""Reads for users and follows, with the joins and counts the pages need."""

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from .models import Follow, User


def user_get_active(*, username: str) -> User:
    """The active user with this username (any case), or Http404."""
    try:
        return User.objects.get(username__iexact=username, is_active=True)
    except User.DoesNotExist:
        raise Http404("No such user.") from None


def profile_get(*, username: str, viewer: User | None = None) -> User:
    """An active user annotated with `followers_count`, `following_count` and
    `viewer_follows` (whether `viewer` follows them), in one query; Http404 if
    there is no such active user."""
    followers = Follow.objects.filter(followed=OuterRef("pk"), follower__is_active=True)
    following = Follow.objects.filter(follower=OuterRef("pk"), followed__is_active=True)
    queryset = User.objects.filter(username__iexact=username, is_active=True).annotate(
        followers_count=_count(followers, per="followed"),
        following_count=_count(following, per="follower"),
    )
    if viewer is not None and viewer.is_authenticated:
        queryset = queryset.annotate(
            viewer_follows=Exists(Follow.objects.filter(follower=viewer, followed=OuterRef("pk")))
        )
    else:
        queryset = queryset.annotate(viewer_follows=Value(False))
    profile = queryset.first()
    if profile is None:
        raise Http404("No such user.")
    return profile


def _count(follows: QuerySet[Follow], *, per: str) -> Coalesce:
    """A correlated COUNT(*) of `follows` grouped by the `per` column."""
    counts = follows.order_by().values(per).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def followers_list(*, user: User) -> QuerySet[Follow]:
    """Follows of `user` by active users, newest first, with the follower loaded."""
    return (
        Follow.objects.filter(followed=user, follower__is_active=True)
        .select_related("follower")
        .order_by("-created_at", "-pk")
    )


def following_list(*, user: User) -> QuerySet[Follow]:
    """Follows by `user` of active users, newest first, with the followed user loaded."""
    return (
        Follow.objects.filter(follower=user, followed__is_active=True)
        .select_related("followed")
        .order_by("-created_at", "-pk")
    )


def is_following(*, follower: User, followed: User) -> bool:
    if not follower.is_authenticated:
        return False
    return Follow.objects.filter(follower=follower, followed=followed).exists()
