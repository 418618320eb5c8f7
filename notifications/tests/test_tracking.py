"""Provider webhooks: recorded once, linked to the outbox, feeding the suppression list.

The payloads in payloads/ are recorded in the shapes Postmark and Mailgun
document; they go through Anymail's real webhook views and tracking signal.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.db import connection
from django.test import Client

from notifications.models import Notification, Suppression, TrackingEvent
from notifications.tracking.events import tracking_event_record

pytestmark = pytest.mark.django_db

PAYLOADS = Path(__file__).parent / "payloads"
POSTMARK_URL = "/webhooks/anymail/postmark/tracking/"
MAILGUN_URL = "/webhooks/anymail/mailgun/tracking/"
MAILGUN_SIGNING_KEY = "test-signing-key"  # notifications/tests/settings.py


def payload(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def basic_auth(credentials: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


AUTH = basic_auth("hook:secret")  # ANYMAIL["WEBHOOK_SECRET"] in the test settings


def mailgun_signed(data: dict[str, Any], key: str = MAILGUN_SIGNING_KEY) -> dict[str, Any]:
    """The payload with its signature block signed the way Mailgun signs it."""
    data = copy.deepcopy(data)
    block = data["signature"]
    block["signature"] = hmac.new(
        key.encode(), f"{block['timestamp']}{block['token']}".encode(), hashlib.sha256
    ).hexdigest()
    return data


def post(client: Client, url: str, data: dict[str, Any], **extra: Any):  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(data), content_type="application/json", **extra)


def sent_notification(*, to_address: str, message_id: str) -> Notification:
    return Notification.objects.create(
        kind="waved",
        category="waves",
        to_address=to_address,
        status=Notification.Status.SENT,
        provider="postmark",
        provider_message_id=message_id,
    )


# --- Webhook security ----------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [{}, basic_auth("hook:wrong"), basic_auth("someone:secret")],
    ids=["no auth", "wrong password", "wrong user"],
)
def test_postmark_webhook_without_the_right_credentials_is_refused(client, extra) -> None:
    response = post(client, POSTMARK_URL, payload("postmark_bounce_hard"), **extra)

    assert response.status_code in (400, 403)
    assert not TrackingEvent.objects.exists()
    assert not Suppression.objects.exists()


def test_mailgun_webhook_without_credentials_is_refused_even_when_signed(client) -> None:
    response = post(client, MAILGUN_URL, mailgun_signed(payload("mailgun_failed_permanent")))

    assert response.status_code in (400, 403)
    assert not TrackingEvent.objects.exists()


@pytest.mark.parametrize("key", ["wrong-signing-key", None], ids=["wrong key", "unsigned"])
def test_mailgun_webhook_with_a_bad_signature_is_refused(client, key) -> None:
    data = payload("mailgun_failed_permanent")
    if key:
        data = mailgun_signed(data, key=key)

    response = post(client, MAILGUN_URL, data, **AUTH)

    assert response.status_code == 400
    assert not TrackingEvent.objects.exists()
    assert not Suppression.objects.exists()


# --- Postmark ------------------------------------------------------------------


def test_hard_bounce_suppresses_the_address_and_links_the_outbox_row(client) -> None:
    row = sent_notification(
        to_address="gone.away@example.com", message_id="883953f4-6105-42a2-a16a-77a8eac79483"
    )

    response = post(client, POSTMARK_URL, payload("postmark_bounce_hard"), **AUTH)

    assert response.status_code == 200
    event = TrackingEvent.objects.get()
    assert event.event_id == "4323372036854775807"
    assert event.esp_name == "Postmark"
    assert event.event_type == "bounced"
    assert event.notification == row
    assert event.payload["Type"] == "HardBounce"
    row.refresh_from_db()
    assert row.delivery_status == "bounced"
    suppression = Suppression.objects.get()
    assert suppression.address == "gone.away@example.com"
    assert suppression.reason == Suppression.Reason.BOUNCED
    assert suppression.source_event == event


def test_the_same_event_delivered_three_times_is_recorded_once(client) -> None:
    sent_notification(
        to_address="gone.away@example.com", message_id="883953f4-6105-42a2-a16a-77a8eac79483"
    )

    for _ in range(3):
        assert (
            post(client, POSTMARK_URL, payload("postmark_bounce_hard"), **AUTH).status_code == 200
        )

    assert TrackingEvent.objects.count() == 1
    assert Suppression.objects.count() == 1


def test_spam_complaint_suppresses_with_reason_complained(client) -> None:
    row = sent_notification(
        to_address="grumpy@example.com", message_id="2706ee8a-737c-4285-b032-ccd317af53ed"
    )

    post(client, POSTMARK_URL, payload("postmark_spam_complaint"), **AUTH)

    suppression = Suppression.objects.get(address="grumpy@example.com")
    assert suppression.reason == Suppression.Reason.COMPLAINED
    row.refresh_from_db()
    assert row.delivery_status == "complained"


def test_delivery_marks_the_row_delivered_and_suppresses_nothing(client) -> None:
    row = sent_notification(
        to_address="happy@example.com", message_id="a4909a96-73d7-4c49-b148-a54522d3f7ac"
    )

    post(client, POSTMARK_URL, payload("postmark_delivery"), **AUTH)
    post(client, POSTMARK_URL, payload("postmark_delivery"), **AUTH)

    # Postmark gives delivery events no id: a stable one is derived, so the
    # redelivery is still recognised.
    event = TrackingEvent.objects.get()
    assert event.event_id.startswith("derived:")
    assert event.notification == row
    row.refresh_from_db()
    assert row.delivery_status == "delivered"
    assert not Suppression.objects.exists()


def test_unsubscribe_at_postmark_suppresses_with_reason_unsubscribed(client) -> None:
    post(client, POSTMARK_URL, payload("postmark_subscription_change"), **AUTH)

    suppression = Suppression.objects.get()
    assert suppression.address == "leaving@example.com"
    assert suppression.reason == Suppression.Reason.UNSUBSCRIBED


def test_an_unsubscribe_naming_only_the_message_suppresses_its_recipient(client) -> None:
    """Postmark has reported unsubscribes without an Email field (Anymail
    issue 447): the row the message id names says who it was."""
    message_id = "5555555-5555555-5555-5555555"
    row = sent_notification(to_address="quiet@example.com", message_id=message_id)
    event = {
        "RecordType": "Bounce",
        "Type": "Unsubscribe",
        "TypeCode": 16,
        "ID": 42,
        "MessageID": message_id,
        "Description": "The recipient unsubscribed.",
        "BouncedAt": "2026-11-30T10:00:00Z",
        "MessageStream": "outbound",
    }

    assert post(client, POSTMARK_URL, event, **AUTH).status_code == 200

    row.refresh_from_db()
    assert row.delivery_status == "unsubscribed"
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason) == ("quiet@example.com", "unsubscribed")


def test_soft_bounce_is_recorded_but_does_not_suppress(client) -> None:
    row = sent_notification(
        to_address="full.mailbox@example.com", message_id="0f3a1c1e-5b8e-4a9c-9d8f-2b1c9a7e4d11"
    )

    post(client, POSTMARK_URL, payload("postmark_bounce_soft"), **AUTH)

    assert TrackingEvent.objects.get().event_type == "bounced"
    assert not Suppression.objects.exists()
    row.refresh_from_db()
    assert row.delivery_status == "deferred"


def test_a_late_delivery_event_does_not_hide_a_complaint(client) -> None:
    message_id = "2706ee8a-737c-4285-b032-ccd317af53ed"
    row = sent_notification(to_address="grumpy@example.com", message_id=message_id)
    delivery = {**payload("postmark_delivery"), "MessageID": message_id}
    delivery["Recipient"] = "grumpy@example.com"

    post(client, POSTMARK_URL, payload("postmark_spam_complaint"), **AUTH)
    post(client, POSTMARK_URL, delivery, **AUTH)

    assert TrackingEvent.objects.count() == 2
    row.refresh_from_db()
    assert row.delivery_status == "complained"


def test_an_event_for_mail_sent_elsewhere_is_still_recorded(client) -> None:
    post(client, POSTMARK_URL, payload("postmark_bounce_hard"), **AUTH)

    assert TrackingEvent.objects.get().notification is None
    assert Suppression.objects.filter(address="gone.away@example.com").exists()


# --- Mailgun -------------------------------------------------------------------


def test_mailgun_permanent_failure_suppresses_and_links(client) -> None:
    row = sent_notification(
        to_address="nobody@example.org",
        message_id="<20261121154640.1.4A7D468E9BC18C5D@mg.example.net>",
    )

    response = post(
        client, MAILGUN_URL, mailgun_signed(payload("mailgun_failed_permanent")), **AUTH
    )

    assert response.status_code == 200
    event = TrackingEvent.objects.get()
    assert event.esp_name == "Mailgun"
    assert event.event_id == "G9Bn5sl1TC6nu79C8C0bwg:1763740000.453"  # event-data id and time
    assert event.notification == row
    row.refresh_from_db()
    assert row.delivery_status == "bounced"
    assert Suppression.objects.get().reason == Suppression.Reason.BOUNCED


def test_mailgun_complaint_suppresses_the_lower_cased_address(client) -> None:
    post(client, MAILGUN_URL, mailgun_signed(payload("mailgun_complained")), **AUTH)

    suppression = Suppression.objects.get()
    assert suppression.address == "annoyed@example.org"
    assert suppression.reason == Suppression.Reason.COMPLAINED


def test_mailgun_delivery_marks_the_row_delivered(client) -> None:
    row = sent_notification(
        to_address="reader@example.org",
        message_id="<20261121143000.1.DF5966851B4BAA99@mg.example.net>",
    )

    for _ in range(3):
        post(client, MAILGUN_URL, mailgun_signed(payload("mailgun_delivered")), **AUTH)

    assert TrackingEvent.objects.count() == 1
    row.refresh_from_db()
    assert row.delivery_status == "delivered"
    assert not Suppression.objects.exists()


# --- Events from any ESP -------------------------------------------------------


def _event(**fields: Any) -> AnymailTrackingEvent:
    defaults = {
        "event_type": "rejected",
        "timestamp": datetime(2026, 11, 21, 12, 0, tzinfo=UTC),
        "message_id": "msg-1",
        "recipient": "someone@example.com",
        "esp_event": {"raw": True},
    }
    return AnymailTrackingEvent(**{**defaults, **fields})


@pytest.mark.parametrize(
    ("reject_reason", "suppressed_as"),
    [
        ("bounced", Suppression.Reason.BOUNCED),
        ("invalid", Suppression.Reason.BOUNCED),
        ("spam", Suppression.Reason.COMPLAINED),
        ("unsubscribed", Suppression.Reason.UNSUBSCRIBED),
        ("blocked", None),
        ("other", None),
    ],
)
def test_a_rejection_suppresses_only_when_the_address_itself_is_the_reason(
    reject_reason, suppressed_as
) -> None:
    tracking.send(sender=None, event=_event(reject_reason=reject_reason), esp_name="SendGrid")

    assert TrackingEvent.objects.count() == 1
    suppression = Suppression.objects.first()
    assert (suppression.reason if suppression else None) == suppressed_as


def test_derived_event_ids_tell_different_events_apart() -> None:
    tracking.send(sender=None, event=_event(event_type="delivered"), esp_name="SendGrid")
    tracking.send(sender=None, event=_event(event_type="opened"), esp_name="SendGrid")
    tracking.send(sender=None, event=_event(event_type="opened"), esp_name="SendGrid")

    assert sorted(TrackingEvent.objects.values_list("event_type", flat=True)) == [
        "delivered",
        "opened",
    ]


@pytest.mark.parametrize(
    ("esp_name", "raw", "suppressed"),
    [
        ("Amazon SES", {"bounce": {"bounceType": "Permanent"}}, True),
        ("Amazon SES", {"bounce": {"bounceType": "Transient"}}, False),
        ("SendGrid", {"event": "bounce", "type": "bounce"}, True),
        ("SendGrid", {"event": "bounce", "type": "blocked"}, False),
        ("Mailgun", {"event-data": {"severity": "permanent", "reason": "bounce"}}, True),
        ("Mailgun", {"event-data": {"severity": "permanent", "reason": "suppress-bounce"}}, True),
        # Mailgun gave up retrying, or refused to send: nothing about the address.
        ("Mailgun", {"event-data": {"severity": "permanent", "reason": "old"}}, False),
        ("Mailgun", {"event-data": {"severity": "permanent", "reason": "espblock"}}, False),
        (
            "Mailgun",
            {
                "event-data": {
                    "reason": "generic",
                    "delivery-status": {"code": 550, "message": "5.1.1 No such user"},
                }
            },
            True,
        ),
        (
            "Mailgun",
            {
                "event-data": {
                    "reason": "generic",
                    "delivery-status": {"code": 550, "message": "5.7.1 Message refused as spam"},
                }
            },
            False,
        ),
        ("Mailgun", {"event": "bounced", "code": "550"}, True),  # a legacy form post
    ],
)
def test_only_permanent_bounces_suppress(esp_name, raw, suppressed) -> None:
    event = _event(event_type="bounced", reject_reason="bounced", event_id="e-1", esp_event=raw)

    tracking.send(sender=None, event=event, esp_name=esp_name)

    assert TrackingEvent.objects.count() == 1
    assert Suppression.objects.exists() is suppressed


def test_one_ses_notification_for_two_recipients_records_both() -> None:
    raw = {"bounce": {"bounceType": "Permanent"}}
    for recipient in ("one@example.com", "two@example.com"):
        event = _event(event_type="bounced", event_id="sns-1", recipient=recipient, esp_event=raw)
        tracking.send(sender=None, event=event, esp_name="Amazon SES")

    assert TrackingEvent.objects.count() == 2
    assert set(Suppression.objects.values_list("address", flat=True)) == {
        "one@example.com",
        "two@example.com",
    }


@pytest.mark.postgres
def test_concurrent_redeliveries_are_recorded_once(require_postgres, transactional_db) -> None:
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait(timeout=10)
            event = _event(event_type="complained", event_id="same-event")
            tracking_event_record(event=event, esp_name="SendGrid")
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert TrackingEvent.objects.count() == 1
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINED


def test_after_a_hard_bounce_the_next_email_to_the_address_is_suppressed(
    client, outbox_mailers, smtp_sink
) -> None:
    from notifications.tasks import deliver_due
    from notifications.tests.factories import UserFactory
    from notifications.tests.testapp.models import Wave

    gone = UserFactory(username="gone", email="gone.away@example.com")
    assert post(client, POSTMARK_URL, payload("postmark_bounce_hard"), **AUTH).status_code == 200

    Wave.objects.create(actor=UserFactory(username="fan"), target=gone)
    deliver_due()

    row = Notification.objects.get(to_address="gone.away@example.com")
    assert row.status == Notification.Status.SUPPRESSED
    assert "bounce" in row.status_reason
    assert smtp_sink.messages == []


def test_a_bounce_reported_in_ascii_stops_mail_to_the_same_address_written_in_unicode(
    outbox_mailers, smtp_sink
) -> None:
    """Providers report the address they delivered to, the IDNA form Django's
    mailers send to: alice@xn--bcher-kva.example is alice@bücher.example."""
    from notifications.tasks import deliver_due
    from notifications.tests.factories import UserFactory
    from notifications.tests.testapp.models import Wave

    alice = UserFactory(username="alice", email="Alice@Bücher.example")
    row = sent_notification(to_address=alice.email, message_id="m-1")
    bounce = AnymailTrackingEvent(
        event_type="bounced",
        recipient="alice@xn--bcher-kva.example",
        message_id="m-1",
        event_id="e-1",
        esp_event={"Type": "HardBounce"},
    )

    tracking_event_record(event=bounce, esp_name="Postmark")
    Wave.objects.create(actor=UserFactory(username="fan"), target=alice)
    deliver_due()

    assert Suppression.objects.get().address == "alice@xn--bcher-kva.example"
    assert TrackingEvent.objects.get().notification == row
    assert Notification.objects.get(kind="waved", provider="").status == "suppressed"
    assert smtp_sink.messages == []


def test_a_staff_entry_in_unicode_matches_the_address_written_in_ascii(admin_client) -> None:
    from notifications.suppression import is_suppressed

    response = admin_client.post(
        "/admin/notifications/suppression/add/",
        {"address": "Carol@Bücher.Example", "reason": "manual", "note": ""},
    )

    assert response.status_code == 302
    assert Suppression.objects.get().address == "carol@xn--bcher-kva.example"
    assert is_suppressed(address="carol@xn--bcher-kva.example", transactional=True)
    assert is_suppressed(address="CAROL@bücher.example", transactional=True)


@pytest.mark.django_db(transaction=True)
def test_the_migration_writes_stored_addresses_as_the_list_now_compares_them() -> None:
    """Entries typed before addresses were normalised to ASCII: rewritten, and
    two that are one address merged into the one that blocks more."""
    from django.db.migrations.executor import MigrationExecutor

    before, after = (
        ("notifications", "0011_lean_indexes"),
        ("notifications", "0012_suppressed_addresses_in_ascii"),
    )
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps.get_model("notifications", "Suppression")
    old.objects.create(address="dave@Bücher.example", reason="manual")
    old.objects.create(address="dave@xn--bcher-kva.example", reason="unsubscribed")
    old.objects.create(address="Erin@Example.com", reason="complained")

    executor = MigrationExecutor(connection)
    executor.migrate([after])

    assert dict(Suppression.objects.values_list("address", "reason")) == {
        "dave@xn--bcher-kva.example": "manual",
        "erin@example.com": "complained",
    }
