"""Emails the site writes itself (not notifications): rendered in the
recipient's language from three templates, the HTML in the same look as the
notification emails.

Each email is a subject template (flattened to one line: no header
injection), a text template (which turns autoescaping off itself) and an HTML
template extending "notifications/email/base.html", whose CSS is inlined here
because mail clients drop <style> blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from notifications.conf import uri_of
from notifications.recipients import recipient_timezone

# Keep the @media (prefers-color-scheme: dark) rules, which cannot be inlined.
_inliner = css_inline.CSSInliner(
    load_remote_stylesheets=False, keep_style_tags=False, keep_at_rules=True
)


@dataclass(frozen=True)
class EmailTemplates:
    subject: str
    text: str
    html: str | None = None


def site_url() -> str:
    """SITE_URL as emails link to it: a host in Unicode in its ASCII form
    (IDNA), as the notification emails write it."""
    return uri_of(settings.SITE_URL)


def email_language(language: str | None) -> str:
    """`language` if the site speaks it, else the site's default."""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def render_email(
    *,
    templates: EmailTemplates,
    context: dict[str, Any],
    language: str | None,
    from_email: str | None,
    to: str,
) -> EmailMultiAlternatives:
    """The email for one recipient, rendered in `language` (theirs)."""
    language = email_language(language)
    with translation.override(language):
        full = {"site_url": site_url(), "language_code": language, **context}
        subject = " ".join(render_to_string(templates.subject, full).split())
        body = render_to_string(templates.text, full).strip() + "\n"
        html = _inliner.inline(render_to_string(templates.html, full)) if templates.html else None
    message = EmailMultiAlternatives(subject, body, from_email, [to])
    if html is not None:
        message.attach_alternative(html, "text/html")
    return message


PASSWORD_CHANGED = EmailTemplates(
    subject="registration/password_changed_subject.txt",
    text="registration/password_changed_email.txt",
    html="registration/password_changed_email.html",
)


def password_changed_notice_send(*, user: Any, when: datetime) -> None:
    """Tell `user` their password was changed (by them, on the settings page or
    with a reset link, or by someone who has it): the way back is a reset.
    Account mail: no preference stops it."""
    path = reverse("accounts:password_reset")
    zone = recipient_timezone(user)
    with timezone.override(zone):
        message = render_email(
            templates=PASSWORD_CHANGED,
            context={
                "user": user,
                "when": when,
                "time_zone": zone.key,
                "reset_url": f"{site_url()}{path}",
            },
            language=getattr(user, "language", None),
            from_email=None,
            to=user.email,
        )
    message.send()
