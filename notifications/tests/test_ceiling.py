"""Deliverability: the per-recipient hourly ceiling on notification emails, and
the one-click unsubscribe headers that notifications carry and account mail
does not."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from microblog.models import Post
from notifications.digest import send_daily_digests
from notifications.models import Notification
from notifications.preferences import recent_email_count

Status = Notification.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def limit(settings):  # type: ignore[no-untyped-def]
    """An hourly ceiling of 3 notification emails per recipient."""
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "HOURLY_LIMIT": 3}
    return 3


def mention(author, name: str, n: int) -> Post:  # type: ignore[no-untyped-def]
    return Post.objects.create(author=author, body=f"Post {n} for @{name}")


def test_the_excess_over_the_hourly_ceiling_is_folded_into_the_digest(
    limit, outbox_mailers, smtp_sink, alice, bob, deliver
):
    for n in range(5):
        mention(bob, "alice", n)

    statuses = list(Notification.objects.order_by("id").values_list("status", flat=True))
    assert statuses == [Status.QUEUED] * 3 + [Status.HELD] * 2
    assert "hourly limit of 3" in Notification.objects.filter(status=Status.HELD)[0].status_reason
    deliver()
    assert len(smtp_sink.messages) == 3

    send_daily_digests()
    deliver()

    assert len(smtp_sink.messages) == 4
    digest = smtp_sink.messages[-1]
    assert digest.header("Subject") == "Your daily digest: 2 new notifications"
    # Both held mentions read "bob mentioned you": one line, counted.
    assert "- bob mentioned you (\u00d72)" in digest.part("text/plain")
    assert Notification.objects.filter(status=Status.HELD).count() == 0


def test_the_ceiling_counts_sent_and_queued_emails_of_the_last_hour_only(
    limit, outbox_mailers, smtp_sink, alice, bob, deliver
):
    with time_machine.travel(timezone.now() - timedelta(minutes=90)):
        for n in range(3):
            mention(bob, "alice", n)
        deliver()
    assert recent_email_count(recipient_id=alice.pk) == 0

    mention(bob, "alice", 3)

    assert Notification.objects.order_by("-id").first().status == Status.QUEUED
    assert recent_email_count(recipient_id=alice.pk) == 1


def test_the_ceiling_is_per_recipient(limit, alice, bob):
    for n in range(3):
        mention(bob, "alice", n)

    mention(alice, "bob", 0)

    assert Notification.objects.get(recipient=bob).status == Status.QUEUED


def test_coalesced_followers_count_as_one_email(limit, alice):
    from accounts.models import Follow

    for n in range(6):
        Follow.objects.create(follower=UserFactory(username=f"fan{n}"), followed=alice)

    # Merged into one pending email: one row, not held.
    [row] = Notification.objects.all()
    assert row.status == Status.QUEUED
    assert len(row.params["actor_ids"]) == 6


def test_the_ceiling_never_holds_account_mail(limit, outbox_mailers, alice, bob):
    for n in range(3):
        mention(bob, "alice", n)

    Client().post(reverse("accounts:password_reset"), {"email": "alice@example.com"})

    reset = Notification.objects.get(kind="email")
    assert reset.status == Status.QUEUED and reset.transactional


def test_a_ceiling_of_zero_holds_nothing(settings, alice, bob):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "HOURLY_LIMIT": 0}
    for n in range(25):
        mention(bob, "alice", n)

    assert not Notification.objects.filter(status=Status.HELD).exists()


# --- List-Unsubscribe ------------------------------------------------------------


def test_notification_emails_carry_one_click_unsubscribe_headers(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    mention(bob, "alice", 1)
    deliver()

    [received] = smtp_sink.messages
    url = received.header("List-Unsubscribe")
    assert url.startswith("<http://testserver/notifications/unsubscribe/") and url.endswith("/>")
    assert received.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert url.strip("<>") in received.part("text/plain")
    assert f'href="{url.strip("<>")}"' in received.part("text/html")


def test_password_reset_mail_has_no_unsubscribe_headers(outbox_mailers, smtp_sink, alice, deliver):
    Client().post(reverse("accounts:password_reset"), {"email": "alice@example.com"})
    deliver()

    [received] = smtp_sink.messages
    assert received.envelope_to == ["alice@example.com"]
    assert received.header("List-Unsubscribe") is None
    assert received.header("List-Unsubscribe-Post") is None
    assert "unsubscribe" not in received.part("text/plain").lower()
