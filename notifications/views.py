"""Recipient-facing pages: one-click unsubscribe and notification preferences."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required, login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .forms import PreferencesForm
from .models import Preference
from .preferences import (
    UnknownCategory,
    configurable_categories,
    configurable_category,
    preference_mode,
    preference_set,
    preferences_for,
    preferences_update,
)
from .tokens import BadUnsubscribeToken, read_unsubscribe_token

Mode = Preference.Mode


@csrf_exempt  # the signed token is the authorisation (RFC 8058 one-click)
@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation; POST (a person's click or a mail client's
    ``List-Unsubscribe=One-Click``) turns the token's category off.

    A GET never changes anything: link scanners in mail systems follow GETs.
    """
    try:
        user_id, category_key = read_unsubscribe_token(token)
        category = configurable_category(category_key)
        user = get_user_model()._default_manager.get(pk=user_id)
    except (BadUnsubscribeToken, UnknownCategory, get_user_model().DoesNotExist):
        response = render(request, "notifications/pages/unsubscribe_invalid.html", status=400)
        response["X-Robots-Tag"] = "noindex"
        return response

    if request.method == "POST":
        preference_set(user=user, category=category.key, mode=Mode.OFF)
        template, context = "notifications/pages/unsubscribe_done.html", {"category": category}
    else:
        already_off = preference_mode(user_id=user.pk, category=category.key) == Mode.OFF
        template = "notifications/pages/unsubscribe_confirm.html"
        context = {"category": category, "already_off": already_off}
    response = render(request, template, context)
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """Choose, per category, immediately, daily digest or off."""
    categories = configurable_categories()
    if request.method == "POST":
        form = PreferencesForm(request.POST, categories=categories)
        if form.is_valid():
            preferences_update(user=request.user, modes=form.modes())
            messages.success(request, _("Your notification preferences were saved."))
            return redirect("notifications:preferences")
    else:
        form = PreferencesForm(categories=categories, initial=preferences_for(user=request.user))
    return render(request, "notifications/pages/preferences.html", {"form": form})
