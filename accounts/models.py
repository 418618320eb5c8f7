"""Users and who follows whom."""

import zoneinfo
from functools import cache

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import avatars


def validate_time_zone(value: str) -> None:
    """A time zone the system knows by its IANA name (or blank: the site's default)."""
    if value and value not in available_time_zones():
        raise ValidationError(_("Choose a time zone from the list."), code="invalid_time_zone")


@cache
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def default_time_zone() -> str:
    """The zone of users who chose none: the site's TIME_ZONE."""
    return settings.TIME_ZONE


username_validator = RegexValidator(
    r"^[A-Za-z0-9_.-]+\Z",
    _("Use only Latin letters (a-z), digits and the characters _ . -"),
)


class CaseInsensitiveUserManager(UserManager):
    def named(self, username: str) -> "models.QuerySet[User]":
        """The user with `username` in any case (at most one), as a queryset.

        Usernames come from URLs and sign-in forms, which do not limit their
        length. One that no user can have (longer than the field, or with a
        NUL) finds nobody without a query: SQLite refuses a LIKE pattern of
        50,000 bytes and PostgreSQL a NUL character, each with an error.
        """
        if (
            "\x00" in username
            or len(username) > self.model.USERNAME_MAX_LENGTH
            # No username has a letter outside ASCII, and PostgreSQL's
            # case-insensitive match would take "al\u0131ce" (a dotless i) for "alice".
            or not username.isascii()
        ):
            return self.none()
        return self.filter(username__iexact=username)

    def get_by_natural_key(self, username: str) -> "User":
        return self.named(username).get()


class User(AbstractUser):
    USERNAME_MAX_LENGTH = 30

    username = models.CharField(
        _("username"),
        max_length=USERNAME_MAX_LENGTH,
        unique=True,
        validators=[MinLengthValidator(3), username_validator],
        help_text=_("3 to 30 Latin letters (a-z), digits and _ . - only."),
        error_messages={"unique": _("That username is taken.")},
    )
    email = models.EmailField(
        _("email address"),
        unique=True,
        error_messages={"unique": _("An account with that email address already exists.")},
    )
    about_me = models.TextField(_("about me"), max_length=500, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    # An IANA name ("Europe/Berlin"); blank means the site's default zone.
    timezone = models.CharField(
        _("time zone"), max_length=64, blank=True, validators=[validate_time_zone]
    )
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)

    objects = CaseInsensitiveUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="accounts_user_username_ci_unique",
                violation_error_message=_("That username is taken."),
            ),
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                violation_error_message=_("An account with that email address already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def time_zone(self) -> zoneinfo.ZoneInfo:
        """The zone dates are shown to this user in, and their emails are written in.

        A name the system's time zone data no longer has (old aliases move to
        a separate package on some systems) reads as the site's zone."""
        try:
            return zoneinfo.ZoneInfo(self.timezone or default_time_zone())
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(default_time_zone())

    def get_absolute_url(self) -> str:
        return reverse("timeline:profile", kwargs={"username": self.username})

    @property
    def avatar_url_large(self) -> str:
        """The avatar for a profile header (templates cannot pass a size)."""
        return self.avatar_url(256)

    def avatar_url(self, size: int = 80) -> str:
        """The URL of the user's avatar, at least `size` pixels square.

        The site's own drawing of the user's initials (a site-relative URL), or
        Gravatar's absolute URL when settings.AVATARS_GRAVATAR is on.
        """
        if avatars.gravatar_enabled():
            return avatars.gravatar_url(email=self.email, size=size)
        return avatars.avatar_path(username=self.username, size=size)

    @property
    def avatar_initials(self) -> str:
        return avatars.avatar_initials(self.username)

    @property
    def avatar_colour(self) -> str:
        return avatars.avatar_colour(self.username)


class Follow(models.Model):
    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following_set"
    )
    followed = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follower_set"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.UniqueConstraint(fields=["follower", "followed"], name="follow_once"),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("followed")), name="no_self_follow"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.follower} → {self.followed}"
