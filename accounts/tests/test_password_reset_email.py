# ruff: noqa: RUF001 -- Chinese text is written with full-width punctuation.
"""The password reset email: text and HTML, in the recipient's language, with
a link to SITE_URL whatever Host the request came with."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RESET = reverse("accounts:password_reset")


def request_reset(email: str, **headers: str) -> mail.EmailMultiAlternatives:
    response = Client(**headers).post(RESET, {"email": email})
    assert response.status_code == 302
    [message] = mail.outbox
    return message


def html_part(message: mail.EmailMultiAlternatives) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def test_the_email_has_a_text_and_an_html_part_with_the_same_link():
    UserFactory(username="ada", email="ada@example.com")

    message = request_reset("ada@example.com")

    [link] = re.findall(r"http://testserver/accounts/password/reset/\S+/", message.body)
    html = html_part(message)
    assert f'href="{link}"' in html
    assert message.body.startswith("Hi ada,")
    assert "Hi ada," in html
    assert 'class="brand"' in html  # the notification emails' look
    assert 'style="' in html and "<style" not in html.split("</head>")[1]  # CSS inlined
    assert '<html lang="en">' in html
    assert "unsubscribe" not in message.body.lower() + html.lower()


def test_a_chinese_reader_gets_it_in_chinese_whatever_language_the_page_was_in():
    UserFactory(username="chen", email="chen@example.com", language="zh-hans")

    message = request_reset("chen@example.com", HTTP_ACCEPT_LANGUAGE="en")

    assert message.subject == "重置你的 Microblog 密码"
    assert message.body.startswith("chen，你好：")
    html = html_part(message)
    assert '<html lang="zh-hans">' in html
    assert "设置新密码" in html
    assert "Someone" not in message.body + html


def test_an_english_reader_gets_it_in_english_from_a_chinese_page():
    UserFactory(username="ada", email="ada@example.com", language="en")

    client = Client()
    client.post(reverse("accounts:language_set"), {"language": "zh-hans"})
    client.post(RESET, {"email": "ada@example.com"})

    [message] = mail.outbox
    assert message.subject == "Reset your Microblog password"
    assert not re.search(r"[\u4e00-\u9fff]", message.body + html_part(message))


def test_the_link_is_built_from_site_url_not_from_the_requests_host(settings):
    settings.SITE_URL = "https://microblog.example"
    settings.ALLOWED_HOSTS = ["testserver", "attacker.example"]
    UserFactory(username="ada", email="ada@example.com")

    message = request_reset("ada@example.com", HTTP_HOST="attacker.example")

    assert "https://microblog.example/accounts/password/reset/" in message.body
    assert "attacker.example" not in message.body + html_part(message)


def test_the_subject_is_one_line():
    UserFactory(email="ada@example.com")
    assert "\n" not in request_reset("ada@example.com").subject
