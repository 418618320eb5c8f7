"""Delivery through Anymail's Postmark backend, against a local fake ESP."""

from __future__ import annotations

import pytest

from notifications.models import Notification
from notifications.tests.support.fake_esp import FakeEsp, postmark_ok
from notifications.tests.testapp.models import Wave

pytestmark = pytest.mark.django_db
Status = Notification.Status


@pytest.fixture
def fake_esp(settings):  # type: ignore[no-untyped-def]
    esp = FakeEsp().start()
    settings.MAILERS = {
        "default": {"BACKEND": "notifications.backends.OutboxEmailBackend"},
        "delivery": {
            "BACKEND": "anymail.backends.postmark.EmailBackend",
            "OPTIONS": {"server_token": "x", "api_url": esp.url},
        },
    }
    yield esp
    esp.stop()


def test_the_esp_receives_the_type_as_tag_and_the_outbox_id_as_metadata(
    fake_esp, alice, bob, deliver
):
    Wave.objects.create(actor=bob, target=alice)
    deliver()

    [request] = fake_esp.requests
    payload = request.json()
    row = Notification.objects.get()
    assert payload["To"] == "alice@example.com"
    assert payload["Tag"] == "waved"
    assert payload["Metadata"] == {"notification_id": str(row.pk)}
    assert payload["Subject"] == "bob waved at you"
    assert "HtmlBody" in payload and "TextBody" in payload
    assert row.status == Status.SENT
    assert row.provider == "postmark"
    assert row.provider_message_id.startswith("pm-")


def test_an_esp_500_is_retried(fake_esp, alice, bob, deliver, make_due):
    fake_esp.responder = lambda request: (500, {"ErrorCode": 500, "Message": "oops"})
    Wave.objects.create(actor=bob, target=alice)
    deliver()
    row = Notification.objects.get()
    assert row.status == Status.QUEUED
    assert "500" in row.last_error

    fake_esp.responder = postmark_ok
    make_due()
    deliver()
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert len(fake_esp.requests) == 2


def test_an_inactive_recipient_fails_the_row(fake_esp, alice, bob, deliver):
    fake_esp.responder = lambda request: (
        422,
        {
            "ErrorCode": 406,
            "Message": "You tried to send to a recipient that has been marked as inactive.\n"
            "Found inactive addresses: alice@example.com.\n"
            "Inactive recipients are ones that have generated a hard bounce or a spam "
            "complaint. ",
        },
    )
    Wave.objects.create(actor=bob, target=alice)
    deliver()
    row = Notification.objects.get()
    assert row.status == Status.FAILED
    assert "AnymailRecipientsRefused" in row.status_reason
    assert row.attempts == 1


def test_an_unreachable_esp_is_retried(settings, alice, bob, deliver):
    esp = FakeEsp().start()
    url = esp.url
    esp.stop()
    settings.MAILERS = {
        **settings.MAILERS,
        "delivery": {
            "BACKEND": "anymail.backends.postmark.EmailBackend",
            "OPTIONS": {"server_token": "x", "api_url": url},
        },
    }
    Wave.objects.create(actor=bob, target=alice)
    deliver()
    assert Notification.objects.get().status == Status.QUEUED


def mailjet_ok(request):  # type: ignore[no-untyped-def]
    """Mailjet's answer: an id of its own for each recipient of each message."""
    messages = [
        {
            "Status": "success",
            "To": [
                {"Email": to["Email"], "MessageUUID": f"u{i}", "MessageID": 288230000000 + i}
                for i, to in enumerate(message["To"])
            ],
            "Cc": [],
            "Bcc": [],
        }
        for message in request.json()["Messages"]
    ]
    return 200, {"Messages": messages}


@pytest.mark.urls("notifications.tests.webhook_urls")
def test_a_message_to_two_people_keeps_the_first_one_s_id_and_their_events_find_it(
    settings, deliver
):
    """Anymail reports a set of ids when each recipient has one: the row keeps
    one of them, always the same, instead of the set written out as text."""
    from django.core.mail import EmailMessage
    from django.test import Client

    from notifications.models import Suppression, TrackingEvent

    from .webhook_requests import AUTH, anymail_settings, request_for, webhook_path

    esp = FakeEsp(responder=mailjet_ok).start()
    settings.MAILERS = {
        "default": {"BACKEND": "notifications.backends.OutboxEmailBackend"},
        "delivery": {
            "BACKEND": "anymail.backends.mailjet.EmailBackend",
            "OPTIONS": {"api_key": "k", "secret_key": "s", "api_url": esp.url},
        },
    }
    settings.ANYMAIL = anymail_settings()
    try:
        EmailMessage("Team update", "Hello", to=["ana@example.com", "bea@example.com"]).send()
        deliver()
    finally:
        esp.stop()
    row = Notification.objects.get()
    assert row.provider_message_id == "288230000000"

    recipients = (("ana@example.com", 288230000000), ("bea@example.com", 288230000001))
    for address, message_id in recipients:
        bounce = {
            "event": "bounce",
            "time": 1764500000,
            "MessageID": message_id,
            "email": address,
            "hard_bounce": True,
            "error_related_to": "recipient",
            "error": "user unknown",
        }
        response = Client().post(webhook_path("mailjet"), **request_for("mailjet", bounce), **AUTH)
        assert response.status_code == 200

    row.refresh_from_db()
    assert row.delivery_status == "bounced"
    assert TrackingEvent.objects.get(recipient="ana@example.com").notification == row
    assert set(Suppression.objects.values_list("address", flat=True)) == {
        "ana@example.com",
        "bea@example.com",
    }
