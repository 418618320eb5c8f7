"""The site's account mail (password resets) goes through the notifications outbox
as transactional mail: sent by the worker, never unsubscribable, never held."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from microblog.models import Post
from notifications.models import Notification

Status = Notification.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def limit(settings):  # type: ignore[no-untyped-def]
    """An hourly ceiling of 3 notification emails per recipient."""
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "HOURLY_LIMIT": 3}
    return 3


def mention(author, name: str, n: int) -> Post:  # type: ignore[no-untyped-def]
    return Post.objects.create(author=author, body=f"Post {n} for @{name}")


def test_a_password_reset_goes_through_the_outbox_not_the_request(
    outbox_mailers, smtp_sink, alice, deliver
):
    before = smtp_sink.connections
    Client().post(reverse("accounts:password_reset"), {"email": "alice@example.com"})
    row = Notification.objects.get(to_address="alice@example.com")
    assert row.recipient == alice
    assert smtp_sink.connections == before  # the request opened no SMTP connection

    deliver()

    [received] = smtp_sink.messages
    assert received.envelope_to == ["alice@example.com"]
    assert "http://testserver/" in received.part("text/plain")


def test_password_reset_mail_has_no_unsubscribe_headers(outbox_mailers, smtp_sink, alice, deliver):
    Client().post(reverse("accounts:password_reset"), {"email": "alice@example.com"})
    deliver()

    [received] = smtp_sink.messages
    assert received.envelope_to == ["alice@example.com"]
    assert received.header("List-Unsubscribe") is None
    assert received.header("List-Unsubscribe-Post") is None
    assert "unsubscribe" not in received.part("text/plain").lower()


def test_the_ceiling_never_holds_account_mail(limit, outbox_mailers, alice, bob):
    for n in range(3):
        mention(bob, "alice", n)

    Client().post(reverse("accounts:password_reset"), {"email": "alice@example.com"})

    reset = Notification.objects.get(kind="email")
    assert reset.status == Status.QUEUED and reset.transactional
