"""Django's mail API goes through the outbox and arrives at the SMTP sink."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives, mailers, send_mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from notifications.mailapi import serialize_message
from notifications.models import EMAIL_KIND, Notification

pytestmark = pytest.mark.django_db


def test_send_mail_stores_one_transactional_row_and_the_worker_delivers_it(
    outbox_mailers, smtp_sink, deliver
):
    sent = send_mail("Hello", "Plain body", "from@example.com", ["to@example.com"])

    assert sent == 1
    row = Notification.objects.get()
    assert row.kind == "email"
    assert row.transactional is True
    assert row.status == Notification.Status.QUEUED
    assert smtp_sink.messages == []  # nothing sent in the request

    deliver()

    [received] = smtp_sink.messages
    assert received.header("Subject") == "Hello"
    assert received.part("text/plain").strip() == "Plain body"
    assert received.header("X-Notification-ID") == str(row.pk)
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT


@pytest.mark.parametrize(
    ("subject", "to"),
    [
        ("Hi\r\nBcc: evil@example.com", "to@example.com"),
        ("Hi", '"Evil\r\nBcc: x@example.com" <to@example.com>'),
    ],
)
def test_a_header_with_a_line_break_is_refused_when_sent_and_nothing_is_stored(
    outbox_mailers, subject, to
):
    kept = EmailMultiAlternatives("Fine", "body", "from@example.com", ["ok@example.com"])
    injected = EmailMultiAlternatives(subject, "body", "from@example.com", [to])

    with pytest.raises(ValueError, match="linefeed or carriage return"):
        mailers.default.send_messages([kept, injected])

    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    "to", ["jörg@example.com", "用户@例子.中国", "a@example.com, b@example.com"]
)
def test_an_address_no_mailer_can_write_is_refused_when_sent_and_nothing_is_stored(
    outbox_mailers, to
):
    """A non-ASCII local part needs SMTPUTF8, which Django's SMTP mailer never
    uses: refused at send_mail, as that mailer refuses it, not retried for a day."""
    with pytest.raises(ValueError, match="Invalid address"):
        send_mail("Hi", "body", "from@example.com", [to])

    assert not Notification.objects.exists()


def test_a_non_ascii_domain_is_stored_and_sent_to_its_ascii_form(
    outbox_mailers, smtp_sink, deliver
):
    send_mail("Hi", "body", "from@example.com", ["alice@bücher.example"])

    deliver()

    [received] = smtp_sink.messages
    assert received.envelope_to == ["alice@xn--bcher-kva.example"]
    assert received.header("To") == "alice@xn--bcher-kva.example"


def test_a_stored_row_to_an_address_no_mailer_can_write_fails_at_once(outbox_mailers, deliver):
    """A row stored before the check (or by code that skipped it) is not retried."""
    row = Notification.objects.create(
        kind=EMAIL_KIND,
        category="",
        transactional=True,
        to_address="jörg@example.com",
        message=serialize_message(
            EmailMessage("Hi", "body", "from@example.com", ["jörg@example.com"])
        ),
    )

    deliver()

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Notification.Status.FAILED, 1)


def test_non_ascii_text_goes_out_7_bit_and_reads_back_the_same(outbox_mailers, smtp_sink, deliver):
    """RFC 6152: no 8-bit data to a server unless it was negotiated, which
    Django's SMTP mailer never does; every part is quoted-printable or base64."""
    import email
    import email.policy

    text = "你好请点击下面的链接重置密码。\nhttps://example.com/reset/abc/\n"
    message = EmailMultiAlternatives("重置密码", text, "from@example.com", ["to@example.com"])
    message.attach_alternative("<p>你好 “alice”</p>", "text/html")
    message.attach("注意.txt", "中文附件", "text/plain")
    message.send()

    deliver()

    [received] = smtp_sink.messages
    assert received.raw.isascii()
    parsed = email.message_from_bytes(received.raw, policy=email.policy.strict)
    parts = [part for part in parsed.walk() if not part.is_multipart()]
    assert {part["Content-Transfer-Encoding"] for part in parts} <= {
        "7bit",
        "quoted-printable",
        "base64",
    }
    assert parsed["Subject"] == "重置密码"
    assert parts[0].get_content().replace("\r\n", "\n") == text  # CRLF: text's canonical form
    assert "你好 “alice”" in parts[1].get_content()
    assert parts[2].get_filename() == "注意.txt"
    assert parts[2].get_content().strip() == "中文附件"


def test_the_body_keeps_the_charset_the_caller_chose(outbox_mailers, smtp_sink, deliver):
    message = EmailMultiAlternatives(
        "Menu", "Un café crème", "from@example.com", ["to@example.com"]
    )
    message.encoding = "iso-8859-1"
    message.send()

    deliver()

    [received] = smtp_sink.messages
    parsed = received.message
    assert parsed.get_content_charset() == "iso-8859-1"
    assert parsed.get_content().strip() == "Un café crème"


def test_the_outbox_preserves_alternatives_attachments_and_headers(
    outbox_mailers, smtp_sink, deliver
):
    message = EmailMultiAlternatives(
        subject="Report",
        body="See attached",
        from_email="reports@example.com",
        to=["a@example.com"],
        cc=["c@example.com"],
        bcc=["b@example.com"],
        reply_to=["r@example.com"],
        headers={"X-Custom": "yes"},
    )
    message.attach_alternative("<p>See <b>attached</b></p>", "text/html")
    message.attach("data.bin", bytes(range(256)), "application/octet-stream")
    message.attach("notes.txt", "some notes ✓", "text/plain")
    assert message.send() == 1

    deliver()

    [received] = smtp_sink.messages
    assert sorted(received.envelope_to) == ["a@example.com", "b@example.com", "c@example.com"]
    assert received.header("Cc") == "c@example.com"
    assert received.header("Reply-To") == "r@example.com"
    assert received.header("X-Custom") == "yes"
    assert received.part("text/html").strip() == "<p>See <b>attached</b></p>"
    attachments = {
        part.get_filename(): part.get_content() for part in received.message.iter_attachments()
    }
    assert attachments["data.bin"] == bytes(range(256))
    assert attachments["notes.txt"].strip() == "some notes ✓"


def test_sendtestemail_goes_through_the_outbox(outbox_mailers, smtp_sink, deliver):
    call_command("sendtestemail", "you@example.com")
    assert Notification.objects.filter(kind="email", to_address="you@example.com").exists()
    deliver()
    assert smtp_sink.messages[0].envelope_to == ["you@example.com"]


def test_the_test_runner_swaps_mailers_for_locmem_without_outbox_mailers():
    send_mail("Hello", "body", "from@example.com", ["to@example.com"])
    assert len(mail.outbox) == 1
    assert not Notification.objects.exists()


def test_a_password_reset_goes_through_the_outbox_not_the_request(
    outbox_mailers, smtp_sink, alice, deliver
):
    """contrib auth's own reset view: its mail is a transactional row, sent by the worker."""
    before = smtp_sink.connections
    Client().post(reverse("password_reset"), {"email": "alice@example.com"})
    row = Notification.objects.get(to_address="alice@example.com")
    assert row.recipient == alice
    assert row.transactional is True
    assert smtp_sink.connections == before  # the request opened no SMTP connection

    deliver()

    [received] = smtp_sink.messages
    assert received.envelope_to == ["alice@example.com"]
    assert "http://testserver/auth/reset/" in received.part("text/plain")
