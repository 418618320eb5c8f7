# ruff: noqa: RUF001 -- Chinese text is written with full-width punctuation.
"""Simplified Chinese: the framework's own catalogue is complete, and every email
and page is written in its reader's language, whoever caused it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

import notifications
from notifications.models import Notification, Preference
from notifications.preferences import preference_set
from notifications.tasks import send_daily_digests
from notifications.tests.factories import UserFactory
from notifications.tests.support.catalogue import (
    HAN,
    broken_placeholders,
    parse_po,
    stale_entries,
)
from notifications.tests.testapp.models import Wave

FRAMEWORK = Path(notifications.__file__).resolve().parent
LOCALE = FRAMEWORK / "locale" / "zh_Hans" / "LC_MESSAGES"


# --- the framework's catalogue (notifications/locale) ------------------------------


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
    latin_only = [
        e.msgid for e in catalogue if not any(HAN.search(text) for text in e.msgstr.values())
    ]
    assert latin_only == []


def test_every_message_comes_from_the_framework_itself(catalogue):
    sources = {ref.rsplit(":", 1)[0] for entry in catalogue for ref in entry.references}
    assert sources
    assert sorted(s for s in sources if not (FRAMEWORK / s).is_file()) == []


def test_the_compiled_catalogue_matches_the_po_file(catalogue):
    assert stale_entries(catalogue, LOCALE / "django.mo") == [], (
        "run: django-admin compilemessages -l zh_Hans (in notifications/)"
    )


# --- emails in the recipient's language --------------------------------------------


@pytest.fixture
def chen(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="chen", email="chen@example.com", language="zh-hans")


@pytest.fixture
def english_bob(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="bob", email="bob@example.com", language="en")


def test_a_chinese_reader_gets_the_frameworks_parts_of_an_email_in_chinese(
    outbox_mailers, smtp_sink, chen, english_bob, deliver
):
    Wave.objects.create(actor=english_bob, target=chen)
    deliver()

    [received] = smtp_sink.messages
    text = received.part("text/plain")
    html = received.part("text/html")
    assert text.startswith("chen，你好：")
    assert "退订“Waves”邮件：" in text  # the test app's own label has no translation
    assert "通知设置：" in text
    assert '<html lang="zh-hans">' in html
    assert "通知设置" in html
    assert "Unsubscribe" not in text
    assert Notification.objects.get().language == "zh-hans"


def test_the_actors_language_does_not_leak_into_an_english_readers_email(
    outbox_mailers, smtp_sink, chen, alice, deliver
):
    Wave.objects.create(actor=chen, target=alice)
    deliver()

    [received] = smtp_sink.messages
    assert received.header("Subject") == "chen waved at you"
    assert not HAN.search(received.part("text/plain"))


def test_a_chinese_readers_digest_is_in_chinese(
    outbox_mailers, smtp_sink, chen, english_bob, deliver
):
    preference_set(user=chen, category="waves", mode=Preference.Mode.DIGEST)
    Wave.objects.create(actor=english_bob, target=chen)
    send_daily_digests()
    deliver()

    [received] = smtp_sink.messages
    assert received.header("Subject") == "你的每日摘要：1 条新通知"
    text = received.part("text/plain")
    assert text.startswith("chen，你好：")
    assert "自上次摘要以来有 1 条新动态：" in text
    assert "- bob waved at you" in text
    assert Notification.objects.get(kind="digest").language == "zh-hans"


# --- the framework's pages ---------------------------------------------------------


def test_the_preferences_page_speaks_the_readers_language(client, alice):
    client.force_login(alice)

    page = client.get(
        reverse("notifications:preferences"), headers={"accept-language": "zh-hans"}
    ).content.decode()

    assert 'lang="zh-hans"' in page
    assert "通知设置" in page
    assert "每日摘要" in page
