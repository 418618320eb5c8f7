"""A newcomer's first minutes on `make run`'s demo data, in a real browser, in
English and in Chinese: sign up, find alice through the search on Explore,
follow her, see the new-follower email arrive in the dev inbox (a real
qcluster delivering over SMTP to the Maildir sink), then log in with the staff
account demo_users printed and reach the admin.

Every page on the way is screenshotted (var/screenshots/journey-<language>-*)
and checked with axe-core; any serious or critical violation, any browser
console error or uncaught exception fails the test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import StaffLogin
from tests.support.browser import ConsoleErrors, click_and_wait, look_at, switch_language

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-unusual-passphrase-42"


@dataclass(frozen=True)
class Words:
    """What the newcomer reads and clicks, in one language."""

    sign_up: str
    explore: str
    search: str
    follow: str
    following_alice: str
    log_out: str
    log_in: str
    admin: str
    admin_heading: str


WORDS = {
    "en": Words(
        sign_up="Sign up",
        explore="Explore",
        search="Search",
        follow="Follow",
        following_alice="You are following alice.",
        log_out="Log out",
        log_in="Log in",
        admin="Admin",
        admin_heading="Site administration",
    ),
    "zh-hans": Words(
        sign_up="注册",
        explore="发现",
        search="搜索",
        follow="关注",
        following_alice="你已关注 alice。",
        log_out="退出登录",
        log_in="登录",
        admin="管理后台",
        admin_heading="站点管理",
    ),
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_newcomer_finds_alice_follows_her_sees_the_email_and_staff_reach_the_admin(
    require_chromium, live_server, browser: Browser, dev_site: StaffLogin, screenshots, language
):
    words = WORDS[language]
    newcomer = "nina" if language == "en" else "lilei"
    console = ConsoleErrors()
    problems: list[str] = []
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    page = console.watch(context.new_page())
    page.set_default_timeout(15_000)
    step = 0

    def look(name: str) -> None:
        nonlocal step
        step += 1
        problems.extend(look_at(page, screenshots, f"journey-{language}-{step:02d}-{name}"))

    nav = page.get_by_role("navigation", name=re.compile("Main|主导航"))

    # Arriving on Explore, in the reader's language.
    page.goto("/explore/", wait_until="load")
    if language != "en":
        switch_language(page, language)
    expect(page.locator("html")).to_have_attribute("lang", language)
    look("explore-visitor")

    # Sign up.
    click_and_wait(page, nav.get_by_role("link", name=words.sign_up))
    look("signup")
    page.fill("input[name=username]", newcomer)
    page.fill("input[name=email]", f"{newcomer}@example.com")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    click_and_wait(page, page.locator("main button[type=submit]"))
    expect(page).to_have_url(f"{live_server.url}/")
    look("home")

    # Find alice: Explore suggests her, and the search finds her.
    click_and_wait(page, nav.get_by_role("link", name=words.explore))
    expect(page.locator(".people-side")).to_contain_text("@alice")
    look("explore")
    page.get_by_role("searchbox").fill("ali")
    click_and_wait(page, page.get_by_role("search").get_by_role("button", name=words.search))
    result = page.locator(".user-list .user-card", has_text="@alice")
    expect(result).to_be_visible()
    look("search")
    click_and_wait(page, result.get_by_role("link", name="@alice"))
    look("alice")

    # Follow her.
    click_and_wait(page, page.get_by_test_id("follow"))
    expect(page.locator(".message-success")).to_have_text(words.following_alice)
    expect(page.get_by_test_id("followers-count")).to_have_text("3")
    look("following-alice")

    # The worker delivers her email within a couple of seconds.
    subject = re.compile(rf"{newcomer}")
    email = page.locator("table.devinbox a", has_text=subject)
    for _ in range(40):
        page.goto("/dev/inbox/", wait_until="load")
        if email.count():
            break
        page.wait_for_timeout(500)
    expect(email).to_have_count(1)
    look("devinbox")
    click_and_wait(page, email)
    expect(page.locator("pre.email-text")).to_contain_text(f"/u/{newcomer}/")
    frame = page.frame_locator("iframe.email-html")
    expect(frame.locator("h1")).to_contain_text(newcomer)
    expect(frame.locator("img.avatar")).to_have_js_property("naturalWidth", 96)
    look("devinbox-email")

    # Log out, log in with the staff account demo_users printed, reach the admin.
    click_and_wait(page, nav.get_by_role("button", name=words.log_out))
    click_and_wait(page, nav.get_by_role("link", name=words.log_in))
    page.fill("input[name=username]", dev_site.username)
    page.fill("input[name=password]", dev_site.password)
    click_and_wait(page, page.locator("main button[type=submit]"))
    if language != "en":
        # The demo staff account reads English; this staff member switches.
        switch_language(page, language)
    click_and_wait(page, nav.get_by_role("link", name=words.admin))
    expect(page).to_have_url(dev_site.admin_url.replace("http://127.0.0.1:8000", live_server.url))
    expect(page.locator("#site-name, h1").first).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(words.admin_heading)
    look("admin")

    context.close()
    assert problems == [], "\n".join(problems)
    console.assert_none()
