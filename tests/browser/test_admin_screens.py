"""Staff pages of the outbox in a real browser, in English and Chinese: the
admin's home, the Notifications section, the outbox list, a waiting and a sent
email, the delivery dashboard and the previews.

The outbox holds what a working site holds: a sent email, one waiting for more
followers (a second follow inside the coalescing window) and one held for a
recipient's daily digest; the workers' heartbeat is fresh (the sweep has just
run), so the dashboard shows its healthy state. Every page is screenshotted
(admin-<page>[-zh-hans].png; the README's come from here), checked with
axe-core and for content wider than the 1280-pixel window, and must log no
console error.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, expect

from accounts.services import follow_create
from microblog.services import post_create
from notifications.models import Notification
from notifications.preferences import preference_set
from notifications.tasks import deliver_due, sweep
from notifications.types import registry
from tests.support.browser import ConsoleErrors, click_and_wait, look_at

PASSWORD = "staff-passphrase-for-the-admin-7"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Status = Notification.Status

WORDS = {
    "en": {
        "outbox": "Outbox",
        "dashboard": "Delivery dashboard",
        "previews": "Notification previews",
        "healthy": "Delivery is healthy",
        "waiting": "Waiting for more followers until",
        "held": "daily digest",
        "view": "View outbox email",
        "following": "are now following you",
    },
    "zh-hans": {
        "outbox": "发件箱",
        "dashboard": "投递仪表盘",
        "previews": "通知预览",
        "healthy": "投递正常",
        "waiting": "等待更多关注者",
        "held": "每日摘要",
        "view": "查看 发件箱邮件",
        "following": "are now following you",
    },
}


@pytest.fixture
def busy_outbox(outbox_mailers, smtp_sink, settings, live_server):  # type: ignore[no-untyped-def]
    """A sent email, one waiting for more followers, one held for a digest; a fresh heartbeat."""
    # The emails' links and pictures point at the site the browser sees; the
    # digest goes out at 08:00, as `make run`'s does.
    settings.SITE_URL = live_server.url
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "SITE_URL": live_server.url,
        "DIGEST_HOUR": 8,
    }
    User = get_user_model()
    User.objects.create_superuser("staff", "staff@example.com", PASSWORD)
    alice = User.objects.create_user(
        "alice", "alice.longer-address-for-the-list@example.com", "pw-alice-123"
    )
    carol = User.objects.create_user("carol", "carol@example.com", "pw-carol-123")
    for name in ("bob", "dave"):
        follow_create(
            follower=User.objects.create_user(name, f"{name}@example.com"), followed=alice
        )
    deliver_due()
    # Inside the coalescing window of the email just sent: this one waits.
    follow_create(follower=carol, followed=alice)
    # carol reads mentions once a day: alice's mention waits for her digest.
    preference_set(user=carol, category="mentions", mode="digest")
    post_create(author=alice, body="Coffee at ten, @carol?")
    sweep()
    waiting = Notification.objects.get(status=Status.QUEUED)
    assert Notification.objects.filter(status=Status.SENT).count() == 1
    assert Notification.objects.filter(status=Status.HELD).count() == 1
    return waiting


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_staff_find_every_page_of_the_outbox_and_see_why_an_email_waits(
    require_chromium, live_server, browser: Browser, busy_outbox, screenshots: Path, language
):
    words = WORDS[language]
    suffix = "" if language == "en" else f"-{language}"
    get_user_model().objects.filter(username="staff").update(language=language)
    console = ConsoleErrors()
    problems: list[str] = []
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    page = console.watch(context.new_page())
    page.set_default_timeout(15_000)

    def look(name: str) -> None:
        problems.extend(look_at(page, screenshots, f"admin-{name}{suffix}"))

    page.goto("/admin/login/", wait_until="load")
    page.fill("input[name=username]", "staff")
    page.fill("input[name=password]", PASSWORD)
    click_and_wait(page, page.locator("input[type=submit]"))
    expect(page).to_have_url(f"{live_server.url}/admin/")
    staff_pages = page.locator(".notifications-staff-pages")
    expect(staff_pages.get_by_role("link", name=words["dashboard"])).to_be_visible()
    look("index")

    # The Notifications section links to the same pages beside its models.
    page.goto("/admin/notifications/", wait_until="load")
    expect(page.locator(".notifications-staff-pages")).to_have_count(1)
    look("section")
    page.go_back(wait_until="load")

    # The outbox: every row says what it is and, while it waits, why and until when.
    click_and_wait(page, staff_pages.get_by_role("link", name=words["outbox"]))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)
    waiting_row = rows.filter(has=page.locator(f"a[href$='/{busy_outbox.pk}/change/']"))
    expect(waiting_row.locator(".row-reason")).to_contain_text(words["waiting"])
    expect(rows.locator(".row-reason", has_text=words["held"])).to_have_count(1)
    # Every column fits the 1280-pixel window: the list does not scroll sideways.
    results = page.locator("#changelist .results")
    assert results.evaluate("el => el.scrollWidth - el.clientWidth") == 0
    look("outbox")

    # One waiting email: read-only, its reason spelled out, no Save buttons.
    click_and_wait(page, waiting_row.locator("th a"))
    expect(page.locator("h1")).to_have_text(words["view"])
    expect(page.locator(".field-why")).to_contain_text(words["waiting"])
    expect(page.locator("input[name=_save]")).to_have_count(0)
    look("waiting")

    # The sent email: its attempt, and its HTML as the recipient saw it.
    page.go_back(wait_until="load")
    sent = Notification.objects.get(status=Status.SENT)
    click_and_wait(page, page.locator(f"#result_list a[href$='/{sent.pk}/change/']"))
    expect(page.locator("input[name=_save]")).to_have_count(0)
    frame = page.frame_locator("iframe.notification-preview")
    expect(frame.locator("body")).to_contain_text(words["following"])
    look("notification")

    # The dashboard and the previews, from the outbox's own buttons.
    page.go_back(wait_until="load")
    click_and_wait(page, page.locator(".object-tools").get_by_role("link", name=words["dashboard"]))
    expect(page.locator(".delivery-health-ok")).to_contain_text(words["healthy"])
    expect(page.locator("svg.hourly-chart rect.bar-sent").first).to_be_attached()
    look("dashboard")
    page.set_viewport_size({"width": 390, "height": 844})  # on a phone, nothing sideways
    wider = "els => els.filter(el => el.scrollWidth > el.clientWidth).length"
    assert page.locator(".delivery-figures .module").evaluate_all(wider) == 0
    look("dashboard-phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    click_and_wait(page, page.locator(".object-tools").get_by_role("link", name=words["previews"]))
    previews = len(registry.all()) * len(settings.LANGUAGES)
    expect(page.locator("iframe.notification-preview")).to_have_count(previews)
    look("preview")

    context.close()
    assert problems == [], "\n".join(problems)
    console.assert_none()
