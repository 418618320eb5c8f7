# ruff: noqa: RUF001 -- Chinese text is written with full-width punctuation.
"""A reader leaves a category from the link in a real email, and the new
follower email as a reader sees it, in English and in Chinese."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Follow
from notifications.models import Notification
from notifications.rendering import render_notification
from notifications.tasks import deliver_due
from notifications.types import registry

PASSWORD = "a-long-unusual-passphrase-42"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site_links(settings, live_server):  # type: ignore[no-untyped-def]
    """Links in emails point at the live test server."""
    settings.SITE_URL = live_server.url
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "SITE_URL": live_server.url}
    return live_server.url


def test_a_reader_unsubscribes_from_the_link_in_a_received_email(
    require_chromium, site_links, outbox_mailers, smtp_sink, page: Page
):
    users = get_user_model().objects
    alice = users.create_user("alice", "alice@example.com", PASSWORD)
    bob = users.create_user("bob", "bob@example.com", PASSWORD)
    Follow.objects.create(follower=bob, followed=alice)

    deliver_due()  # what the qcluster worker runs, in this process
    [received] = smtp_sink.wait_for(1)
    text = received.part("text/plain")
    match = re.search(r"Unsubscribe from “New followers” emails: (\S+)", text)
    assert match, text
    link = match.group(1)
    assert received.header("List-Unsubscribe") == f"<{link}>"
    assert link.startswith(site_links)

    page.set_default_timeout(10_000)
    page.goto(link, wait_until="domcontentloaded")
    expect(page.locator("h1")).to_have_text("Unsubscribe")
    expect(page.locator("main")).to_contain_text("Stop receiving “New followers” emails?")
    page.locator("main button:has-text('Unsubscribe')").click()
    page.wait_for_load_state("domcontentloaded")
    expect(page.locator("h1")).to_have_text("You are unsubscribed")

    page.get_by_role("link", name="Manage your notification preferences").click()
    page.wait_for_load_state("domcontentloaded")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/notifications/preferences/", wait_until="domcontentloaded")

    expect(page.locator("input[name=social][value=off]")).to_be_checked()
    expect(page.locator("input[name=mentions][value=immediately]")).to_be_checked()

    # The next follow is not emailed (once its coalescing window has passed).
    Follow.objects.create(follower=users.create_user("carol", "carol@example.com"), followed=alice)
    Notification.objects.filter(status=Notification.Status.QUEUED).update(
        next_attempt_at=timezone.now()
    )
    deliver_due()
    assert len(smtp_sink.messages) == 1
    assert Notification.objects.filter(status=Notification.Status.CANCELLED).count() == 1


@pytest.mark.parametrize(
    ("language", "headline"),
    [("en", "bob is now following you!"), ("zh-hans", "bob 关注了你！")],
)
def test_the_new_follower_email_as_a_reader_sees_it(
    require_chromium, site_links, page: Page, language, headline, screenshots
):
    users = get_user_model().objects
    reader = users.create_user("alice", "alice@example.com", PASSWORD, language=language)
    bob = users.create_user("bob", "bob@example.com", PASSWORD, first_name="Bob", last_name="Lee")
    Follow.objects.create(follower=bob, followed=reader)
    row = Notification.objects.get()

    rendered = render_notification(notification=row, kind=registry.get(row.kind))

    page.set_viewport_size({"width": 680, "height": 420})
    page.set_content(rendered.body_html, wait_until="load")
    expect(page.locator("h1")).to_have_text(headline)
    # The avatar the site draws, loaded from the site like any mail client would.
    avatar = page.locator("img.avatar")
    assert avatar.get_attribute("src") == f"{site_links}/avatars/bob.png?s=96"
    assert avatar.get_attribute("alt") == "B"
    assert avatar.evaluate("img => img.complete && img.naturalWidth") == 96
    for name in ("unsubscribe", "preferences"):
        assert page.locator(f"a[href*='/notifications/{name}']").count() == 1
    assert page.locator("script").count() == 0
    page.screenshot(path=screenshots / f"email-{language}.png", full_page=True)
