"""The outbox mailer: Django's mail API stores messages instead of sending them.

Configured as MAILERS["default"], it turns every ``send_mail``,
``EmailMessage.send()``, ``mail_admins``, password reset and
``manage.py sendtestemail`` into one transactional outbox row (the message
serialised to JSON by ``mailapi``). A worker later rebuilds the message and
hands it to the delivery mailer, with retries; the request never talks to the
mail server.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.headerregistry import AddressHeader

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from .enqueue import notification_store_message

# What Django's SMTP mailer accepts that the parser calls a defect: a local
# mailbox ("webmaster", Django ticket 15042).
_ALLOWED_DEFECTS = {"addr-spec local part with no domain"}


def check_address(address: str) -> None:
    """Raise ValueError ("Invalid address …") for an address Django's SMTP
    mailer would refuse when sending (its ``prep_address``): a defect such as
    a non-ASCII local part, or more than one address."""
    parsed = AddressHeader.value_parser(str(address))
    defects = {str(defect) for defect in parsed.all_defects} - _ALLOWED_DEFECTS
    if defects:
        raise ValueError(f"Invalid address {address!r}: {'; '.join(sorted(defects))}")
    if len(parsed.all_mailboxes) != 1:
        raise ValueError(f"Invalid address {address!r}: must be a single address")


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        """Store each message with recipients as one row; return how many were stored.

        Each message is built once first, and its sender and recipients read
        as addresses, as Django's SMTP mailer does before sending: a header
        with a line break (an injection attempt) or an address that cannot be
        written (a non-ASCII local part, which needs the SMTPUTF8 extension
        Django never uses) raises ValueError here, to the caller, and nothing
        of the batch is stored. Stored, it would fail in the worker on every
        try instead.
        """
        stored = 0
        with transaction.atomic():
            for message in email_messages:
                if not message.recipients():
                    continue
                message.message()
                for address in [message.from_email, *message.recipients()]:
                    check_address(address)
                notification_store_message(message=message)
                stored += 1
        return stored
