"""The email channel: an outbox row (and its rendered content) as a MIME message.

What is built here is what the delivery mailer sends: the rendered subject,
text and HTML of a typed row, or the stored message of a row given to
Django's mail API, plus the headers every outbox email carries
(``X-Notification-ID``, a ``Message-ID`` that stays the same on every
attempt, ``Auto-Submitted``, ``X-Auto-Response-Suppress``, ``Feedback-ID``)
and, for Anymail, the type as a tag, the outbox id as metadata and, for an
ESP that deduplicates sends by key, the row's idempotency key.
"""

from __future__ import annotations

import email.policy
import secrets
import uuid
from email.headerregistry import HeaderRegistry
from email.policy import EmailPolicy
from email.utils import parseaddr
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.utils.encoding import punycode

from ..conf import conf
from ..mailapi import deserialize_message
from ..models import EMAIL_KIND, Notification
from ..providers import delivery_esp
from ..rendering import RenderedEmail


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
            "auto-submitted",
            "x-auto-response-suppress",
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


def _plain(name: str, value: str, max_line_length: int | None) -> bool:
    """Whether `value` goes on the wire exactly as it is: short printable ASCII
    on one line, with no encoded word and no whitespace a folder would touch."""
    return (
        value.isascii()
        and value.isprintable()
        and "=?" not in value
        and "  " not in value
        and value == value.strip()
        and bool(value)
        and len(name) + 2 + len(value) <= (max_line_length or 78)
    )


class _WirePolicy(EmailPolicy):
    """The default policy, without the header work that changes no byte.

    The email package parses every header value into a parse tree when it is
    set and walks that tree again to fold it when the message is serialised:
    about a third of the CPU an email costs before it reaches the socket. A
    short header of printable ASCII on one line folds to "Name: value", so
    such values are written as they are (and parsed only if read back);
    everything else (non-ASCII, long, encoded words, line breaks, which still
    raise) goes through the standard path.
    """

    # Parsed when set, as before: Django reads the address headers back (IDNA)
    # and the email package reads Content-Type and Date as objects.
    PARSED = frozenset(
        {"from", "to", "cc", "reply-to", "sender", "date", "content-type", "content-disposition"}
    )

    def header_store_parse(self, name, value):  # type: ignore[no-untyped-def]
        if (
            type(value) is str
            and name.lower() not in self.PARSED
            and _plain(name, value, self.max_line_length)
        ):
            return (name, value)
        return super().header_store_parse(name, value)

    def _fold(self, name, value, refold_binary=False):  # type: ignore[no-untyped-def]
        if hasattr(value, "name") and not value.defects:
            text = str(value)
            if _plain(name, text, self.max_line_length):
                return f"{name}: {text}{self.linesep}"
        return super()._fold(name, value, refold_binary)


def wire_policy(policy: EmailPolicy) -> EmailPolicy:
    """`policy`'s settings (line ends, length) on the fast _WirePolicy, 7-bit.

    Every part goes out in a 7-bit encoding (a non-ASCII part in
    quoted-printable or base64, never 8bit), whichever mailer sends it:
    RFC 6152 allows 8-bit data only to a server that advertised 8BITMIME and
    only with BODY=8BITMIME, which Django's SMTP mailer never sends; and
    RFC 6376 (5.3) asks DKIM signers to convert to 7-bit first, since a relay
    that converts 8bit content breaks the signature.
    """
    settings = {
        name: getattr(policy, name)
        for name in ("linesep", "max_line_length", "utf8", "raise_on_defect")
    }
    return _WirePolicy(
        **settings, cte_type="7bit", refold_source="none", header_factory=_header_registry
    )


class NotificationEmail(EmailMultiAlternatives):
    """An EmailMultiAlternatives whose List-Unsubscribe headers survive SMTP.

    The one-click URL is longer than a folded header line, and Python's email
    package would then RFC 2047-encode it, which mail clients do not decode in
    these headers. They are written as they are instead (still far below the
    998-character line limit).
    """

    raw_headers = ("List-Unsubscribe", "List-Unsubscribe-Post")

    def message(self, *, policy=email.policy.default):  # type: ignore[no-untyped-def]
        msg = super().message(policy=wire_policy(policy))
        for name, value in self.extra_headers.items():
            if name in self.raw_headers:
                del msg[name]
                msg.set_raw(name, str(value))
        if msg.is_multipart() and msg.get_boundary() is None:
            # Left unset, the generator draws a boundary and compiles a regular
            # expression per message to search the parts for it. "=_" cannot
            # occur in quoted-printable or base64 text (RFC 2045 6.7), and 128
            # random bits will not turn up in a 7bit part.
            msg.set_boundary("=_" + secrets.token_hex(16))
        return msg


def build_message(
    *, notification: Notification, to_address: str, rendered: RenderedEmail | None = None
) -> EmailMultiAlternatives:
    """The message the delivery mailer sends for `notification` to `to_address`.

    A typed row is built from `rendered` (the worker renders it just before
    sending); a row given to Django's mail API from its stored message.
    """
    if notification.kind == EMAIL_KIND and notification.message:
        message = deserialize_message(notification.message, message_class=NotificationEmail)
    else:
        subject = rendered.subject if rendered else notification.subject
        body_text = rendered.body_text if rendered else notification.body_text
        body_html = rendered.body_html if rendered else notification.body_html
        headers = rendered.headers if rendered else notification.headers
        message = NotificationEmail(
            subject=subject,
            body=body_text,
            from_email=conf.FROM_EMAIL,
            to=[to_address],
            headers=dict(headers or {}),
        )
        if body_html:
            message.attach_alternative(body_html, "text/html")
    headers = message.extra_headers
    present = {name.lower() for name in headers}
    for name, value in (
        ("Message-ID", stable_message_id(notification)),
        # RFC 3834: written by a program, so vacation responders stay quiet.
        ("Auto-Submitted", "auto-generated"),
        # Outlook and Exchange's spelling of the same wish.
        ("X-Auto-Response-Suppress", "OOF, AutoReply"),
        ("Feedback-ID", feedback_id(notification)),
    ):
        if name.lower() not in present:
            headers[name] = value
    headers["X-Notification-ID"] = str(notification.pk)
    esp = delivery_esp()
    if esp is not None and esp.idempotency_header:
        headers[esp.idempotency_header] = esp_idempotency_key(notification)
    message.tags = [notification.kind]  # Anymail: ignored by other backends
    message.metadata = {"notification_id": str(notification.pk)}
    return message


def stable_message_id(notification: Notification) -> str:
    """The row's own Message-ID: the same on every attempt (RFC 5322 msg-id).

    A worker that dies after the server accepted a message but before the
    row was marked sent sends it again; with the same Message-ID, mailboxes
    and mail clients see one message, not two.
    """
    return f"<{notification.idempotency_key}@{sender_domain() or DNS_NAME}>"


def feedback_id(notification: Notification) -> str:
    """The Feedback-ID header: type, category and sender (Gmail's feedback loop).

    Mailbox providers report complaint rates per value, so each field is a
    stable identifier: the notification type, its category ("transactional"
    or "general" for a row without one) and FEEDBACK_ID_SENDER (by default
    the sender's domain).
    """
    category = notification.category or (
        "transactional" if notification.transactional else "general"
    )
    sender = conf.FEEDBACK_ID_SENDER or sender_domain() or DNS_NAME
    return ":".join(_feedback_field(field) for field in (notification.kind, category, sender))


def _feedback_field(value: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in value)


def esp_idempotency_key(notification: Notification) -> str:
    """The row's idempotency key as a UUID: the same on every attempt.

    The ESPs that deduplicate sends by a key ask for a UUID, so the key is a
    name-based UUID of the row's idempotency_key.
    """
    return str(uuid.uuid5(_IDEMPOTENCY_NAMESPACE, notification.idempotency_key))


_IDEMPOTENCY_NAMESPACE = uuid.UUID("5b0a3c4e-7f65-4c5e-9a55-7c1f4e0d2b61")


def sender_domain() -> str:
    """The domain of the notification sender's address, in the ASCII form
    (IDNA) Django's mailers write in From: a Message-ID or Feedback-ID must be
    ASCII, and names the domain as the headers it goes with do."""
    domain = parseaddr(conf.FROM_EMAIL)[1].rpartition("@")[2]
    if domain.isascii():
        return domain
    try:
        return punycode(domain)
    except UnicodeError:
        return ""


def message_id_of(message: EmailMultiAlternatives) -> str:
    """The id the provider knows the sent message by: the ESP's, or our Message-ID."""
    status = getattr(message, "anymail_status", None)
    if status is not None and status.message_id:
        if not isinstance(status.message_id, set | frozenset):
            return str(status.message_id)
        # An ESP that gives each recipient an id of its own (Mailjet, Mandrill,
        # Postal) reports a set: the row keeps the first recipient's, in the
        # order sent, so that their events find it and staff can search by it.
        for recipient in status.recipients.values():
            if recipient.message_id:
                return str(recipient.message_id)
    for name, value in message.extra_headers.items():
        if name.lower() == "message-id":
            return str(value)
    return ""
