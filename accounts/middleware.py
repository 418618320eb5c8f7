"""Per-request bookkeeping for the signed-in user."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from .services import user_touch_last_seen


class UserLanguageMiddleware:
    """Serve each signed-in user in the language and time zone stored on their profile."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
            timezone.activate(user.time_zone)
        else:
            timezone.deactivate()
        return self.get_response(request)


class LastSeenMiddleware:
    """Record when a signed-in user was last seen (a write every few minutes at most)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            user_touch_last_seen(user=user)
        return self.get_response(request)
