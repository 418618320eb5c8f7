"""Throttled sign-in (django-axes): which account an attempt was for, and the
page a locked-out attempt gets."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

LOCKED_OUT_STATUS = 429


def login_username(request: HttpRequest, credentials: dict | None) -> str:
    """The username an attempt targets, as one account: usernames ignore case."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(username).strip().lower()[:150]


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The same page whether or not the account exists: nothing to enumerate."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return render(
        request,
        "registration/locked_out.html",
        {"cooloff_minutes": minutes},
        status=LOCKED_OUT_STATUS,
    )
