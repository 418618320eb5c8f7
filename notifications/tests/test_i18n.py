# ruff: noqa: RUF001 -- Chinese text is written with full-width punctuation.
"""Simplified Chinese: the catalogue is complete, the site switches to it, and
every email is written in its recipient's language, whoever caused it."""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Follow
from accounts.tests.factories import UserFactory
from microblog.models import Post
from notifications.models import Notification, Preference
from notifications.preferences import preference_set
from notifications.tasks import send_daily_digests

LOCALE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
FRAMEWORK_LOCALE = Path(settings.BASE_DIR) / "notifications" / "locale" / "zh_Hans" / "LC_MESSAGES"
HAN = re.compile(r"[\u4e00-\u9fff]")


# --- reading the catalogue (stdlib only) ----------------------------------------


@dataclass
class Entry:
    msgid: str
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    obsolete: bool = False


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file (header excluded)."""
    entries: list[Entry] = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        entry, current = Entry(msgid=""), None
        seen_msgid = False
        for line in block.splitlines():
            if line.startswith("#~"):
                entry.obsolete = True
                continue
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
                continue
            if line.startswith("#:"):
                entry.references += line[2:].split()
                continue
            if line.startswith("#"):
                continue
            match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?) (\".*\")$", line)
            if match:
                keyword, index, text = match.groups()
                value = ast.literal_eval(text)
                if keyword == "msgid":
                    seen_msgid = True
                    entry.msgid = value
                    current = ("msgid", None)
                elif keyword == "msgid_plural":
                    entry.msgid_plural = value
                    current = ("msgid_plural", None)
                elif keyword.startswith("msgstr"):
                    slot = int(index) if index is not None else 0
                    entry.msgstr[slot] = value
                    current = ("msgstr", slot)
                else:
                    current = None
                continue
            if line.startswith('"') and current is not None:  # a continuation line
                value = ast.literal_eval(line)
                kind, slot = current
                if kind == "msgid":
                    entry.msgid += value
                elif kind == "msgid_plural":
                    entry.msgid_plural = (entry.msgid_plural or "") + value
                else:
                    entry.msgstr[slot] += value
        if seen_msgid and entry.msgid:
            entries.append(entry)
    return entries


PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]|\{\{\s*\w+\s*\}\}")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text)) | {m.group(0) for m in PLACEHOLDER.finditer(text)}


@pytest.fixture(scope="module", params=[LOCALE, FRAMEWORK_LOCALE], ids=["site", "framework"])
def locale_dir(request) -> Path:  # type: ignore[no-untyped-def]
    return request.param


@pytest.fixture(scope="module")
def catalogue(locale_dir) -> list[Entry]:  # type: ignore[no-untyped-def]
    return [e for e in parse_po(locale_dir / "django.po") if not e.obsolete]


def test_every_message_is_translated_and_none_is_fuzzy(catalogue):
    untranslated = [e.msgid for e in catalogue if not all(e.msgstr.values()) or not e.msgstr]
    fuzzy = [e.msgid for e in catalogue if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []
    assert len(catalogue) > 60


def test_the_header_is_final_and_declares_one_plural_form(locale_dir):
    text = (locale_dir / "django.po").read_text(encoding="utf-8")
    header = text.split("\n\n", 1)[0]
    assert "#, fuzzy" not in header
    assert '"Language: zh_Hans\\n"' in header
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in header


def test_plural_messages_have_exactly_the_one_chinese_form(catalogue):
    plurals = [e for e in catalogue if e.msgid_plural is not None]
    assert plurals
    assert [e.msgid for e in plurals if list(e.msgstr) != [0]] == []


def test_translations_keep_every_placeholder(catalogue):
    broken = []
    for entry in catalogue:
        wanted = placeholders(entry.msgid) | placeholders(entry.msgid_plural or "")
        for text in entry.msgstr.values():
            if placeholders(text) != wanted and not (
                entry.msgid_plural and placeholders(text) <= wanted
            ):
                broken.append((entry.msgid, text))
    assert broken == []


def test_translations_are_chinese(catalogue):
    # Brand names and bare symbols may stay as they are; sentences may not.
    latin_only = [
        e.msgid
        for e in catalogue
        if not any(HAN.search(text) for text in e.msgstr.values()) and e.msgid != "Microblog"
    ]
    assert latin_only == []


def test_the_site_catalogue_covers_both_apps_and_the_site_templates():
    catalogue = parse_po(LOCALE / "django.po")
    sources = {ref.split("/", 1)[0] for entry in catalogue for ref in entry.references}
    assert {"accounts", "microblog", "templates"} <= sources
    assert "notifications" not in sources  # the framework carries its own catalogue


def test_the_compiled_catalogue_matches_the_po_file(catalogue, locale_dir):
    with (locale_dir / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for entry in catalogue:
        if entry.msgid_plural is None:
            if compiled.gettext(entry.msgid) != entry.msgstr[0]:
                stale.append(entry.msgid)
        elif compiled.ngettext(entry.msgid, entry.msgid_plural, 2) != entry.msgstr[0]:
            stale.append(entry.msgid)
    assert stale == [], "run: manage.py compilemessages -l zh_Hans"


# --- emails in the recipient's language --------------------------------------------


@pytest.fixture
def chen(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="chen", email="chen@example.com", language="zh-hans")


@pytest.fixture
def english_bob(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="bob", email="bob@example.com", language="en")


def test_a_chinese_reader_gets_a_new_follower_email_in_chinese(
    outbox_mailers, smtp_sink, chen, english_bob, deliver
):
    Follow.objects.create(follower=english_bob, followed=chen)
    deliver()

    [received] = smtp_sink.messages
    assert received.header("Subject") == "bob 关注了你！"
    text = received.part("text/plain")
    html = received.part("text/html")
    assert "chen，你好：" in text
    assert "回关 bob：" in text
    assert "你收到这封邮件，是因为有人在 Microblog 上关注了你。" in text
    assert "退订“新关注者”邮件：" in text
    assert '<html lang="zh-hans">' in html
    assert "回关 bob" in html
    assert "bob 的头像" in html
    assert "following" not in text and "Unsubscribe" not in text


def test_a_chinese_reader_gets_a_mention_email_in_chinese(
    outbox_mailers, smtp_sink, chen, english_bob, deliver
):
    Post.objects.create(author=english_bob, body="Lunch at noon, @chen?")
    deliver()

    [received] = smtp_sink.messages
    assert received.header("Subject") == "bob 提到了你"
    text = received.part("text/plain")
    assert "bob 在帖子中提到了你：" in text
    assert "Lunch at noon, @chen?" in text  # the post itself is not translated
    assert "查看帖子：" in text
    assert "查看帖子" in received.part("text/html")


def test_the_actors_language_does_not_leak_into_an_english_readers_email(
    outbox_mailers, smtp_sink, chen, alice, deliver
):
    Follow.objects.create(follower=chen, followed=alice)
    deliver()

    [received] = smtp_sink.messages
    assert received.header("Subject") == "chen is now following you!"
    assert not HAN.search(received.part("text/plain"))


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


# --- the site ----------------------------------------------------------------------


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
