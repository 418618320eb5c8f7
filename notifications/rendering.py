"""Turning an outbox row into an email: templates in, EmailMultiAlternatives out.

Each type has three templates under its prefix: ``.subject.txt`` (flattened to
one line), ``.txt`` (rendered with autoescaping off) and ``.html`` (extending
``notifications/email/base.html``; its CSS is inlined here). Everything is
rendered in the recipient's language, with absolute links built from SITE_URL.
"""

from __future__ import annotations

import base64
import email
import email.policy
from dataclasses import dataclass, field
from email.headerregistry import HeaderRegistry
from email.utils import make_msgid
from typing import Any

import css_inline
from django.core.mail import EmailMultiAlternatives
from django.template import Context, engines
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from . import tokens
from .conf import conf
from .models import Notification
from .types import NotificationType

EMAIL_KIND = "email"

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


class _HeaderRegistry(HeaderRegistry):
    """The email package's header registry, with what it redoes per header cached.

    The standard registry creates a new header class for every header it
    parses, and parses headers that are the same in every notification email
    (From, MIME-Version, the parts' Content-Type and Content-Transfer-Encoding)
    again for each message. Header objects are immutable, so both are kept:
    the classes by name, the parsed values of those constant headers by value.
    The message bytes are unchanged.
    """

    CONSTANT = frozenset(
        {
            "from",
            "mime-version",
            "content-type",
            "content-transfer-encoding",
            "reply-to",
            "list-unsubscribe-post",
        }
    )
    MAX_CACHED = 256

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}
        self._parsed: dict[tuple[str, str], Any] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls

    def __call__(self, name: str, value: Any) -> Any:
        key = name.lower()
        if key not in self.CONSTANT or not isinstance(value, str) or "boundary=" in value:
            return self[name](name, value)
        header = self._parsed.get((key, value))
        if header is None or header.name != name:
            if len(self._parsed) >= self.MAX_CACHED:
                self._parsed.clear()
            header = self._parsed[(key, value)] = self[name](name, value)
        return header


_header_registry = _HeaderRegistry()


class NotificationEmail(EmailMultiAlternatives):
    """An EmailMultiAlternatives whose List-Unsubscribe headers survive SMTP.

    The one-click URL is longer than a folded header line, and Python's email
    package would then RFC 2047-encode it, which mail clients do not decode in
    these headers. They are written as they are instead (still far below the
    998-character line limit).
    """

    raw_headers = ("List-Unsubscribe", "List-Unsubscribe-Post")

    def message(self, *, policy=email.policy.default):  # type: ignore[no-untyped-def]
        msg = super().message(
            policy=policy.clone(refold_source="none", header_factory=_header_registry)
        )
        for name, value in self.extra_headers.items():
            if name in self.raw_headers:
                del msg[name]
                msg.set_raw(name, str(value))
        return msg


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


def unsubscribe_link(*, user_id: int, category: str) -> str | None:
    """The one-click unsubscribe URL, or None in a project that does not mount
    notifications.urls (the email then goes out without the link and headers)."""
    try:
        return tokens.unsubscribe_url(user_id=user_id, category=category)
    except NoReverseMatch:
        return None


def render_subject(kind: NotificationType, context: dict[str, Any]) -> str:
    """The subject template rendered and flattened to one line (no header injection)."""
    text = render_text(f"{kind.template_prefix}.subject.txt", context)
    return " ".join(text.split())


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
    with translation.override(language):
        full = {
            "site_url": conf.SITE_URL,
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
    """The language a typed row is rendered in: its recipient's."""
    recipient = notification.recipient
    return getattr(recipient, "language", "") or notification.language or "en"


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


# --- messages given to Django's mail API, stored as JSON -------------------


def serialize_message(message: EmailMultiAlternatives) -> dict[str, Any]:
    """A JSON-safe copy of an EmailMessage (attachments base64-encoded)."""
    attachments = []
    for attachment in message.attachments:
        if hasattr(attachment, "as_bytes"):  # a MIMEPart given as is
            attachments.append({"mime": base64.b64encode(attachment.as_bytes()).decode()})
            continue
        filename, content, mimetype = attachment
        if hasattr(content, "message"):  # a Django EmailMessage (message/rfc822)
            content = content.message().as_bytes()
        elif hasattr(content, "as_bytes"):
            content = content.as_bytes()
        raw = content.encode() if isinstance(content, str) else bytes(content)
        attachments.append(
            {
                "filename": filename,
                "content": base64.b64encode(raw).decode(),
                "mimetype": mimetype,
            }
        )
    alternatives = []
    for content, mimetype in getattr(message, "alternatives", []):
        if isinstance(content, bytes):
            alternatives.append(
                {"content": base64.b64encode(content).decode(), "mimetype": mimetype, "b64": True}
            )
        else:
            alternatives.append({"content": str(content), "mimetype": mimetype})
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "content_subtype": message.content_subtype,
        "from_email": str(message.from_email),
        "to": [str(a) for a in message.to],
        "cc": [str(a) for a in message.cc],
        "bcc": [str(a) for a in message.bcc],
        "reply_to": [str(a) for a in message.reply_to],
        "headers": {str(k): str(v) for k, v in message.extra_headers.items()},
        "alternatives": alternatives,
        "attachments": attachments,
    }


def deserialize_message(data: dict[str, Any]) -> EmailMultiAlternatives:
    message = NotificationEmail(
        subject=data.get("subject", ""),
        body=data.get("body", ""),
        from_email=data.get("from_email") or None,
        to=data.get("to") or None,
        cc=data.get("cc") or None,
        bcc=data.get("bcc") or None,
        reply_to=data.get("reply_to") or None,
        headers=dict(data.get("headers") or {}),
    )
    message.content_subtype = data.get("content_subtype", "plain")
    for alternative in data.get("alternatives", []):
        content = alternative["content"]
        if alternative.get("b64"):
            content = base64.b64decode(content)
        message.attach_alternative(content, alternative["mimetype"])
    for attachment in data.get("attachments", []):
        if "mime" in attachment:
            part = email.message_from_bytes(
                base64.b64decode(attachment["mime"]), policy=email.policy.default
            )
            message.attach(part)
            continue
        message.attach(
            attachment["filename"],
            base64.b64decode(attachment["content"]),
            attachment["mimetype"],
        )
    return message


def build_message(*, notification: Notification) -> EmailMultiAlternatives:
    """The message the delivery mailer sends for `notification`.

    Carries X-Notification-ID and a Message-ID we generate (so SMTP deliveries
    have an id to store), and, for Anymail, the type as a tag and the outbox id
    as metadata.
    """
    if notification.kind == EMAIL_KIND and notification.message:
        message = deserialize_message(notification.message)
    else:
        message = NotificationEmail(
            subject=notification.subject,
            body=notification.body_text,
            from_email=conf.FROM_EMAIL,
            to=[notification.to_address],
            headers=dict(notification.headers or {}),
        )
        if notification.body_html:
            message.attach_alternative(notification.body_html, "text/html")
    headers = {k.lower(): k for k in message.extra_headers}
    if "message-id" not in headers:
        domain = notification.to_address.rpartition("@")[2] and _sender_domain()
        message.extra_headers["Message-ID"] = make_msgid(domain=domain or None)
    message.extra_headers["X-Notification-ID"] = str(notification.pk)
    message.tags = [notification.kind]  # Anymail: ignored by other backends
    message.metadata = {"notification_id": str(notification.pk)}
    return message


def _sender_domain() -> str:
    from email.utils import parseaddr

    return parseaddr(conf.FROM_EMAIL)[1].rpartition("@")[2]


def message_id_of(message: EmailMultiAlternatives) -> str:
    status = getattr(message, "anymail_status", None)
    if status is not None and status.message_id:
        return str(status.message_id)
    for name, value in message.extra_headers.items():
        if name.lower() == "message-id":
            return str(value)
    return ""
