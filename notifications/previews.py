"""Previews for staff: every type rendered from its sample, and an email's HTML shown safely.

A type's preview is rendered from its ``sample_context()`` (no database), or
from ``get_context`` with ``sample_params()``.

An email's HTML carries inline styles (CSS is inlined at render time), which
the site's strict Content Security Policy forbids. So the HTML is served on
its own URL, under a policy of its own that allows those styles and nothing
active, and shown in a sandboxed iframe on the same origin.
"""

import logging

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation
from django.utils.csp import CSP
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .channels.inapp import render_line
from .models import Notification
from .rendering import RenderedEmail, render_notification, render_type
from .types import IN_APP, NotificationType

logger = logging.getLogger(__name__)

EMAIL_HTML_POLICY = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": ["https:", "http:", "data:"],
    "frame-ancestors": [CSP.SELF],
    "sandbox": True,
}


# The same, for a page whose links open in tabs of their own (target="_blank"):
# the tabs leave the sandbox, the page itself stays in it.
EMAIL_HTML_POLICY_LINKS_OPEN = {
    **EMAIL_HTML_POLICY,
    "sandbox": ["allow-popups", "allow-popups-to-escape-sandbox"],
}


def email_html_response(html: str, *, links_open: bool = False) -> HttpResponse:
    """The email HTML as a page that may only be framed by this site."""
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    # What django.views.decorators.csp sets.
    response._csp_config = EMAIL_HTML_POLICY_LINKS_OPEN if links_open else EMAIL_HTML_POLICY
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


def email_html_iframe(src: str) -> str:
    """A sandboxed iframe showing the page at `src` (from email_html_response)."""
    return format_html(
        '<iframe sandbox="" src="{}" class="email-html notification-preview" title="{}"></iframe>',
        src,
        _("HTML version"),
    )


def preview_languages() -> list[tuple[str, str]]:
    """The languages previews are rendered in: the project's LANGUAGES when it
    chose them, else its one LANGUAGE_CODE (Django's own list has about a
    hundred: a page of every type in each, for a site that speaks one)."""
    if settings.USE_I18N and settings.is_overridden("LANGUAGES"):
        return list(settings.LANGUAGES)
    code = settings.LANGUAGE_CODE
    return [(code, dict(settings.LANGUAGES).get(code, code))]


def render_sample(kind: NotificationType, language: str) -> RenderedEmail:
    """`kind` rendered from its sample, in `language`, as a preview."""
    with translation.override(language):  # sample contexts hold translated text
        context = kind.sample_context()
    if context is not None:
        return render_type(kind=kind, context=context, language=language)
    row = Notification(kind=kind.key, params=kind.sample_params(), language=language)
    return render_notification(notification=row, kind=kind)


def sample_html(kind: NotificationType, language: str) -> str:
    """`kind`'s sample email as HTML, or a page saying it could not be
    rendered (as the preview list says for it), never an error."""
    try:
        return render_sample(kind, language).body_html
    except Exception as error:  # the type's own code or templates
        logger.exception("preview of %s (%s) could not be rendered", kind.key, language)
        return format_html(
            "<p>{}</p><pre>{}: {}</pre>",
            _("This preview could not be rendered."),
            type(error).__name__,
            error,
        )


def stored_html(row: Notification) -> str:
    """The HTML a row sends: rendered for a type, or its stored message's alternative."""
    if row.body_html:
        return row.body_html
    for alternative in (row.message or {}).get("alternatives", []):
        if alternative.get("mimetype") == "text/html" and not alternative.get("b64"):
            return alternative["content"]
    return ""


def render_sample_in_app(kind: NotificationType, language: str) -> str | None:
    """`kind`'s in-app line from its sample, in `language`; None if it stays out of the app."""
    if IN_APP not in kind.channels:
        return None
    with translation.override(language):
        context = kind.sample_context()
        if context is None:
            return None
        return render_line(kind=kind, context=context)
