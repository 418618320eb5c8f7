# ruff: noqa: RUF001 -- Chinese text is written with full-width punctuation.
"""Simplified Chinese as a native reader expects it: full-width punctuation,
dates in Chinese order, and each language named in its own language."""

import gettext
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from microblog.i18n import label_suffix

pytestmark = pytest.mark.django_db

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
HAN = "\u4e00-\u9fff"


def chinese_client(user=None) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        user.language = "zh-hans"
        user.save(update_fields=["language"])
        client.force_login(user)
    else:
        client.post(reverse("accounts:language_set"), {"language": "zh-hans"})
    return client


@pytest.mark.parametrize(
    ("label", "language", "suffix"),
    [
        ("Username", "en", ":"),
        ("用户名", "zh-hans", "："),
        ("What's happening?", "en", ""),
        ("有什么新鲜事？", "zh-hans", ""),
        ("Note:", "en", ""),
        ("", "zh-hans", ""),
    ],
)
def test_a_label_gets_the_suffix_of_its_language_unless_it_ends_in_punctuation(
    label, language, suffix
):
    assert label_suffix(label, language) == suffix


def test_form_labels_end_in_a_full_width_colon_and_a_question_in_none():
    home = chinese_client(UserFactory()).get(reverse("timeline:home")).content.decode()
    login = chinese_client().get(reverse("accounts:login")).content.decode()

    assert "有什么新鲜事？</label>" in home
    assert "用户名：</label>" in login
    assert "密码：</label>" in login
    labels = re.findall(r"<label[^>]*>(.*?)</label>", home + login)
    assert [
        label for label in labels if re.search(r"[:：][:：]|？:|\?:|[" + HAN + "]:", label)
    ] == []


def test_english_labels_keep_the_ascii_colon(client):
    assert "Username:</label>" in client.get(reverse("accounts:login")).content.decode()


def test_no_chinese_translation_puts_ascii_punctuation_after_chinese_text():
    with CATALOGUE.open("rb") as mo:
        translations = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    ascii_after_han = re.compile(r"[" + HAN + r"][:;?!,]|[？！。：][:?.!]")
    bad = {
        str(msgid): text
        for msgid, text in translations.items()
        if msgid and ascii_after_han.search(text)
    }
    assert bad == {}


def test_the_join_date_is_in_chinese_order():
    person = UserFactory(date_joined=datetime(2026, 11, 3, tzinfo=UTC))
    page = chinese_client().get(person.get_absolute_url()).content.decode()
    assert "2026年11月加入" in page


def test_the_join_date_in_english(client):
    person = UserFactory(date_joined=datetime(2026, 11, 3, tzinfo=UTC))
    assert "Joined November 2026" in client.get(person.get_absolute_url()).content.decode()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_language_switcher_names_each_language_in_its_own_language(language):
    client = Client()
    client.post(reverse("accounts:language_set"), {"language": language})
    page = client.get(reverse("timeline:explore")).content.decode()
    assert '<option value="en" lang="en"' in page and ">English</option>" in page
    assert '<option value="zh-hans" lang="zh-hans"' in page and ">简体中文</option>" in page
    assert "英语" not in page


def test_sign_up_and_log_in_invitations_read_as_one_sentence():
    signup = chinese_client().get(reverse("accounts:signup")).content.decode()
    login = chinese_client().get(reverse("accounts:login")).content.decode()
    assert '已有账户？<a href="/accounts/login/">登录</a>' in signup
    assert '新用户？<a href="/accounts/signup/">创建账户</a>' in login


def test_error_pages_without_a_request_declare_the_active_language():
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("zh-hans"):
        html = render_to_string("500.html")
    assert '<html lang="zh-hans">' in html
