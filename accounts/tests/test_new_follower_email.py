# ruff: noqa: RUF001 -- Chinese text is written with full-width punctuation.
"""The new_follower email: its wording and links, follows coalesced into one
email, unfollows withdrawn from it, and its Chinese version."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import Follow
from accounts.tests.factories import UserFactory
from notifications.dispatch import notifications_claim_due, notifications_send
from notifications.models import DeliveryAttempt, Notification
from notifications.tests.support.catalogue import HAN

Status = Notification.Status
pytestmark = pytest.mark.django_db


def test_a_new_follower_gets_exactly_one_email_with_text_html_and_absolute_links(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    Follow.objects.create(follower=bob, followed=alice)

    deliver()

    [received] = smtp_sink.messages
    assert received.envelope_to == ["alice@example.com"]
    assert received.header("Subject") == "bob is now following you!"
    text = received.part("text/plain")
    html = received.part("text/html")
    assert "bob is now following you!" in text
    assert "http://testserver/u/bob/" in text
    assert 'href="http://testserver/u/bob/"' in html
    assert bob.avatar_url(96).replace("&", "&amp;") in html
    assert 'style="' in html  # CSS inlined
    assert "@media (prefers-color-scheme: dark)" in html
    row = Notification.objects.get()
    assert row.status == Status.SENT
    assert received.header("X-Notification-ID") == str(row.pk)
    assert received.header("Message-ID") == row.provider_message_id
    assert received.header("List-Unsubscribe").startswith("<http://testserver/")
    assert received.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert [a.outcome for a in row.attempt_log.all()] == [DeliveryAttempt.Outcome.SENT]


def test_email_is_rendered_in_the_recipients_language(outbox_mailers, smtp_sink, bob, deliver):
    chen = UserFactory(username="chen", email="chen@example.com", language="zh-hans")
    Follow.objects.create(follower=bob, followed=chen)
    deliver()
    row = Notification.objects.get()
    assert row.language == "zh-hans"
    assert '<html lang="zh-hans">' in row.body_html


def test_a_follow_rolled_back_leaves_no_row(alice, bob):
    with pytest.raises(RuntimeError), transaction.atomic():
        Follow.objects.create(follower=bob, followed=alice)
        raise RuntimeError("the request failed")
    assert not Notification.objects.exists()


def names_in(received) -> set[str]:  # type: ignore[no-untyped-def]
    return set(re.findall(r"follower(\d+)", received.part("text/plain")))


def test_ten_follows_within_a_minute_make_at_most_two_emails_naming_all_ten(
    outbox_mailers, smtp_sink, alice, deliver, make_due
):
    followers = [UserFactory(username=f"follower{i}") for i in range(10)]
    Follow.objects.create(follower=followers[0], followed=alice)
    deliver()  # the first email goes out at once
    for follower in followers[1:]:
        Follow.objects.create(follower=follower, followed=alice)
    deliver()  # the rest are held until the window ends
    assert len(smtp_sink.messages) == 1
    held = Notification.objects.get(status=Status.QUEUED)
    assert held.next_attempt_at > timezone.now() + timedelta(seconds=500)

    make_due()
    deliver()

    messages = smtp_sink.messages
    assert len(messages) == 2
    assert names_in(messages[0]) | names_in(messages[1]) == {str(i) for i in range(10)}
    assert messages[1].header("Subject") == (
        "follower1, follower2 and 7 others are now following you"
    )


def test_an_unfollow_before_sending_takes_the_follower_off_the_pending_email(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    carol = UserFactory(username="carol")
    Follow.objects.create(follower=bob, followed=alice)
    Follow.objects.create(follower=carol, followed=alice)
    Follow.objects.filter(follower=bob).delete()

    row = Notification.objects.get()
    assert row.params["actor_ids"] == [carol.pk]
    deliver()
    assert smtp_sink.messages[0].header("Subject") == "carol is now following you!"


def test_an_unfollow_of_every_follower_cancels_the_pending_email(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    Follow.objects.create(follower=bob, followed=alice)
    Follow.objects.filter(follower=bob).delete()

    deliver()

    row = Notification.objects.get()
    assert row.status == Status.CANCELLED
    assert "withdrawn" in row.status_reason
    assert smtp_sink.messages == []


def test_an_unfollow_after_claiming_cancels_at_send_time(outbox_mailers, smtp_sink, alice, bob):
    Follow.objects.create(follower=bob, followed=alice)
    claimed = notifications_claim_due(limit=10, worker="test")
    Follow.objects.filter(follower=bob).delete()  # too late to withdraw

    notifications_send(notifications=claimed)

    row = Notification.objects.get()
    assert row.status == Status.CANCELLED
    assert "undone" in row.status_reason
    assert smtp_sink.messages == []


# --- in the reader's language ---------------------------------------------------


@pytest.fixture
def chen(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="chen", email="chen@example.com", language="zh-hans")


@pytest.fixture
def english_bob(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="bob", email="bob@example.com", language="en")


def test_a_chinese_reader_gets_a_new_follower_email_in_chinese(
    outbox_mailers, smtp_sink, chen, english_bob, deliver
):
    Follow.objects.create(follower=english_bob, followed=chen)
    deliver()

    [received] = smtp_sink.messages
    assert received.header("Subject") == "bob 关注了你！"
    text = received.part("text/plain")
    html = received.part("text/html")
    assert "chen，你好：" in text
    assert "回关 bob：" in text
    assert "你收到这封邮件，是因为有人在 Microblog 上关注了你。" in text
    assert "退订“新关注者”邮件：" in text
    assert '<html lang="zh-hans">' in html
    assert "回关 bob" in html
    assert "bob 的头像" in html
    assert "following" not in text and "Unsubscribe" not in text


def test_the_actors_language_does_not_leak_into_an_english_readers_email(
    outbox_mailers, smtp_sink, chen, alice, deliver
):
    Follow.objects.create(follower=chen, followed=alice)
    deliver()

    [received] = smtp_sink.messages
    assert received.header("Subject") == "chen is now following you!"
    assert not HAN.search(received.part("text/plain"))
