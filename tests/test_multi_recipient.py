"""A message given to Django's mail API for several people: each address that
may receive it does, a suppressed one does not, and staff see which."""

from __future__ import annotations

import pytest
from django.core.mail import EmailMessage
from django.urls import reverse

from notifications.models import Notification, Suppression
from notifications.suppression import suppression_add
from notifications.tasks import deliver_due

pytestmark = pytest.mark.django_db
Status = Notification.Status


def send_to_three() -> Notification:
    EmailMessage(
        "Team update",
        "Hello all",
        to=["ana@example.com", "Bea <bea@example.com>"],
        cc=["cy@example.com"],
    ).send()
    return Notification.objects.get()


def test_a_suppressed_address_among_three_is_left_out_and_the_others_get_the_message(
    outbox_mailers, smtp_sink
):
    suppression_add(address="BEA@example.com", reason=Suppression.Reason.BOUNCED)
    row = send_to_three()

    deliver_due()

    [received] = smtp_sink.messages
    assert sorted(received.envelope_to) == ["ana@example.com", "cy@example.com"]
    assert "bea@example.com" not in (received.header("To") or "").lower()
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert row.address_outcomes == {
        "ana@example.com": "sent",
        "cy@example.com": "sent",
        "bea@example.com": "address is suppressed: bounced",
    }


def test_a_message_whose_every_address_is_suppressed_is_not_sent(outbox_mailers, smtp_sink):
    for address in ("ana@example.com", "bea@example.com", "cy@example.com"):
        suppression_add(address=address, reason=Suppression.Reason.MANUAL)
    row = send_to_three()

    deliver_due()

    assert smtp_sink.messages == []
    row.refresh_from_db()
    assert row.status == Status.SUPPRESSED
    assert "bea@example.com" in row.status_reason


def test_a_complaint_does_not_stop_mail_sent_through_djangos_api(outbox_mailers, smtp_sink):
    """Such mail is transactional (a password reset): only a bounce or staff stop it."""
    suppression_add(address="cy@example.com", reason=Suppression.Reason.COMPLAINED)
    send_to_three()

    deliver_due()

    [received] = smtp_sink.messages
    assert len(received.envelope_to) == 3


def test_staff_see_what_became_of_each_address(outbox_mailers, smtp_sink, admin_client):
    suppression_add(address="bea@example.com", reason=Suppression.Reason.BOUNCED)
    row = send_to_three()
    deliver_due()

    page = admin_client.get(reverse("admin:notifications_notification_change", args=[row.pk]))

    body = page.content.decode()
    assert "<code>bea@example.com</code>: address is suppressed: bounced" in body
    assert "<code>ana@example.com</code>: sent" in body
