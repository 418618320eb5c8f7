# ruff: noqa: RUF001 -- Chinese text is written with full-width punctuation.
"""The mention email: who gets it, what it quotes and links, and its Chinese version."""

from __future__ import annotations

import pytest

from accounts.tests.factories import UserFactory
from microblog.models import Post
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_a_mention_emails_the_mentioned_user_once_with_the_post(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    post = Post.objects.create(author=bob, body="Lunch, @alice? And @ALICE again, @nobody, @bob")

    deliver()

    [received] = smtp_sink.messages
    assert received.envelope_to == ["alice@example.com"]
    assert received.header("Subject") == "bob mentioned you"
    assert "Lunch, @alice?" in received.part("text/plain")
    assert f"http://testserver/p/{post.pk}/" in received.part("text/plain")
    assert f'href="http://testserver/p/{post.pk}/"' in received.part("text/html")
    assert Notification.objects.get().kind == "mention"


@pytest.fixture
def chen(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="chen", email="chen@example.com", language="zh-hans")


@pytest.fixture
def english_bob(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="bob", email="bob@example.com", language="en")


def test_a_chinese_reader_gets_a_mention_email_in_chinese(
    outbox_mailers, smtp_sink, chen, english_bob, deliver
):
    Post.objects.create(author=english_bob, body="Lunch at noon, @chen?")
    deliver()

    [received] = smtp_sink.messages
    assert received.header("Subject") == "bob 提到了你"
    text = received.part("text/plain")
    assert "bob 在帖子中提到了你：" in text
    assert "Lunch at noon, @chen?" in text  # the post itself is not translated
    assert "查看帖子：" in text
    assert "查看帖子" in received.part("text/html")
