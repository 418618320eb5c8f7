"""The project's notification types (new_follower, mention) inside the framework:
its shared email layout, its staff previews, its ESP tag and its daily digest."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Follow
from accounts.tests.factories import UserFactory
from microblog.models import Post
from notifications.models import Notification, Preference
from notifications.preferences import preference_set
from notifications.rendering import render_type
from notifications.tasks import send_daily_digests
from notifications.types import registry

pytestmark = pytest.mark.django_db
PROJECT_TYPES = ("new_follower", "mention")


@pytest.fixture
def staff_client():  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("key", PROJECT_TYPES)
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
    assert text.startswith("Hi alice,")
    assert "You received this email because" in text
    assert "http://testserver/notifications/unsubscribe/" in text
    assert "<" not in text.replace("<http", "")


def test_preview_html_of_each_type_and_language(staff_client):
    for key in PROJECT_TYPES:
        for code in ("en", "zh-hans"):
            url = reverse("admin:notifications_preview_html", args=[key, code])
            response = staff_client.get(url)
            assert response.status_code == 200
            assert b"<html" in response.content


def test_the_preview_renders_every_type_in_every_language(staff_client):
    body = staff_client.get(reverse("admin:notifications_preview")).content.decode()
    for key in PROJECT_TYPES:
        assert f"{key} · English" in body
        assert f"{key} · 简体中文" in body
    assert "bob, carol and 2 others are now following you" in body
    assert "errornote" not in body


def test_the_daily_digest_lists_follows_and_mentions_under_their_categories(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    carol = UserFactory(username="carol")
    preference_set(user=alice, category="social", mode=Preference.Mode.DIGEST)
    preference_set(user=alice, category="mentions", mode=Preference.Mode.DIGEST)
    Follow.objects.create(follower=bob, followed=alice)
    Follow.objects.create(follower=carol, followed=alice)
    Post.objects.create(author=carol, body="Lunch at noon, @alice?")

    assert send_daily_digests() == 1
    deliver()

    [received] = smtp_sink.messages
    assert received.header("Subject") == "Your daily digest: 3 new notifications"
    text = received.part("text/plain")
    html = received.part("text/html")
    for line in ("bob is now following you!", "carol is now following you!", "carol mentioned you"):
        assert f"- {line}" in text
        assert line in html
    assert "New followers" in text and "Mentions" in text
    assert Notification.objects.get(kind="digest").status == Notification.Status.SENT
