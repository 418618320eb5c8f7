# ruff: noqa: RUF001 -- Chinese text is written with full-width punctuation.
"""Simplified Chinese on the site: its catalogue (locale/) is complete and holds
the site's strings only, the site switches to it, and the project's emails and
digest reach a Chinese reader in Chinese.

The framework's own catalogue (notifications/locale) is checked by the
framework's suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Follow
from accounts.tests.factories import UserFactory
from notifications.models import Notification, Preference
from notifications.preferences import preference_set
from notifications.tasks import send_daily_digests
from notifications.tests.support.catalogue import (
    HAN,
    broken_placeholders,
    parse_po,
    stale_entries,
)

LOCALE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


# --- the site's catalogue ---------------------------------------------------------


@pytest.fixture(scope="module")
def catalogue():  # type: ignore[no-untyped-def]
    return [e for e in parse_po(LOCALE / "django.po") if not e.obsolete]


def test_every_message_is_translated_and_none_is_fuzzy(catalogue):
    untranslated = [e.msgid for e in catalogue if not all(e.msgstr.values()) or not e.msgstr]
    fuzzy = [e.msgid for e in catalogue if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []
    assert len(catalogue) > 60


def test_the_header_is_final_and_declares_one_plural_form():
    header = (LOCALE / "django.po").read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert "#, fuzzy" not in header
    assert '"Language: zh_Hans\\n"' in header
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in header


def test_plural_messages_have_exactly_the_one_chinese_form(catalogue):
    plurals = [e for e in catalogue if e.msgid_plural is not None]
    assert plurals
    assert [e.msgid for e in plurals if list(e.msgstr) != [0]] == []


def test_translations_keep_every_placeholder(catalogue):
    assert broken_placeholders(catalogue) == []


def test_translations_are_chinese(catalogue):
    # Brand names and bare symbols may stay as they are; sentences may not.
    latin_only = [
        e.msgid
        for e in catalogue
        if not any(HAN.search(text) for text in e.msgstr.values()) and e.msgid != "Microblog"
    ]
    assert latin_only == []


def test_the_site_catalogue_covers_both_apps_and_the_site_templates(catalogue):
    sources = {ref.split("/", 1)[0] for entry in catalogue for ref in entry.references}
    assert {"accounts", "microblog", "templates"} <= sources
    assert "notifications" not in sources  # the framework carries its own catalogue


def test_the_compiled_catalogue_matches_the_po_file(catalogue):
    assert stale_entries(catalogue, LOCALE / "django.mo") == [], (
        "run: manage.py compilemessages -l zh_Hans"
    )


# --- the project's emails in the reader's language -----------------------------------


@pytest.fixture
def chen(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="chen", email="chen@example.com", language="zh-hans")


@pytest.fixture
def english_bob(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="bob", email="bob@example.com", language="en")


def test_a_chinese_readers_digest_is_in_chinese(
    outbox_mailers, smtp_sink, chen, english_bob, deliver
):
    preference_set(user=chen, category="social", mode=Preference.Mode.DIGEST)
    Follow.objects.create(follower=english_bob, followed=chen)
    send_daily_digests()
    deliver()

    [received] = smtp_sink.messages
    assert received.header("Subject") == "你的每日摘要：1 条新通知"
    text = received.part("text/plain")
    assert "新关注者" in text
    assert "- bob 关注了你！" in text
    assert Notification.objects.get(kind="digest").language == "zh-hans"


# --- the site -----------------------------------------------------------------------


def test_the_site_is_in_chinese_after_switching_language(client, db):
    response = client.get(reverse("accounts:login"))
    assert "Log in" in response.content.decode()

    client.post(reverse("accounts:language_set"), {"language": "zh-hans", "next": "/"})
    page = client.get(reverse("accounts:login")).content.decode()

    assert 'lang="zh-hans"' in page
    assert "登录" in page
    assert "忘记密码？" in page


def test_a_signed_in_users_language_choice_is_kept_on_their_profile(client, alice):
    client.force_login(alice)
    client.post(reverse("accounts:language_set"), {"language": "zh-hans", "next": "/"})
    alice.refresh_from_db()
    assert alice.language == "zh-hans"

    page = client.get(reverse("notifications:preferences")).content.decode()
    assert "通知设置" in page
    assert "每日摘要" in page
    assert "新关注者" in page


def test_the_admin_index_names_every_section_in_chinese(client, db):
    """Django's and django-axes' catalogues lack some of the admin's strings in
    Chinese; the site's catalogue fills them in."""
    staff = UserFactory(is_staff=True, is_superuser=True, language="zh-hans")
    client.force_login(staff)
    client.post(reverse("accounts:language_set"), {"language": "zh-hans", "next": "/"})

    page = client.get(reverse("admin:index")).content.decode()
    outbox = client.get(reverse("admin:notifications_notification_changelist")).content.decode()

    assert "登录限制" in page and "登录尝试" in page and "登录日志" in page
    assert "Access attempts" not in page and "Axes" not in page
    assert "任务队列" in page and "Task queue" not in page
    assert "- 请选择 -" in outbox and "Select an option" not in outbox
