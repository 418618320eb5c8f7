"""Reads for users and follows, with the joins and counts the pages need."""

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, Lower
from django.http import Http404

from .models import Follow, User


def user_get_active(*, username: str) -> User:
    """The active user with this username (any case), or Http404."""
    try:
        return User.objects.named(username).get(is_active=True)
    except User.DoesNotExist:
        raise Http404("No such user.") from None


def profile_get(*, username: str, viewer: User | None = None) -> User:
    """An active user annotated with `followers_count`, `following_count` and
    `viewer_follows` (whether `viewer` follows them), in one query; Http404 if
    there is no such active user."""
    followers = Follow.objects.filter(followed=OuterRef("pk"), follower__is_active=True)
    following = Follow.objects.filter(follower=OuterRef("pk"), followed__is_active=True)
    queryset = (
        User.objects.named(username)
        .filter(is_active=True)
        .annotate(
            followers_count=_count(followers, per="followed"),
            following_count=_count(following, per="follower"),
        )
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


def _with_followers_count(users: QuerySet[User]) -> QuerySet[User]:
    """`users` annotated with `followers_count` (active followers only)."""
    followers = Follow.objects.filter(followed=OuterRef("pk"), follower__is_active=True)
    return users.annotate(followers_count=_count(followers, per="followed"))


def _with_viewer_follows(users: QuerySet[User], viewer: User | None) -> QuerySet[User]:
    """`users` annotated with `viewer_follows`: whether `viewer` follows each."""
    if viewer is None or not viewer.is_authenticated:
        return users.annotate(viewer_follows=Value(False))
    follows = Follow.objects.filter(follower=viewer, followed=OuterRef("pk"))
    return users.annotate(viewer_follows=Exists(follows))


# Explore shows this many suggestions: enough to choose from, few enough to read.
PEOPLE_TO_FOLLOW = 5


def people_to_follow(*, viewer: User | None, limit: int = PEOPLE_TO_FOLLOW) -> list[User]:
    """Active people the viewer might follow, most followed first, then the
    newest, in one query, annotated like profile_get.

    Never the viewer, nor anyone they already follow. Staff accounts are left
    out: they run the site, and suggesting them would crowd out its people.
    """
    users = User.objects.filter(is_active=True, is_staff=False)
    if viewer is not None and viewer.is_authenticated:
        followed = Follow.objects.filter(follower=viewer).values("followed_id")
        users = users.exclude(pk=viewer.pk).exclude(pk__in=followed)
    users = _with_followers_count(users).annotate(viewer_follows=Value(False))
    return list(users.order_by("-followers_count", "-date_joined", "-pk")[:limit])


def people_search(*, query: str, viewer: User | None) -> QuerySet[User]:
    """Active users whose username or full name contains `query`, in any case;
    usernames that start with it first, then alphabetically. Annotated with
    `followers_count` and `viewer_follows`, for a paginated list."""
    full_name = Concat("first_name", Value(" "), "last_name", output_field=CharField())
    users = (
        User.objects.filter(is_active=True)
        .annotate(full_name=full_name)
        .filter(Q(username__icontains=query) | Q(full_name__icontains=query))
        .annotate(
            prefix_rank=Case(
                When(username__istartswith=query, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
    )
    users = _with_viewer_follows(_with_followers_count(users), viewer)
    return users.order_by("prefix_rank", Lower("username"), "pk")


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
