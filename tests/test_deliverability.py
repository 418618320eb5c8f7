"""What mailbox providers read, read where they would: at a real SMTP server.

A follow is delivered by the worker's code to the test's aiosmtpd sink; the
headers and the DKIM signature are checked on the bytes the server received.
DKIM is verified by dkimpy against the public key, with DNS stubbed.
"""

from __future__ import annotations

import re

import dkim
import pytest

from accounts.services import follow_create
from accounts.tests.factories import UserFactory
from notifications.dispatch import drain_due
from notifications.models import Notification
from notifications.tests.keys import dkim_dns_record, private_key_pem

pytestmark = pytest.mark.django_db

DOMAIN = "microblog.example.com"
SELECTOR = "mb2026"
DNS_NAME = f"{SELECTOR}._domainkey.{DOMAIN}."


def dns(name: bytes, timeout: float = 5) -> bytes | None:
    """DNS with one TXT record: the test key's, where the signature says to look."""
    return dkim_dns_record() if name.decode().rstrip(".") + "." == DNS_NAME else None


@pytest.fixture
def dkim_mailer(settings, smtp_sink):  # type: ignore[no-untyped-def]
    settings.MAILERS = {
        "default": {"BACKEND": "notifications.backends.OutboxEmailBackend"},
        "delivery": {
            "BACKEND": "notifications.dkim.DkimEmailBackend",
            "OPTIONS": {
                "host": "127.0.0.1",
                "port": smtp_sink.port,
                "timeout": 5,
                "dkim_domain": DOMAIN,
                "dkim_selector": SELECTOR,
                "dkim_private_key": private_key_pem(),
            },
        },
    }
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "FROM_EMAIL": f"Microblog <noreply@{DOMAIN}>",
        "FEEDBACK_ID_SENDER": "microblog",
    }
    return smtp_sink


def deliver_a_follow() -> Notification:
    alice = UserFactory(username="alice", email="alice@example.org")
    follow_create(follower=UserFactory(username="bob"), followed=alice)
    drain_due()
    return Notification.objects.get(to_address="alice@example.org")


def test_a_notification_email_carries_the_headers_mailbox_providers_expect(dkim_mailer):
    row = deliver_a_follow()
    [received] = dkim_mailer.wait_for(1)

    assert received.header("Auto-Submitted") == "auto-generated"
    assert received.header("X-Auto-Response-Suppress") == "OOF, AutoReply"
    assert received.header("Feedback-ID") == "new_follower:social:microblog"
    assert received.header("Message-ID") == f"<{row.idempotency_key}@{DOMAIN}>"
    assert received.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"


def test_the_dkim_signature_verifies_against_the_published_key(dkim_mailer):
    deliver_a_follow()
    [received] = dkim_mailer.wait_for(1)

    assert received.raw.startswith(b"DKIM-Signature:")
    assert dkim.verify(received.raw, dnsfunc=dns)


def test_the_signature_covers_what_one_click_unsubscribe_needs(dkim_mailer):
    deliver_a_follow()
    [received] = dkim_mailer.wait_for(1)

    signature = received.header("DKIM-Signature") or ""
    tags = dict(
        tag.strip().split("=", 1) for tag in re.sub(r"\s+", "", signature).split(";") if tag
    )
    signed = tags["h"].lower().split(":")
    for name in (
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "list-unsubscribe",
        "list-unsubscribe-post",
        "feedback-id",
    ):
        assert name in signed, name
    assert tags["d"] == DOMAIN and tags["s"] == SELECTOR
    assert tags["c"] == "relaxed/relaxed"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda raw: raw.replace(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"X-: x"),
        lambda raw: raw.replace(
            b"\r\n\r\n", b"\r\nList-Unsubscribe: <https://evil.example/>\r\n\r\n", 1
        ),
        lambda raw: raw.replace(b"\r\n\r\n", b"\r\nFeedback-ID: a:b:c:evil\r\n\r\n", 1),
        lambda raw: raw.replace(b"bob", b"eve"),
    ],
    ids=["one-click header removed", "unsubscribe link added", "second Feedback-ID", "body"],
)
def test_a_message_changed_on_the_way_fails_verification(dkim_mailer, tamper):
    deliver_a_follow()
    [received] = dkim_mailer.wait_for(1)

    assert not dkim.verify(tamper(received.raw), dnsfunc=dns)


def test_mail_given_to_djangos_mail_api_is_signed_too(dkim_mailer):
    from django.core.mail import send_mail

    send_mail("Reset", "Your link", None, ["carol@example.org"])
    drain_due()
    [received] = dkim_mailer.wait_for(1)

    assert received.header("Auto-Submitted") == "auto-generated"
    assert dkim.verify(received.raw, dnsfunc=dns)


def test_a_message_in_chinese_goes_out_7_bit_and_its_signature_verifies(dkim_mailer):
    """RFC 6376 5.3: signers convert to 7-bit first, so no relay has to."""
    from django.core.mail import send_mail

    send_mail("重置密码", "你好这是你的链接。\n", None, ["carol@example.org"])
    drain_due()
    [received] = dkim_mailer.wait_for(1)

    assert received.raw.isascii()
    assert received.part("text/plain").strip() == "你好这是你的链接。"
    assert dkim.verify(received.raw, dnsfunc=dns)
