"""Showing an email's own HTML to staff inside the site, safely.

An email's HTML carries inline styles (CSS is inlined at render time), which
the site's strict Content Security Policy forbids. So the HTML is served on its
own URL, under a policy of its own that allows those styles and nothing
active, and shown in a sandboxed iframe on the same origin.
"""

from django.http import HttpResponse
from django.utils.csp import CSP
from django.utils.html import format_html
from django.utils.translation import gettext as _

EMAIL_HTML_POLICY = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": ["https:", "http:", "data:"],
    "frame-ancestors": [CSP.SELF],
    "sandbox": True,
}


def email_html_response(html: str) -> HttpResponse:
    """The email HTML as a page that may only be framed by this site."""
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response._csp_config = EMAIL_HTML_POLICY  # what django.views.decorators.csp sets
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


def email_html_iframe(src: str) -> str:
    """A sandboxed iframe showing the page at `src` (from email_html_response)."""
    return format_html(
        '<iframe sandbox="" src="{}" class="email-html notification-preview" title="{}"></iframe>',
        src,
        _("HTML version"),
    )
