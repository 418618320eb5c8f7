"""Two people sign up in a real browser; one follows the other and unfollows."""

import pytest
from playwright.sync_api import Page, expect

PASSWORD = "a-long-unusual-passphrase-42"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_up(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/signup/", wait_until="domcontentloaded")
    page.fill("input[name=username]", username)
    page.fill("input[name=email]", f"{username}@example.com")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("button:has-text('Sign up') >> nth=-1")
    page.wait_for_url(f"{base_url}/", wait_until="domcontentloaded")


def log_out(page: Page) -> None:
    page.click("button:has-text('Log out')")
    page.wait_for_load_state("domcontentloaded")


def test_follow_and_unfollow_through_the_ui(require_chromium, live_server, page: Page, screenshots):
    base_url = live_server.url
    page.set_default_timeout(10_000)

    sign_up(page, base_url, "writer")
    page.fill("textarea[name=body]", "Hello from the browser test!")
    page.click("button:has-text('Post')")
    page.wait_for_url(f"{base_url}/", wait_until="domcontentloaded")
    expect(page.locator(".post-body").first).to_have_text("Hello from the browser test!")
    log_out(page)

    sign_up(page, base_url, "reader")
    page.goto(f"{base_url}/u/writer/", wait_until="domcontentloaded")
    followers = page.get_by_test_id("followers-count")
    expect(followers).to_have_text("0")

    page.get_by_test_id("follow").click()
    page.wait_for_load_state("domcontentloaded")
    expect(page.get_by_test_id("followers-count")).to_have_text("1")
    expect(page.locator(".message-success")).to_contain_text("You are following writer.")
    expect(page.get_by_test_id("unfollow")).to_be_visible()
    page.screenshot(path=str(screenshots / "profile.png"), full_page=True)

    page.goto(f"{base_url}/", wait_until="domcontentloaded")
    expect(page.locator(".post-body").first).to_have_text("Hello from the browser test!")
    page.screenshot(path=str(screenshots / "home.png"), full_page=True)

    page.goto(f"{base_url}/u/writer/", wait_until="domcontentloaded")
    page.get_by_test_id("unfollow").click()
    page.wait_for_load_state("domcontentloaded")
    expect(page.get_by_test_id("followers-count")).to_have_text("0")
    expect(page.get_by_test_id("follow")).to_be_visible()
