"""Staff pages of the outbox in a real browser: list, detail, dashboard, previews."""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from accounts.services import follow_create
from notifications.models import Notification
from notifications.tasks import deliver_due
from notifications.types import registry

PASSWORD = "staff-passphrase-for-the-admin-7"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def delivered(outbox_mailers, smtp_sink):
    User = get_user_model()
    User.objects.create_superuser("staff", "staff@example.com", PASSWORD)
    alice = User.objects.create_user("alice", "alice@example.com", "pw-alice-123")
    for name in ("bob", "carol"):
        follow_create(
            follower=User.objects.create_user(name, f"{name}@example.com"), followed=alice
        )
    Notification.objects.update(
        next_attempt_at=Notification._meta.get_field("created_at").default()
    )
    deliver_due()
    return Notification.objects.filter(status=Notification.Status.SENT).first()


def shoot(page: Page, screenshots: Path, name: str) -> None:
    # Sandboxed iframes are painted only inside the viewport: make it as tall
    # as the page instead of asking for a full-page capture.
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1280, "height": min(height, 6000)})
    page.wait_for_timeout(300)
    page.screenshot(path=screenshots / f"{name}.png")
    page.set_viewport_size({"width": 1280, "height": 720})


def test_staff_pages_render(require_chromium, live_server, page: Page, delivered, screenshots):
    assert delivered is not None
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/login/", wait_until="domcontentloaded")
    page.fill("input[name=username]", "staff")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/", wait_until="domcontentloaded")

    page.goto(f"{live_server.url}/admin/notifications/notification/", wait_until="domcontentloaded")
    expect(page.locator("#result_list")).to_contain_text("alice@example.com")
    shoot(page, screenshots, "admin-outbox")

    page.goto(
        f"{live_server.url}/admin/notifications/notification/{delivered.pk}/change/",
        wait_until="load",
    )
    frame = page.frame_locator("iframe.notification-preview")
    expect(frame.locator("body")).to_contain_text("following you")
    shoot(page, screenshots, "admin-notification")

    page.goto(f"{live_server.url}/admin/notifications/notification/dashboard/", wait_until="load")
    expect(page.locator("svg rect.bar-sent").first).to_be_attached()
    shoot(page, screenshots, "admin-dashboard")

    page.goto(f"{live_server.url}/admin/notifications/notification/preview/", wait_until="load")
    previews = len(registry.all()) * len(settings.LANGUAGES)
    expect(page.locator("iframe.notification-preview")).to_have_count(previews)
    shoot(page, screenshots, "admin-preview")
