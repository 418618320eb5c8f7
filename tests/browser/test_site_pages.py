"""Every page of the site, in English and in Chinese, as a person sees it: a
screenshot of each (var/screenshots/pages-<language>-<page>.png), no browser
console error, and no serious or critical accessibility violation."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Browser, BrowserContext

from accounts.models import User
from accounts.services import follow_create, user_create
from microblog.models import Post
from microblog.services import post_create
from notifications.tokens import make_unsubscribe_token
from tests.support.browser import ConsoleErrors, look_at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_URL = "http://127.0.0.1:8000/notifications/unsubscribe/" + "eyJ1IjoxLCJjIjoic29jaWFsIn0" * 6


@pytest.fixture
def site(settings, tmp_path):  # type: ignore[no-untyped-def]
    """The demo data, a newcomer in each language, and one caught email."""
    settings.DEBUG = True
    call_command("demo_users", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.DEBUG = False
    alice = User.objects.get(username="alice")
    post_create(author=alice, body="Hello @bob and @carol!\nA second line, and @nobody.")
    readers = {}
    for language, name in (("en", "dana"), ("zh-hans", "lin")):
        reader = user_create(
            username=name, email=f"{name}@example.com", password=None, language=language
        )
        follow_create(follower=reader, followed=alice)
        readers[language] = reader

    settings.DEV_INBOX_MAILDIR = tmp_path / "mail"
    message = EmailMessage()
    message["Subject"] = "bob is now following you!"
    message["From"] = django_settings.DEFAULT_FROM_EMAIL
    message["To"] = "alice@example.com"
    message.set_content(f"Hi alice,\n\nbob is now following you!\n\nUnsubscribe: {LONG_URL}\n")
    message.add_alternative(f'<p>Hi alice,</p><p><a href="{LONG_URL}">Unsubscribe</a></p>', "html")
    mailbox.Maildir(settings.DEV_INBOX_MAILDIR).add(message)
    return readers


def signed_in_context(browser: Browser, user: User, base_url: str) -> BrowserContext:
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=base_url)
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": base_url,
            }
        ]
    )
    return context


def anonymous_context(browser: Browser, language: str, base_url: str) -> BrowserContext:
    context = browser.new_context(base_url=base_url)
    context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url}]
    )
    return context


def unsubscribe_token(user: User) -> str:
    return make_unsubscribe_token(user_id=user.pk, category="social")


# (screenshot name, path, a button to press first)
ANONYMOUS_PAGES = [
    ("signup", "/accounts/signup/", None),
    ("signup-errors", "/accounts/signup/", "main button[type=submit]"),
    ("login", "/accounts/login/", None),
    ("login-error", "/accounts/login/", "main button[type=submit]"),
    ("password-reset", "/accounts/password/reset/", None),
    ("password-reset-sent", "/accounts/password/reset/sent/", None),
    ("password-reset-expired", "/accounts/password/reset/MQ/bad-token/", None),
    ("password-reset-complete", "/accounts/password/reset/done/", None),
    ("explore-anonymous", "/explore/", None),
]

# (screenshot name, path, the status of an error page)
SIGNED_IN_PAGES = [
    ("home", "/", None),
    ("explore", "/explore/", None),
    ("search", "/explore/?q=a", None),
    ("search-empty", "/explore/?q=zzz", None),
    ("search-bad", "/explore/?q=" + "x" * 101, 400),
    ("profile", "/u/alice/", None),
    ("profile-own", "/u/{me}/", None),
    ("followers", "/u/alice/followers/", None),
    ("following", "/u/{me}/following/", None),
    ("profile-edit", "/accounts/profile/", None),
    ("notifications", "/notifications/", None),
    ("preferences", "/notifications/preferences/", None),
    ("password-change", "/accounts/password/change/", None),
    ("not-found", "/u/nobody/", 404),
    ("method-not-allowed", "/u/alice/follow/", 405),
]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_site_page_looks_designed_and_is_accessible(
    require_chromium, live_server, browser: Browser, site, settings, screenshots, language
):
    base = live_server.url
    reader = site[language]
    console = ConsoleErrors()
    violations: list[str] = []

    def visit(
        context: BrowserContext,
        name: str,
        path: str,
        submit: str | None = None,
        status: int | None = None,
    ) -> None:
        page = console.watch(context.new_page(), document_status=status)
        page.set_default_timeout(10_000)
        page.goto(path.format(me=reader.username), wait_until="load")
        if submit:
            page.click(submit)
            page.wait_for_load_state("load")
        violations.extend(look_at(page, screenshots, f"pages-{language}-{name}"))
        page.close()

    anonymous = anonymous_context(browser, language, base)
    for name, path, submit in ANONYMOUS_PAGES:
        visit(anonymous, name, path, submit)
    uid = urlsafe_base64_encode(force_bytes(reader.pk))
    token = default_token_generator.make_token(reader)
    visit(anonymous, "password-reset-confirm", f"/accounts/password/reset/{uid}/{token}/")
    # An emailed unsubscribe link works without signing in: confirm, done, broken.
    unsubscribe = f"/notifications/unsubscribe/{unsubscribe_token(reader)}/"
    visit(anonymous, "unsubscribe", unsubscribe)
    visit(anonymous, "unsubscribe-done", unsubscribe, submit="main button[type=submit]")
    visit(anonymous, "unsubscribe-invalid", "/notifications/unsubscribe/not-a-token/", status=400)
    anonymous.close()

    signed_in = signed_in_context(browser, reader, base)
    for name, path, status in SIGNED_IN_PAGES:
        visit(signed_in, name, path, status=status)
    # A post's own page, where a mention leads.
    visit(signed_in, "post", f"/p/{Post.objects.filter(author__username='alice').latest('id').pk}/")
    settings.DEBUG = True  # the dev inbox exists only then
    visit(signed_in, "devinbox", "/dev/inbox/")
    key = next(iter(mailbox.Maildir(settings.DEV_INBOX_MAILDIR).keys()))
    visit(signed_in, "devinbox-message", f"/dev/inbox/{key}/")
    signed_in.close()

    assert violations == [], "accessibility:\n" + "\n".join(violations)
    console.assert_none()


PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_on_a_phone_the_whole_header_is_in_sight(
    require_chromium, live_server, browser: Browser, site, settings, screenshots, language
):
    """At 390 px the header's links wrap onto a second line: none scrolls out
    of sight (Admin, the bell and Log out came last and were cut off)."""
    staff = User.objects.filter(is_staff=True).first()
    staff.language = language
    staff.save(update_fields=["language"])
    context = signed_in_context(browser, staff, live_server.url)
    page = context.new_page()
    page.set_viewport_size(PHONE)
    problems: list[str] = []
    for name, path in (("home", "/"), ("notifications", "/notifications/")):
        page.goto(path, wait_until="load")
        nav = page.locator("header nav")
        assert nav.evaluate("el => el.scrollWidth - el.clientWidth") == 0, name
        items = nav.locator("a, button")
        assert items.count() >= 7, name  # Home … Admin, the bell, Log out
        for i in range(items.count()):
            box = items.nth(i).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (
                name,
                items.nth(i).inner_text(),
                box,
            )
            assert box["height"] < 48, (name, items.nth(i).inner_text(), "wraps inside")
        problems.extend(look_at(page, screenshots, f"phone-{language}-{name}"))
    page.goto("/notifications/preferences/", wait_until="load")
    problems.extend(look_at(page, screenshots, f"phone-{language}-preferences"))
    tabs = page.locator(".settings-tabs").bounding_box()
    assert tabs is not None and tabs["height"] < 50, "the settings tabs wrap"
    settings.DEBUG = True  # the dev inbox exists only then
    key = next(iter(mailbox.Maildir(settings.DEV_INBOX_MAILDIR).keys()))
    page.goto(f"/dev/inbox/{key}/", wait_until="load")
    problems.extend(look_at(page, screenshots, f"phone-{language}-devinbox-message"))
    context.close()
    assert problems == []
