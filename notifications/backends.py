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

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from .enqueue import notification_store_message


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        """Store each message with recipients as one row; return how many were stored.

        Each message is built once first, as Django's SMTP mailer builds it
        before sending: a header with a line break (an injection attempt) or
        an address that cannot be written raises ValueError here, to the
        caller, and nothing of the batch is stored. Stored, it would fail
        in the worker on every try instead.
        """
        stored = 0
        with transaction.atomic():
            for message in email_messages:
                if not message.recipients():
                    continue
                message.message()
                notification_store_message(message=message)
                stored += 1
        return stored
