"""Rendering a notification type's templates: subject, text and HTML, in one language.

Each type has three templates under its prefix: ``.subject.txt`` (flattened to
one line), ``.txt`` (rendered with autoescaping off) and ``.html`` (extending
``notifications/email/base.html``; its CSS is inlined here). Everything is
rendered in the recipient's language and time zone, with absolute links built
from SITE_URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import css_inline
from django.template import Context, engines
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from . import tokens
from .conf import conf
from .models import Notification
from .recipients import recipient_language, recipient_timezone
from .types import NotificationType

# keep_at_rules keeps the @media (prefers-color-scheme: dark) rules, which cannot be inlined.
_inliner = css_inline.CSSInliner(
    load_remote_stylesheets=False, keep_style_tags=False, keep_at_rules=True
)


@dataclass
class RenderedEmail:
    subject: str
    body_text: str
    body_html: str
    language: str
    headers: dict[str, str] = field(default_factory=dict)


def _text_engine():  # type: ignore[no-untyped-def]
    return engines["django"].engine


def render_text(template_name: str, context: dict[str, Any]) -> str:
    """Render a plain-text template with autoescaping off."""
    template = _text_engine().get_template(template_name)
    return template.render(Context(context, autoescape=False))


def inline_css(html: str) -> str:
    return _inliner.inline(html)


def optional_url(name: str, **kwargs: Any) -> str | None:
    """Absolute URL of a named route, or None when the project has no such route."""
    try:
        return conf.absolute_url(reverse(name, kwargs=kwargs or None))
    except NoReverseMatch:
        return None


def unsubscribe_link(*, user_id: object, category: str) -> str | None:
    """The one-click unsubscribe URL, or None in a project that does not mount
    notifications.urls (the email then goes out without the link and headers)."""
    try:
        return tokens.unsubscribe_url(user_id=user_id, category=category)
    except NoReverseMatch:
        return None


# C0 and C1 controls, and the marks that reorder text (a name could make the
# rest of a subject read backwards).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def render_subject(kind: NotificationType, context: dict[str, Any]) -> str:
    """The subject template rendered and flattened to one line (no header
    injection), without control characters: a name given outside the site's
    forms may carry an escape sequence a terminal or mail client would act on."""
    text = render_text(f"{kind.template_prefix}.subject.txt", context)
    return _CONTROL_CHARACTERS.sub("", " ".join(text.split()))


def render_type(
    *,
    kind: NotificationType,
    context: dict[str, Any],
    language: str,
    recipient: Any | None = None,
) -> RenderedEmail:
    """Render the three templates of `kind` with `context` in `language`."""
    headers: dict[str, str] = {}
    unsubscribe_url = None
    if recipient is not None and not kind.category.transactional:
        unsubscribe_url = unsubscribe_link(user_id=recipient.pk, category=kind.category.key)
        if unsubscribe_url:
            headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    zone = recipient_timezone(recipient)
    with translation.override(language), timezone.override(zone):
        full = {
            "site_url": conf.SITE_URL,
            "site_name": conf.SITE_NAME,
            "recipient": recipient,
            "category": kind.category,
            "unsubscribe_url": unsubscribe_url,
            "preferences_url": optional_url("notifications:preferences"),
            "language_code": language,
            **context,
        }
        prefix = kind.template_prefix
        subject = render_subject(kind, full)
        body_text = render_text(f"{prefix}.txt", full).strip() + "\n"
        body_html = inline_css(render_to_string(f"{prefix}.html", full))
    return RenderedEmail(subject, body_text, body_html, language, headers)


def notification_language(notification: Notification) -> str:
    """The language a typed row is rendered in: its recipient's (as stored, if gone)."""
    if notification.recipient is not None:
        return recipient_language(notification.recipient)
    return notification.language or recipient_language(None)


def render_notification(
    *,
    notification: Notification,
    kind: NotificationType,
    context: dict[str, Any] | None = None,
) -> RenderedEmail:
    """Render a typed row for its recipient.

    `context` is the type's context when the worker loaded it for a whole
    batch (NotificationType.get_contexts); without it get_context is called.
    Raises NotificationObsolete (from the type) when it should not be sent.
    """
    recipient = notification.recipient
    language = notification_language(notification)
    if context is None:
        with translation.override(language):
            context = kind.get_context(notification=notification)
    return render_type(kind=kind, context=context, language=language, recipient=recipient)
