"""Every ESP's tracking webhook, through HTTP, with payloads recorded in each ESP's shapes.

For each of the 13 ESPs with tracking webhooks in Anymail 15.2, the payloads
in payloads/<esp>/ (hard bounce, soft bounce, complaint, delivery) are
posted to the mounted URL, authenticated and signed the way the ESP does it
(webhook_requests.py): a hard bounce suppresses the address, a soft bounce
does not, a complaint suppresses it as complained, a delivery updates the
outbox row, and the same event delivered three times (under fresh
signatures where the ESP re-signs) is recorded once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from notifications.models import Notification, Suppression, TrackingEvent
from notifications.providers import ESPS

from .webhook_requests import AUTH, anymail_settings, request_for, sns_certificate, webhook_path

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("notifications.tests.webhook_urls"),
    pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning"),
]

PAYLOADS = Path(__file__).parent / "payloads"
TRACKED = sorted(key for key, esp in ESPS.items() if esp.has_tracking_webhook)
RECIPIENTS = {
    "hard_bounce": "gone@example.com",
    "soft_bounce": "full@example.com",
    "complaint": "annoyed@example.com",
    "delivery": "reader@example.com",
}
NUMBER = {"hard_bounce": 1, "soft_bounce": 2, "complaint": 3, "delivery": 4}


def message_id(esp: str, kind: str) -> str:
    """The id the ESP gave the message when it was sent (what the outbox row stores)."""
    n = NUMBER[kind]
    return {
        "amazon_ses": f"0102019b3c7a{n}e41-5b2a8f13-3a1e-4c2d-9c2a-7d1e0f9c8b0{n}-000000",
        "brevo": f"<20261121100000.{n}2345678901@smtp-relay.mailin.fr>",
        "mailersend": f"67a1e6d0bd4be0f5a30{n}abcd",
        "mailgun": f"<20261121100000.{n}.4A7D468E9BC18C5D@mg.microblog.example.com>",
        "mailjet": f"28823{n}61239812345",
        "mailtrap": f"1df37d17-0286-4d8b-8edf-bc4ec5be86e{n}",
        "mandrill": f"abcdef0123456789abcdef012345678{n}",
        "postal": f"23384{n}",
        "postmark": f"883953f4-6105-42a2-a16a-77a8eac7948{n}",
        "resend": f"4ef9a417-02e9-4d39-ad75-9611e0fcc33{n}",
        "sendgrid": f"de212213-bb66-4302-8f3f-20acdb7a104{n}",
        "sparkpost": f"8434531765082411{n}",
        "unisender_go": f"3c8a2f7e-5b1d-4e6f-9a0b-1c2d3e4f5a6{n}",
    }[esp]


def payload(esp: str, kind: str) -> Any:
    return json.loads((PAYLOADS / esp / f"{kind}.json").read_text())


def has(esp: str, kind: str) -> bool:
    return (PAYLOADS / esp / f"{kind}.json").exists()


@pytest.fixture(autouse=True)
def webhook_keys(settings):  # type: ignore[no-untyped-def]
    settings.ANYMAIL = anymail_settings()
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "SNS_CERTIFICATE_FETCHER": sns_certificate,
        "SNS_TOPIC_ARNS": [],
    }


def post(esp: str, body: Any, *, attempt: int = 0, **extra: Any):  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)
    return client.post(webhook_path(esp), **request_for(esp, body, attempt=attempt), **extra)


def sent_row(esp: str, kind: str) -> Notification:
    return Notification.objects.create(
        kind="new_follower",
        category="social",
        to_address=RECIPIENTS[kind],
        status=Notification.Status.SENT,
        provider=esp,
        provider_message_id=message_id(esp, kind),
    )


def test_every_tracking_webhook_anymail_ships_is_covered():
    assert len(TRACKED) == 13
    for esp in TRACKED:
        assert has(esp, "hard_bounce") and has(esp, "soft_bounce") and has(esp, "delivery"), esp


@pytest.mark.parametrize("esp", TRACKED)
def test_a_hard_bounce_suppresses_the_address(esp):
    row = sent_row(esp, "hard_bounce")

    response = post(esp, payload(esp, "hard_bounce"), **AUTH)

    assert response.status_code == 200, response.content
    event = TrackingEvent.objects.get()
    assert event.event_type == "bounced"
    assert event.notification == row
    suppression = Suppression.objects.get()
    assert suppression.address == "gone@example.com"
    assert suppression.reason == Suppression.Reason.BOUNCED
    row.refresh_from_db()
    assert row.delivery_status == "bounced"


@pytest.mark.parametrize("esp", TRACKED)
def test_a_soft_bounce_is_recorded_and_suppresses_nothing(esp):
    row = sent_row(esp, "soft_bounce")

    response = post(esp, payload(esp, "soft_bounce"), **AUTH)

    assert response.status_code == 200, response.content
    assert TrackingEvent.objects.get().event_type in ("bounced", "deferred")
    assert not Suppression.objects.exists()
    row.refresh_from_db()
    assert row.delivery_status == "deferred"


@pytest.mark.parametrize("esp", [esp for esp in TRACKED if has(esp, "complaint")])
def test_a_complaint_suppresses_the_address_as_complained(esp):
    row = sent_row(esp, "complaint")

    response = post(esp, payload(esp, "complaint"), **AUTH)

    assert response.status_code == 200, response.content
    suppression = Suppression.objects.get()
    assert suppression.address == "annoyed@example.com"
    assert suppression.reason == Suppression.Reason.COMPLAINED
    row.refresh_from_db()
    assert row.delivery_status == "complained"


@pytest.mark.parametrize("esp", TRACKED)
def test_a_delivery_updates_the_outbox_row(esp):
    row = sent_row(esp, "delivery")

    response = post(esp, payload(esp, "delivery"), **AUTH)

    assert response.status_code == 200, response.content
    assert TrackingEvent.objects.get().notification == row
    row.refresh_from_db()
    # Mandrill reports no delivery, only that it sent the message.
    assert row.delivery_status == ("sent" if esp == "mandrill" else "delivered")
    assert not Suppression.objects.exists()


@pytest.mark.parametrize("esp", TRACKED)
def test_an_event_delivered_three_times_is_recorded_once(esp):
    sent_row(esp, "hard_bounce")

    for attempt in range(3):
        response = post(esp, payload(esp, "hard_bounce"), attempt=attempt, **AUTH)
        assert response.status_code == 200, response.content

    assert TrackingEvent.objects.count() == 1
    assert Suppression.objects.count() == 1


@pytest.mark.parametrize("esp", TRACKED)
def test_without_the_basic_auth_credentials_nothing_is_recorded(esp):
    response = post(esp, payload(esp, "hard_bounce"))

    # Amazon SNS sends credentials only after a 401 challenge.
    assert response.status_code == (401 if esp == "amazon_ses" else 400)
    assert not TrackingEvent.objects.exists()
    assert not Suppression.objects.exists()


SIGNED = sorted(
    key
    for key, esp in ESPS.items()
    if esp.signing_settings or esp.optional_signing_settings or key == "amazon_ses"
)


@pytest.mark.parametrize("esp", SIGNED)
def test_a_payload_changed_after_signing_is_refused(esp):
    arguments = request_for(esp, payload(esp, "hard_bounce"))
    body = arguments["data"]
    if esp == "mailgun":
        # Mailgun signs its timestamp and token, not the event (docs/security.md).
        signed = json.loads(body)
        signed["signature"]["token"] = "0" * 50
        arguments["data"] = json.dumps(signed).encode()
    else:
        arguments["data"] = body.replace(b"gone@example.com", b"else@example.com").replace(
            b"gone%40example.com", b"else%40example.com"
        )
    assert arguments["data"] != body

    response = Client(raise_request_exception=False).post(webhook_path(esp), **arguments, **AUTH)

    assert response.status_code == 400
    assert not TrackingEvent.objects.exists()
    assert not Suppression.objects.exists()


REQUIRED_KEYS = {
    "mailersend": "MAILERSEND_SIGNING_SECRET",
    "mailgun": "MAILGUN_WEBHOOK_SIGNING_KEY",
    "mandrill": "MANDRILL_WEBHOOK_KEY",
    "postal": "POSTAL_WEBHOOK_KEY",
    "unisender_go": "UNISENDER_GO_API_KEY",
}


@pytest.mark.parametrize("esp", sorted(REQUIRED_KEYS))
def test_a_webhook_that_needs_a_signing_key_refuses_requests_until_it_is_configured(settings, esp):
    assert {f"{esp.upper()}_{name}" for name in ESPS[esp].signing_settings} >= {REQUIRED_KEYS[esp]}
    settings.ANYMAIL = {k: v for k, v in anymail_settings().items() if k != REQUIRED_KEYS[esp]}

    response = post(esp, payload(esp, "hard_bounce"), **AUTH)
    head = Client().head(webhook_path(esp))

    assert response.status_code == 403
    assert b"not configured" in response.content
    assert not TrackingEvent.objects.exists()
    assert head.status_code == 200  # ESPs check a URL with HEAD before they give out its key


# --- what each ESP's failures say about the address -------------------------------


@pytest.mark.parametrize(
    ("reason", "suppressed_as"),
    [
        ("bounce", Suppression.Reason.BOUNCED),
        ("suppress-bounce", Suppression.Reason.BOUNCED),
        ("suppress-complaint", Suppression.Reason.COMPLAINED),
        ("suppress-unsubscribe", Suppression.Reason.UNSUBSCRIBED),
        ("old", None),  # Mailgun gave up retrying
        ("espblock", None),  # the ESP would not send it
    ],
)
def test_a_mailgun_permanent_failure_suppresses_as_its_reason_says(reason, suppressed_as):
    body = payload("mailgun", "hard_bounce")
    body["event-data"]["reason"] = reason

    response = post("mailgun", body, **AUTH)

    assert response.status_code == 200, response.content
    assert TrackingEvent.objects.get().event_type == "bounced"
    suppression = Suppression.objects.first()
    assert (suppression.reason if suppression else None) == suppressed_as


def test_a_postal_hard_fail_at_delivery_suppresses_the_address():
    body = payload("postal", "soft_bounce")  # MessageDeliveryFailed's shape, refused for good
    body.update(event="MessageDeliveryFailed", uuid="9fcc831f-92b9-4e2b-97f2-d873abc77fab")
    body["payload"].update(
        status="HardFail",
        details="Permanent SMTP delivery error when sending to full@example.com",
        output="550 5.1.1 The email account that you tried to reach does not exist",
    )

    response = post("postal", body, **AUTH)

    assert response.status_code == 200, response.content
    assert TrackingEvent.objects.get().event_type == "failed"
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason) == ("full@example.com", "bounced")


def test_signed_form_posts_sent_as_multipart_are_read():
    """Mailgun's legacy webhooks and Mandrill post form fields; a multipart body
    is read once, by the signature check, and the rest works from the fields."""
    import base64
    import hashlib
    import hmac
    import time

    from .webhook_requests import MANDRILL_URL, SECRETS

    stamp, token = str(int(time.time())), "7" * 50
    signature = hmac.new(
        SECRETS["mailgun"].encode(), f"{stamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    legacy = {
        "event": "bounced",
        "recipient": "gone@example.com",
        "domain": "mg.microblog.example.com",
        "Message-Id": message_id("mailgun", "hard_bounce").strip("<>"),
        "code": "550",
        "error": "5.1.1 The email account that you tried to reach does not exist",
        "timestamp": stamp,
        "token": token,
        "signature": signature,
    }
    fields = {"mandrill_events": json.dumps(payload("mandrill", "hard_bounce"))}
    signed = MANDRILL_URL + "".join(key + fields[key] for key in sorted(fields))
    mandrill_signature = base64.b64encode(
        hmac.new(SECRETS["mandrill"].encode(), signed.encode(), hashlib.sha1).digest()
    ).decode()
    client = Client(raise_request_exception=False)

    mailgun = client.post(webhook_path("mailgun"), data=legacy, **AUTH)
    mandrill = client.post(
        webhook_path("mandrill"),
        data=fields,
        headers={"X-Mandrill-Signature": mandrill_signature},
        **AUTH,
    )

    assert (mailgun.status_code, mandrill.status_code) == (200, 200)
    assert TrackingEvent.objects.count() == 2
    assert set(Suppression.objects.values_list("address", "reason")) == {
        ("gone@example.com", "bounced")
    }


def test_a_signed_json_post_without_the_events_array_is_refused():
    response = post("mailtrap", {}, **AUTH)

    assert response.status_code == 400
    assert b"events" in response.content
