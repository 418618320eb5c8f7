"""DKIM signing of SMTP deliveries, in the app, over the bytes that go on the wire.

Mailbox providers require a DKIM signature from bulk senders, and RFC 8058
one-click unsubscribe needs one whose ``h=`` covers ``List-Unsubscribe`` and
``List-Unsubscribe-Post``; relays that sign for you often leave the second
out. ``DkimEmailBackend`` is Django's SMTP backend that signs each message
after every header is final: the message is serialised exactly as it will be
sent, signed, and sent with the ``DKIM-Signature`` header in front.

Configured through the mailer's OPTIONS::

    MAILERS["delivery"] = {
        "BACKEND": "notifications.dkim.DkimEmailBackend",
        "OPTIONS": {"host": …, "dkim_domain": "example.com", "dkim_selector": "mail",
                    "dkim_private_key_path": "/run/secrets/dkim.pem"},  # or dkim_private_key
    }

Without a domain, selector and key it sends unsigned, like Django's backend
(and ``check --deploy`` warns about it).
"""

from __future__ import annotations

import email.policy
import smtplib
from pathlib import Path
from typing import Any

import dkim
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.smtp import EmailBackend
from dkim.crypto import UnparsableKeyError, parse_pem_private_key

# Signed when present: what a reader sees and what makes the message what it
# is (RFC 6376 5.4.1), plus the headers mailbox providers act on.
SIGNED_HEADERS = (
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "feedback-id",
    "auto-submitted",
)
# Signed once more than they occur, so a relay that adds another one (a
# second From, an unsubscribe link of its own) breaks the signature.
OVERSIGNED_HEADERS = (
    "from",
    "subject",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "feedback-id",
)


class DkimSigner:
    """Signs serialised messages for one domain and selector (rsa-sha256, relaxed/relaxed)."""

    def __init__(self, *, domain: str, selector: str, private_key: bytes) -> None:
        try:
            parse_pem_private_key(private_key)
        except UnparsableKeyError as error:
            raise ImproperlyConfigured(f"The DKIM private key cannot be read: {error}") from None
        self.domain = domain
        self.selector = selector
        self.private_key = private_key

    def header_names(self, message: bytes) -> list[str]:
        """The h= list for `message`: the signed headers it has, then the oversigned ones."""
        head = message.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
        present = {
            line.split(":", 1)[0].strip().lower()
            for line in head.split("\r\n")
            if line and line[0] not in " \t" and ":" in line
        }
        return [name for name in SIGNED_HEADERS if name in present] + list(OVERSIGNED_HEADERS)

    def signature(self, message: bytes) -> bytes:
        """The DKIM-Signature header line (ending in CRLF) for `message` (CRLF line ends)."""
        return dkim.sign(
            message,
            self.selector.encode(),
            self.domain.encode(),
            self.private_key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[name.encode() for name in self.header_names(message)],
        )

    def sign(self, message: bytes) -> bytes:
        return self.signature(message) + message


def dkim_signer(
    *,
    domain: str | None,
    selector: str | None,
    private_key: str | bytes | None = None,
    private_key_path: str | Path | None = None,
) -> DkimSigner | None:
    """The signer these options describe; None when DKIM is not configured at all."""
    if not (domain or selector or private_key or private_key_path):
        return None
    if private_key and private_key_path:
        raise ImproperlyConfigured("Give the DKIM private key or its path, not both.")
    if private_key_path:
        try:
            private_key = Path(private_key_path).read_bytes()
        except OSError as error:
            raise ImproperlyConfigured(f"The DKIM private key cannot be read: {error}") from None
    missing = [
        name
        for name, value in (("domain", domain), ("selector", selector), ("key", private_key))
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(f"DKIM signing needs a {' and a '.join(missing)} as well.")
    if isinstance(private_key, str):
        private_key = private_key.encode()
    return DkimSigner(domain=str(domain), selector=str(selector), private_key=private_key)


class DkimEmailBackend(EmailBackend):
    """Django's SMTP backend, signing every message with DKIM when configured."""

    def __init__(
        self,
        *args: Any,
        dkim_domain: str | None = None,
        dkim_selector: str | None = None,
        dkim_private_key: str | None = None,
        dkim_private_key_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.dkim = dkim_signer(
            domain=dkim_domain,
            selector=dkim_selector,
            private_key=dkim_private_key,
            private_key_path=dkim_private_key_path,
        )
        super().__init__(*args, **kwargs)

    def _send(self, email_message: Any) -> bool:
        # Django's own _send, with the signing step between serialising the
        # message and handing its bytes to the server.
        if self.dkim is None:
            return super()._send(email_message)
        if not email_message.recipients():
            return False
        from_email = self.prep_address(email_message.from_email)
        recipients = [self.prep_address(address) for address in email_message.recipients()]
        message = email_message.message(policy=email.policy.SMTP)
        signed = self.dkim.sign(message.as_bytes())
        try:
            self.connection.sendmail(from_email, recipients, signed)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True
