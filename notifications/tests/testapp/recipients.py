"""The recipient getters NOTIFICATIONS names: language and time zone from the Profile."""

from __future__ import annotations

from typing import Any

from .models import Profile


def _profile(user: Any) -> Profile | None:
    try:
        return user.profile
    except Profile.DoesNotExist:
        return None


def profile_language(user: Any) -> str:
    """The language on the user's profile; "" (the site's language) without one."""
    profile = _profile(user)
    return profile.language if profile else ""


def profile_timezone(user: Any) -> str:
    """The time zone on the user's profile; "" (the site's time zone) without one."""
    profile = _profile(user)
    return profile.timezone if profile else ""
