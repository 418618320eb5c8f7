"""The development loop of `make run`, for real: a password reset requested in
the browser crosses SMTP to the local Maildir sink and shows in the dev inbox."""

import re
import sys

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from notifications.tests.support.smtp import free_port
from tests.support.browser import look_at
from tests.support.processes import ManagedProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def maildir_sink(run_dir, tmp_path):
    """The same sink `make run` starts: aiosmtpd's Mailbox handler writing a Maildir."""
    port = free_port()
    maildir = tmp_path / "mail"
    process = ManagedProcess([], run_dir / "mailsink.log")
    process.start_command(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Mailbox",
            str(maildir),
        ]
    )
    yield port, maildir
    process.stop()


def test_password_reset_shows_up_in_the_dev_inbox(
    require_chromium, live_server, page: Page, settings, maildir_sink, qcluster, screenshots
):
    port, maildir = maildir_sink
    settings.DEBUG = True
    settings.DEV_INBOX_MAILDIR = maildir
    settings.MAILERS = {"default": {"BACKEND": "notifications.backends.OutboxEmailBackend"}}
    get_user_model().objects.create_user("forgetful", "forgetful@example.com", "old-password-9")
    qcluster({"EMAIL_URL": f"smtp://127.0.0.1:{port}"})

    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/password/reset/", wait_until="domcontentloaded")
    page.fill("input[name=email]", "forgetful@example.com")
    page.click("main button[type=submit]")
    page.wait_for_url("**/reset/sent/", wait_until="domcontentloaded")

    # The worker delivers within a couple of seconds; reload until it shows.
    inbox = f"{live_server.url}/dev/inbox/"
    link = page.locator("table.devinbox a").first
    for _ in range(60):
        page.goto(inbox, wait_until="domcontentloaded")
        if link.count():
            break
        page.wait_for_timeout(500)
    expect(link).to_contain_text("reset", ignore_case=True)
    page.screenshot(path=screenshots / "devinbox-password-reset-list.png", full_page=True)

    link.click()
    page.wait_for_load_state("load")
    expect(page.locator("pre.email-text")).to_contain_text("/accounts/password/reset/")
    expect(page.locator("table.headers")).to_contain_text("forgetful@example.com")
    frame = page.frame_locator("iframe.email-html")
    expect(frame.locator("a.button")).to_have_attribute(
        "href", re.compile("/accounts/password/reset/")
    )
    assert look_at(page, screenshots, "devinbox-password-reset") == []
