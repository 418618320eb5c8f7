"""Template tags a site uses to show the in-app channel: the bell with its unread count.

``{% load notifications_tags %}`` then ``{% notifications_bell %}`` in the
site's header (one cheap COUNT per page), and ``{% notifications_scripts %}``
in its ``<head>`` (htmx, served from the site itself, refreshes the count).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.templatetags.static import static
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext

from ..channels.inapp import unread_count
from ..conf import conf

register = template.Library()

HTMX = "notifications/vendor/htmx-2.0.11.min.js"


@register.inclusion_tag("notifications/bell.html", takes_context=True)
def notifications_bell(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return bell_context(user=user, current=getattr(request, "resolver_match", None))


def bell_context(*, user: Any, current: Any = None) -> dict[str, Any]:
    """What the bell shows; also the count endpoint's answer."""
    signed_in = bool(getattr(user, "is_authenticated", False))
    view_name = getattr(current, "view_name", "")
    return {
        "signed_in": signed_in,
        "count": unread_count(user=user) if signed_in else 0,
        "poll_seconds": conf.FEED_POLL_SECONDS,
        "on_feed": view_name == "notifications:feed",
    }


@register.simple_tag
def notifications_scripts() -> str:
    """htmx with a configuration that keeps a strict Content Security Policy:
    no inline indicator styles, no eval."""
    return format_html(
        '<meta name="htmx-config" content=\'{{"includeIndicatorStyles": false, '
        '"allowEval": false, "allowScriptTags": false}}\'>'
        '<script src="{}" defer></script>',
        static(HTMX),
    )


@register.filter
def ago(moment: datetime) -> str:
    """How long ago `moment` was, in words ("just now" for the last minute)."""
    if timezone.now() - moment < timedelta(minutes=1):
        return gettext("just now")
    return gettext("%(time)s ago") % {"time": timesince(moment)}
