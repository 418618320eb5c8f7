"""Writes for users and follows. Views, admin and commands all call these."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .exceptions import InactiveUserError, SelfFollowError
from .models import Follow, User

# Recording every request would write to the database on every page view;
# once per interval is precise enough for "last seen".
LAST_SEEN_INTERVAL = timedelta(minutes=5)


def user_create(
    *,
    username: str,
    email: str,
    password: str | None,
    language: str = "en",
    timezone: str = "",
    superuser: bool = False,
) -> User:
    """Validate and create an active user; `password=None` leaves it unusable.

    `superuser=True` makes a staff member with every permission (the admin).
    """
    user = User(
        username=username,
        email=User.objects.normalize_email(email),
        language=language,
        timezone=timezone,
        is_staff=superuser,
        is_superuser=superuser,
    )
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.full_clean()
    user.save()
    return user


def profile_update(*, user: User, about_me: str, language: str, timezone: str = "") -> User:
    """Change what a user shows about themselves, the language they read in and
    the time zone they live in (blank: the site's default)."""
    user.about_me = about_me.strip()
    user.language = language
    user.timezone = timezone
    user.full_clean(exclude=["password"])
    user.save(update_fields=["about_me", "language", "timezone"])
    return user


def user_language_set(*, user: User, language: str) -> User:
    """Store the language a signed-in user chose in the language switcher."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Unknown language."), code="invalid_language")
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user


def follow_create(*, follower: User, followed: User) -> Follow:
    """Make `follower` follow `followed`; following twice returns the existing row."""
    if follower.pk == followed.pk:
        raise SelfFollowError(_("You cannot follow yourself."))
    if not followed.is_active:
        raise InactiveUserError(_("This account is deactivated."))
    # get_or_create inside the transaction: the post_save signal (created=True
    # only the first time) fires while the row is still uncommitted, so any
    # on_commit hook of a receiver runs only if the follow really persists.
    with transaction.atomic():
        follow, _created = Follow.objects.get_or_create(follower=follower, followed=followed)
    return follow


def follow_delete(*, follower: User, followed: User) -> bool:
    """Stop following; returns whether a follow existed. Deletes through the ORM
    so that post_delete signals fire."""
    with transaction.atomic():
        deleted, _per_model = Follow.objects.filter(follower=follower, followed=followed).delete()
    return deleted > 0


def user_touch_last_seen(*, user: User, now: datetime | None = None) -> bool:
    """Record that the user was active, at most once per LAST_SEEN_INTERVAL.

    Decides from the already-loaded user, so a recent visit costs no query.
    Returns whether the database was written.
    """
    now = now or timezone.now()
    if user.last_seen is not None and now - user.last_seen < LAST_SEEN_INTERVAL:
        return False
    User.objects.filter(pk=user.pk).update(last_seen=now)
    user.last_seen = now
    return True
