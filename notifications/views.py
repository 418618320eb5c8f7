"""The framework's pages: one-click unsubscribe and preferences for recipients,
and ``/healthz`` for load balancers and operators."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required, login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from . import queue
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
from .selectors import heartbeat_age, notifications_oldest_due_age
from .tokens import BadUnsubscribeToken, read_unsubscribe_token

logger = logging.getLogger(__name__)

Mode = Preference.Mode

SITE_LAYOUT = "base.html"
STANDALONE_LAYOUT = "notifications/layout.html"


def page_layout() -> str:
    """The template notifications/base.html extends: the site's base.html if there is one."""
    try:
        get_template(SITE_LAYOUT)
    except TemplateDoesNotExist:
        return STANDALONE_LAYOUT
    return SITE_LAYOUT


def render_page(
    request: HttpRequest, template: str, context: dict | None = None, *, status: int = 200
) -> HttpResponse:
    """Render one of the framework's pages inside the project's layout."""
    return render(
        request, template, {"notifications_layout": page_layout(), **(context or {})}, status=status
    )


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
        response = render_page(request, "notifications/pages/unsubscribe_invalid.html", status=400)
        response["X-Robots-Tag"] = "noindex"
        return response

    if request.method == "POST":
        preference_set(user=user, category=category.key, mode=Mode.OFF)
        template, context = "notifications/pages/unsubscribe_done.html", {"category": category}
    else:
        already_off = preference_mode(user_id=user.pk, category=category.key) == Mode.OFF
        template = "notifications/pages/unsubscribe_confirm.html"
        context = {"category": category, "already_off": already_off}
    response = render_page(request, template, context)
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
    return render_page(request, "notifications/pages/preferences.html", {"form": form})


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        logger.exception("health check: database unreachable")
        return False


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the task broker answer, 503 otherwise (JSON says which).

    The worker's heartbeat and the backlog's age are reported too but do not
    fail the check: a stuck worker must not take the web servers out of
    rotation (``manage.py notifications_status`` alerts on those).
    """
    checks = {"database": _database_answers(), "broker": queue.broker_ping()}
    body: dict = {"status": "ok" if all(checks.values()) else "error", "checks": checks}
    if checks["database"]:
        body["worker_heartbeat_age"] = heartbeat_age()
        body["oldest_due_age"] = notifications_oldest_due_age()
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)
