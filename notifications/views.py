"""The framework's pages: the in-app feed, one-click unsubscribe and
preferences for recipients, ``/healthz`` for load balancers and operators,
and the Prometheus endpoint for monitoring."""

from __future__ import annotations

import logging
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required, login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from . import queue
from .channels.inapp import (
    feed_entries,
    feed_items,
    item_mark_read,
    items_mark_all_read,
    items_mark_gone_read,
    unread_count,
)
from .conf import conf
from .forms import IN_APP_SUFFIX, PreferencesForm
from .metrics import Access, metrics_access, metrics_exposition
from .models import Preference
from .preferences import (
    UnknownCategory,
    configurable_categories,
    configurable_category,
    digest_for_the_excess,
    preference_mode,
    preference_set,
    preferences_for,
    preferences_page_save,
)
from .recipients import recipient_timezone
from .selectors import heartbeat_age, notifications_oldest_due_age
from .templatetags.notifications_tags import bell_context
from .timing import quiet_hours_of
from .tokens import BadUnsubscribeToken, read_unsubscribe_token

logger = logging.getLogger(__name__)

Mode = Preference.Mode
Channel = Preference.Channel

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
        User = get_user_model()
        # A signed key this user model cannot hold (a text key where keys are
        # numbers) is refused like an unknown user.
        user = User._default_manager.get(pk=User._meta.pk.to_python(user_id))
    except (BadUnsubscribeToken, UnknownCategory, ValidationError, get_user_model().DoesNotExist):
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
    """Choose, per category, how email comes and whether it shows in the app;
    and optional quiet hours."""
    categories = configurable_categories()
    limit = conf.HOURLY_LIMIT or None
    if request.method == "POST":
        form = PreferencesForm(request.POST, categories=categories, hourly_limit=limit)
        if form.is_valid():
            preferences_page_save(
                user=request.user,
                email=form.modes(Channel.EMAIL),
                in_app=form.modes(Channel.IN_APP),
                quiet_start=form.cleaned_data["quiet_start"],
                quiet_end=form.cleaned_data["quiet_end"],
                digest_for_the_excess=form.cleaned_data.get("digest_for_the_excess"),
            )
            messages.success(request, _("Your notification preferences were saved."))
            return redirect("notifications:preferences")
    else:
        form = PreferencesForm(
            categories=categories, hourly_limit=limit, initial=_preferences_initial(request.user)
        )
    context = {
        "form": form,
        "time_zone": recipient_timezone(request.user).key,
        "digest_hour": conf.DIGEST_HOUR,
    }
    return render_page(request, "notifications/pages/preferences.html", context)


@login_required
@require_GET
def feed(request: HttpRequest) -> HttpResponse:
    """The person's in-app notifications, newest first, a page at a time."""
    page = Paginator(
        feed_items(user=request.user).select_related("recipient"), conf.FEED_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    gone: set[int] = set()
    entries = feed_entries(list(page), gone=gone)
    items_mark_gone_read(user=request.user, item_ids=gone)
    context = {"page": page, "entries": entries, "unread": unread_count(user=request.user)}
    return render_page(request, "notifications/pages/feed.html", context)


def _signed_in_else_to_the_feed(view: Any) -> Any:
    """login_required for a POST-only view: someone whose session ended signs
    in and lands on the feed (back at this URL, their browser's GET is a 405)."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(reverse("notifications:feed"))
        return view(request, *args, **kwargs)

    return login_not_required(checked)


@_signed_in_else_to_the_feed
@require_POST
def item_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one item read, then back to where the person was (or the feed)."""
    item_mark_read(user=request.user, item_id=pk)
    return _back(request)


@_signed_in_else_to_the_feed
@require_POST
def items_read(request: HttpRequest) -> HttpResponse:
    """Mark every unread item read."""
    done = items_mark_all_read(user=request.user)
    if done:
        messages.success(request, _("All notifications are marked as read."))
    return _back(request)


@login_not_required
@never_cache
@require_safe
def bell(request: HttpRequest) -> HttpResponse:
    """The bell with its count, for the page to refresh it in place."""
    context = bell_context(user=request.user)
    return render(request, "notifications/bell.html", context)


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    # A path of this site only: redirect() would take "x" for a view's name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect("notifications:feed")


def _preferences_initial(user: Any) -> dict[str, Any]:
    initial: dict[str, Any] = dict(preferences_for(user=user, channel=Channel.EMAIL))
    for key, mode in preferences_for(user=user, channel=Channel.IN_APP).items():
        initial[key + IN_APP_SUFFIX] = mode
    quiet = quiet_hours_of(user_id=user.pk)
    if quiet is not None:
        initial.update(quiet_start=quiet.start, quiet_end=quiet.end)
    initial["digest_for_the_excess"] = digest_for_the_excess(user_id=user.pk)
    return initial


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
@require_safe  # load balancers probe with GET or HEAD
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


@login_not_required
@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The delivery metrics in Prometheus's format, for a scraper with the token
    or from an allowed address; 404 while neither is configured."""
    access = metrics_access(
        remote_addr=request.META.get("REMOTE_ADDR", ""),
        authorization=request.headers.get("Authorization", ""),
    )
    if access is not Access.ALLOWED:
        response = HttpResponse(status=access.value)
        if access is Access.NO_TOKEN:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics_exposition(accept=request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type)
