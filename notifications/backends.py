"""The outbox mailer: Django's mail API stores messages instead of sending them."""

from django.core.mail.backends.base import BaseEmailBackend


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):  # pragma: no cover - placeholder
        raise NotImplementedError
