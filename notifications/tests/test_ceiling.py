"""Deliverability: the per-recipient hourly ceiling on notification emails, the
one-click unsubscribe headers that notifications carry and account mail does
not, and the shared HTML layout every notification email is built on."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from notifications.preferences import recent_email_count
from notifications.rendering import render_type
from notifications.tasks import send_daily_digests
from notifications.tests.factories import UserFactory
from notifications.tests.testapp.models import Note, Wave
from notifications.types import registry

Status = Notification.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def limit(settings):  # type: ignore[no-untyped-def]
    """An hourly ceiling of 3 notification emails per recipient."""
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "HOURLY_LIMIT": 3}
    return 3


def note(author, recipient, n: int) -> Note:  # type: ignore[no-untyped-def]
    return Note.objects.create(author=author, recipient=recipient, body=f"Note {n}")


def test_the_excess_over_the_hourly_ceiling_is_folded_into_the_digest(
    limit, outbox_mailers, smtp_sink, alice, bob, deliver
):
    for n in range(5):
        note(bob, alice, n)

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
    # Both held notes read "bob left you a note": one line, counted.
    assert "- bob left you a note (\u00d72)" in digest.part("text/plain")
    assert Notification.objects.filter(status=Status.HELD).count() == 0


def test_the_ceiling_counts_sent_and_queued_emails_of_the_last_hour_only(
    limit, outbox_mailers, smtp_sink, alice, bob, deliver
):
    with time_machine.travel(timezone.now() - timedelta(minutes=90)):
        for n in range(3):
            note(bob, alice, n)
        deliver()
    assert recent_email_count(recipient_id=alice.pk) == 0

    note(bob, alice, 3)

    assert Notification.objects.order_by("-id").first().status == Status.QUEUED
    assert recent_email_count(recipient_id=alice.pk) == 1


def test_the_ceiling_is_per_recipient(limit, alice, bob):
    for n in range(3):
        note(bob, alice, n)

    note(alice, bob, 0)

    assert Notification.objects.get(recipient=bob).status == Status.QUEUED


def test_coalesced_wavers_count_as_one_email(limit, alice):
    for n in range(6):
        Wave.objects.create(actor=UserFactory(username=f"fan{n}"), target=alice)

    # Merged into one pending email: one row, not held.
    [row] = Notification.objects.all()
    assert row.status == Status.QUEUED
    assert len(row.params["actor_ids"]) == 6


def test_the_ceiling_never_holds_account_mail(limit, outbox_mailers, alice, bob):
    for n in range(3):
        note(bob, alice, n)

    Client().post(reverse("password_reset"), {"email": "alice@example.com"})

    reset = Notification.objects.get(kind="email")
    assert reset.status == Status.QUEUED and reset.transactional


def test_the_ceiling_never_holds_a_transactional_type(limit, alice, bob):
    from notifications.tests.testapp.notifications import security_alert_notify

    for n in range(3):
        note(bob, alice, n)

    alert = security_alert_notify(user=alice, what="a new sign-in")

    assert alert.status == Status.QUEUED and alert.transactional


def test_a_ceiling_of_zero_holds_nothing(settings, alice, bob):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "HOURLY_LIMIT": 0}
    for n in range(25):
        note(bob, alice, n)

    assert not Notification.objects.filter(status=Status.HELD).exists()


# --- List-Unsubscribe ------------------------------------------------------------


def test_notification_emails_carry_one_click_unsubscribe_headers(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    note(bob, alice, 1)
    deliver()

    [received] = smtp_sink.messages
    url = received.header("List-Unsubscribe")
    assert url.startswith("<http://testserver/notifications/unsubscribe/") and url.endswith("/>")
    assert received.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert url.strip("<>") in received.part("text/plain")
    assert f'href="{url.strip("<>")}"' in received.part("text/html")


def test_password_reset_mail_has_no_unsubscribe_headers(outbox_mailers, smtp_sink, alice, deliver):
    Client().post(reverse("password_reset"), {"email": "alice@example.com"})
    deliver()

    [received] = smtp_sink.messages
    assert received.envelope_to == ["alice@example.com"]
    assert received.header("List-Unsubscribe") is None
    assert received.header("List-Unsubscribe-Post") is None
    assert "unsubscribe" not in received.part("text/plain").lower()


def test_a_transactional_type_has_no_unsubscribe_link_or_headers(alice):
    kind = registry.get("security_alert")

    rendered = render_type(
        kind=kind, context={"what": "a new sign-in"}, language="en", recipient=alice
    )

    assert rendered.headers == {}
    assert "/notifications/unsubscribe/" not in rendered.body_text + rendered.body_html
    assert "/notifications/preferences/" in rendered.body_html


# --- the shared HTML layout ---------------------------------------------------------


@pytest.mark.parametrize("key", ["waved", "note", "digest"])
def test_every_email_has_the_shared_header_footer_and_a_plain_text_part_that_stands_alone(
    alice, key
):
    kind = registry.get(key)

    rendered = render_type(kind=kind, context=kind.sample_context(), language="en", recipient=alice)

    html, text = rendered.body_html, rendered.body_text
    assert '<meta name="color-scheme" content="light dark">' in html
    assert 'class="brand" href="http://testserver/"' in html
    assert "You received this email because" in html
    assert "/notifications/unsubscribe/" in html and "/notifications/preferences/" in html
    assert "<script" not in html.lower()
    for img in re.findall(r"<img [^>]*>", html):  # absolute, described images
        assert re.search(r'src="https://[^"]+"', img) and re.search(r'alt="[^"]+"', img)
    assert 'style="' in html  # CSS inlined
    # The text part names the reader, says why it came and how to stop it.
    assert text.startswith("Hi alice,")
    assert "You received this email because" in text
    assert "http://testserver/notifications/unsubscribe/" in text
    assert "<" not in text.replace("<http", "")


def test_the_base_template_offers_a_dark_colour_scheme(alice):
    kind = registry.get("waved")
    html = render_to_string(
        "testapp/email/waved.html", {**kind.sample_context(), "recipient": alice}
    )
    assert "@media (prefers-color-scheme: dark)" in html


def test_the_digest_s_one_click_link_also_stops_digests_of_the_excess(
    limit, outbox_mailers, alice, bob
):
    """Someone who never chose a digest gets one for what the hourly limit
    held: its one-click link must stop that digest too (RFC 8058), while the
    emails they chose still come."""
    from notifications.preferences import digest_for_the_excess, preference_mode
    from notifications.tokens import unsubscribe_url
    from notifications.transitions import REASON_DIGEST_OFF

    for n in range(5):
        note(bob, alice, n)
    url = unsubscribe_url(user_id=alice.pk, category="digest").removeprefix("http://testserver")

    response = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert not digest_for_the_excess(user_id=alice.pk)
    assert preference_mode(user_id=alice.pk, category="notes") == "immediately"
    assert send_daily_digests() == 0
    held = Notification.objects.filter(status_reason=REASON_DIGEST_OFF)
    assert list(held.values_list("status", flat=True)) == [Status.CANCELLED] * 2
    assert Notification.objects.filter(status=Status.QUEUED).count() == 3


def test_the_preferences_page_says_what_the_limit_does_and_turns_the_digest_of_the_excess_off(
    limit, alice, client
):
    from notifications.preferences import digest_for_the_excess, preferences_for

    client.force_login(alice)
    url = reverse("notifications:preferences")
    page = client.get(url).content.decode()
    assert "At most 3 notification emails reach you in one hour." in page
    assert re.search(r'name="digest_for_the_excess"[^>]*checked', page)
    choices = dict.fromkeys(preferences_for(user=alice), "immediately")

    assert client.post(url, choices).status_code == 302  # the box left unticked
    assert not digest_for_the_excess(user_id=alice.pk)
    for n in range(5):
        note(UserFactory(username=f"n{n}"), alice, n)
    send_daily_digests()
    assert not Notification.objects.filter(kind="digest").exists()

    client.post(url, {**choices, "digest_for_the_excess": "on"})
    assert digest_for_the_excess(user_id=alice.pk)


def test_no_limit_no_question_about_the_excess(settings, alice, client):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "HOURLY_LIMIT": 0}
    client.force_login(alice)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert "digest_for_the_excess" not in page


def test_the_digest_s_unsubscribe_page_offers_to_stop_the_digest_of_the_excess(limit, alice, bob):
    """Someone who gets a digest only for what the limit held is not "already
    unsubscribed" from it: the page offers the button."""
    from notifications.tokens import unsubscribe_url

    for n in range(5):
        note(bob, alice, n)
    url = unsubscribe_url(user_id=alice.pk, category="digest").removeprefix("http://testserver")

    page = Client().get(url).content.decode()

    assert "already unsubscribed" not in page
    assert 'type="submit"' in page
