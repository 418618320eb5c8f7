"""Messages given to Django's mail API, stored in the outbox as JSON and rebuilt.

The outbox mailer (``backends.OutboxEmailBackend``) stores every
``send_mail``, password reset or ``mail_admins`` message as a row; the worker
rebuilds it to send. Everything an ``EmailMessage`` carries survives the
round trip: alternatives, attachments (base64), extra headers, cc, bcc,
reply-to and the body's charset (``encoding``).
"""

from __future__ import annotations

import base64
import email
import email.policy
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives


def serialize_message(message: EmailMessage) -> dict[str, Any]:
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
        # The charset the caller chose for the body (None: DEFAULT_CHARSET).
        "encoding": message.encoding,
    }


def deserialize_message(
    data: dict[str, Any], *, message_class: type[EmailMultiAlternatives] = EmailMultiAlternatives
) -> EmailMultiAlternatives:
    """The message `serialize_message` stored, as an instance of `message_class`."""
    message = message_class(
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
    message.encoding = data.get("encoding") or None
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
