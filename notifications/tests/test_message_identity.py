"""Headers every notification email carries, and its identity across attempts.

Rows are created directly, so these run in any project (no project types).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from django.core.mail import EmailMessage

from notifications.channels.email import build_message, esp_idempotency_key, feedback_id
from notifications.enqueue import notification_store_message
from notifications.models import Notification
from notifications.rendering import RenderedEmail

pytestmark = pytest.mark.django_db

OUTBOX = {"BACKEND": "notifications.backends.OutboxEmailBackend"}


def typed_row(**fields: Any) -> Notification:
    defaults = {
        "kind": "new_follower",
        "category": "social",
        "to_address": "alice@example.com",
        "status": Notification.Status.SENDING,
    }
    return Notification.objects.create(**{**defaults, **fields})


def rendered(**headers: str) -> RenderedEmail:
    return RenderedEmail("Subject", "Text", "<p>HTML</p>", "en", headers)


@pytest.fixture
def sender(settings):  # type: ignore[no-untyped-def]
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "FROM_EMAIL": "Site <noreply@mail.example.org>",
        "FEEDBACK_ID_SENDER": "",
    }


def test_a_typed_email_says_it_is_automatic_and_who_sends_it(sender):
    row = typed_row()

    headers = build_message(
        notification=row, to_address=row.to_address, rendered=rendered()
    ).extra_headers

    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    assert headers["Feedback-ID"] == "new_follower:social:mail.example.org"


def test_a_transactional_email_given_to_djangos_mail_api_is_automatic_too(sender):
    row = notification_store_message(
        message=EmailMessage("Reset your password", "…", "noreply@mail.example.org", ["a@b.c"])
    )

    headers = build_message(notification=row, to_address="a@b.c").extra_headers

    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["Feedback-ID"] == "email:transactional:mail.example.org"
    assert headers["Message-ID"] == f"<{row.idempotency_key}@mail.example.org>"


def test_the_feedback_id_sender_is_configurable_and_fields_stay_identifiers(settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "FEEDBACK_ID_SENDER": "microblog"}
    row = typed_row(kind="weird:kind", category="")

    assert feedback_id(row) == "weird-kind:general:microblog"


def test_headers_a_message_already_has_are_kept(sender):
    row = notification_store_message(
        message=EmailMessage(
            "Hi", "…", "noreply@mail.example.org", ["a@b.c"], headers={"Auto-Submitted": "no"}
        )
    )

    headers = build_message(notification=row, to_address="a@b.c").extra_headers

    assert headers["Auto-Submitted"] == "no"


def test_every_attempt_builds_the_same_message_id_and_idempotency_key(sender):
    row = typed_row()
    first = build_message(notification=row, to_address=row.to_address, rendered=rendered())
    again = Notification.objects.get(pk=row.pk)
    second = build_message(notification=again, to_address=row.to_address, rendered=rendered())

    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]
    assert esp_idempotency_key(row) == esp_idempotency_key(again)
    assert esp_idempotency_key(row) != esp_idempotency_key(typed_row())


def test_no_idempotency_header_over_smtp_or_to_esps_that_take_none(settings, sender):
    row = typed_row()
    for backend in (
        "django.core.mail.backends.smtp.EmailBackend",
        "anymail.backends.postmark.EmailBackend",
    ):
        settings.MAILERS = {"default": OUTBOX, "delivery": {"BACKEND": backend}}
        headers = build_message(notification=row, to_address=row.to_address, rendered=rendered())
        assert "idempotencyKey" not in headers.extra_headers


def test_brevo_receives_the_rows_idempotency_key_through_anymail(settings, sender, monkeypatch):
    """Brevo deduplicates sends by the idempotencyKey in its API's headers object."""
    settings.MAILERS = {
        "default": OUTBOX,
        "delivery": {
            "BACKEND": "anymail.backends.brevo.EmailBackend",
            "OPTIONS": {"api_key": "xkeysib-test", "api_url": "https://brevo.invalid/v3/"},
        },
    }
    sent: list[dict[str, Any]] = []

    def brevo_api(self, method, url, data=None, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(json.loads(data))
        response = requests.Response()
        response.status_code = 201
        response._content = b'{"messageId": "<202611301200.1@smtp-relay.mailin.fr>"}'
        return response

    monkeypatch.setattr(requests.Session, "request", brevo_api)
    row = typed_row()
    from django.core.mail import mailers

    for _attempt in range(2):
        message = build_message(notification=row, to_address=row.to_address, rendered=rendered())
        mailers["delivery"].send_messages([message])

    keys = [payload["headers"]["idempotencyKey"] for payload in sent]
    assert keys == [esp_idempotency_key(row)] * 2
