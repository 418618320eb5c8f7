# ruff: noqa: RUF001 -- Chinese text is written with full-width punctuation.
"""The in-app channel in a real browser, in English and in Chinese, on the
demo data with a real worker delivering to the dev inbox:

bob follows alice and her bell shows 1 without a reload; the feed links to
bob's profile; marking it read drops the count. Then, with "only if I
haven't seen it in the app" chosen for new followers, a follow she opens in
time never reaches her inbox, and one she leaves unread does.

Screenshots (var/screenshots/in-app-<language>-*) of the bell, the feed and
the preferences page; every page checked with axe-core, no console error.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.models import Follow, User
from accounts.services import follow_create
from notifications.models import Notification
from tests.browser.conftest import StaffLogin
from tests.support.browser import ConsoleErrors, click_and_wait, look_at, switch_language
from tests.support.processes import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
Status = Notification.Status
UNSEEN_DELAY = 4  # seconds the "only if unseen" email waits, instead of ten minutes


@dataclass(frozen=True)
class Words:
    followed_by_bob: str
    mark_read: str
    settings: str
    preferences: str
    only_if_unseen: str
    save: str
    saved: str


WORDS = {
    "en": Words(
        followed_by_bob="bob is now following you!",
        mark_read="Mark as read",
        settings="Settings",
        preferences="Notifications",  # the settings tab
        only_if_unseen="Only if I haven't seen it in the app",
        save="Save preferences",
        saved="Your notification preferences were saved.",
    ),
    "zh-hans": Words(
        followed_by_bob="bob 关注了你！",
        mark_read="标为已读",
        settings="设置",
        preferences="通知",
        only_if_unseen="仅当我未在站内看到时",
        save="保存设置",
        saved="你的通知设置已保存。",
    ),
}


def sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/accounts/login/", wait_until="load")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    click_and_wait(page, page.locator("main button[type=submit]"))


def follows(follower: str, followed: str) -> None:
    follow_create(
        follower=User.objects.get(username=follower), followed=User.objects.get(username=followed)
    )


def inbox_subjects(page: Page) -> list[str]:
    page.goto("/dev/inbox/", wait_until="load")
    return page.locator("table.devinbox a").all_inner_texts()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_bell_the_feed_and_email_only_if_unseen(
    require_chromium,
    live_server,
    browser: Browser,
    dev_site: StaffLogin,
    settings,
    screenshots,
    language,
):
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "FEED_POLL_SECONDS": 1,
        # Both waits short: after bob's email, dave's would otherwise wait out
        # the ten-minute coalescing window as well.
        "UNSEEN_DELAY": UNSEEN_DELAY,
        "COALESCE_WINDOW": UNSEEN_DELAY,
    }
    words = WORDS[language]
    alice = User.objects.get(username="alice")
    alice.language = language
    alice.save(update_fields=["language"])
    Follow.objects.filter(follower__username="bob", followed=alice).delete()  # seed data
    for name in ("dave", "erin"):
        User.objects.create_user(username=name, email=f"{name}@example.com", password="!")

    console = ConsoleErrors()
    problems: list[str] = []
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    page = console.watch(context.new_page())
    page.set_default_timeout(15_000)

    def look(name: str) -> None:
        problems.extend(look_at(page, screenshots, f"in-app-{language}-{name}"))

    sign_in(page, "alice", dev_site.password)
    if page.locator("html").get_attribute("lang") != language:
        switch_language(page, language)
    page.goto("/explore/", wait_until="load")
    bell = page.locator("a.notifications-bell")
    expect(bell).to_be_visible()
    expect(bell.locator(".notifications-count")).to_have_count(0)

    # bob follows alice: her bell shows 1 without a reload.
    follows("bob", "alice")
    expect(bell.locator(".notifications-count")).to_have_text("1", timeout=10_000)
    look("bell")

    # The feed: the item links to bob's profile; marking it read drops the count.
    click_and_wait(page, bell)
    item = page.locator(".notifications-item").first
    expect(item).to_contain_text(words.followed_by_bob)
    expect(item.locator("a.notifications-item-link")).to_have_attribute("href", "/u/bob/")
    look("feed")
    click_and_wait(page, item.get_by_role("button", name=re.compile(words.mark_read)))
    expect(page.locator("a.notifications-bell .notifications-count")).to_have_count(0)
    look("feed-read")

    # Email only if unseen, for new followers.
    main_nav = page.get_by_role("navigation", name=re.compile("Main|主导航"))
    click_and_wait(page, main_nav.get_by_role("link", name=words.settings))
    tabs = page.get_by_role("navigation", name=words.settings)
    click_and_wait(page, tabs.get_by_role("link", name=words.preferences))
    expect(tabs.get_by_role("link", name=words.preferences)).to_have_attribute(
        "aria-current", "page"
    )
    social = page.locator("fieldset.notifications-category").first
    social.get_by_label(words.only_if_unseen).check()
    look("preferences")
    click_and_wait(page, page.get_by_role("button", name=words.save))
    expect(page.locator(".message-success")).to_have_text(words.saved)

    # dave follows; alice reads it in the app before the email is due: no email.
    follows("dave", "alice")
    dave_row = Notification.objects.get(
        kind="new_follower", params__actor_ids=[User.objects.get(username="dave").pk]
    )
    # She opens the item itself: that marks it read, as its button would.
    page.goto("/notifications/", wait_until="load")
    click_and_wait(
        page, page.locator(".notifications-item", has_text="dave").locator("a").first
    )
    expect(page).to_have_url(re.compile("/u/dave/$"))
    wait_until(
        lambda: Notification.objects.get(pk=dave_row.pk).status == Status.CANCELLED,
        timeout=UNSEEN_DELAY + 15,
        message="the email of an item read in time was not cancelled",
    )
    assert Notification.objects.get(pk=dave_row.pk).status_reason == (
        "seen in the app before the email was due"
    )

    # erin follows; alice leaves it unread: the email arrives after the delay.
    followed_at = time.monotonic()
    follows("erin", "alice")
    for _ in range(40):
        subjects = inbox_subjects(page)
        if any("erin" in subject for subject in subjects):
            break
        page.wait_for_timeout(500)
    assert any("erin" in subject for subject in subjects), subjects
    assert time.monotonic() - followed_at >= UNSEEN_DELAY - 1
    assert not any("dave" in subject for subject in subjects), subjects
    look("devinbox")

    context.close()
    assert problems == [], "\n".join(problems)
    console.assert_none()
