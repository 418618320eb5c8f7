import io
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command

from notifications.tests.support.smtp import free_port
from tests.support.processes import ManagedProcess

CHROMIUM = "/usr/bin/chromium"
BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an event loop running in the test thread from
    its start until the end of the session, so Django's async-safety guard would
    refuse the (synchronous, same-thread) database setup and flushes of the
    browser tests. Lift the guard for exactly that stretch."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):  # type: ignore[no-untyped-def]
    """The system Chromium, headless, with nothing that reaches the network."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where browser tests save screenshots: var/screenshots, or SCREENSHOT_DIR.

    The pictures in docs/ are refreshed on purpose, with
    `SCREENSHOT_DIR=docs/screenshots make test PYTEST_ARGS="-m browser"`.
    """
    path = Path(os.environ.get("SCREENSHOT_DIR", BASE_DIR / "var" / "screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class StaffLogin:
    username: str
    password: str
    admin_url: str


def demo_data() -> StaffLogin:
    """Run demo_users as `make run` does and read the staff login it prints."""
    out = io.StringIO()
    call_command("demo_users", stdout=out)
    printed = out.getvalue()
    password = re.search(r"with the password '([^']+)'", printed)
    staff = re.search(r"^\s+(\S+) \(staff and superuser\): the admin at (\S+)$", printed, re.M)
    assert password and staff, printed
    return StaffLogin(staff.group(1), password.group(1), staff.group(2))


@pytest.fixture
def maildir_sink(run_dir, tmp_path):  # type: ignore[no-untyped-def]
    """The SMTP sink `make run` starts: aiosmtpd's Mailbox handler writing a Maildir."""
    port = free_port()
    maildir = tmp_path / "mail"
    process = ManagedProcess([], run_dir / "mailsink.log")
    sink = ["-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Mailbox", str(maildir)]
    process.start_command([sys.executable, "-m", "aiosmtpd", *sink])
    yield port, maildir
    process.stop()


@pytest.fixture
def dev_site(settings, live_server, maildir_sink, qcluster):  # type: ignore[no-untyped-def]
    """`make run` in miniature: DEBUG on, demo data, a worker delivering the
    outbox to the Maildir the dev inbox reads, links in emails to this site."""
    port, maildir = maildir_sink
    settings.DEBUG = True
    settings.SITE_URL = live_server.url
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "SITE_URL": live_server.url}
    settings.DEV_INBOX_MAILDIR = maildir
    settings.MAILERS = {"default": {"BACKEND": "notifications.backends.OutboxEmailBackend"}}
    staff = demo_data()
    qcluster({"EMAIL_URL": f"smtp://127.0.0.1:{port}", "TEST_SITE_URL": live_server.url})
    return staff
