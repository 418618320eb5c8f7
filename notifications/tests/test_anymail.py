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
