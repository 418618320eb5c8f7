"""The bytes of a notification email: the same as the email package's standard
policy writes them, strict MIME with CRLF line ends, and no header injection.

NotificationEmail serialises short ASCII headers without the email package's
parse-and-refold work; these tests hold it to the standard policy's output.
"""

from __future__ import annotations

import email.policy
from email.parser import BytesParser

import pytest
from django.core.mail import EmailMultiAlternatives

from notifications.channels.email import NotificationEmail

HEADERS = {
    "Date": "Tue, 01 Dec 2026 03:48:35 +0000",
    "Message-ID": "<1.8d6854fa752cb2bd3b5916d4@example.com>",
    "X-Notification-ID": "12",
    "Auto-Submitted": "auto-generated",
    "X-Auto-Response-Suppress": "OOF, AutoReply",
    "Feedback-ID": "new_follower:social:example.com",
    "List-Unsubscribe": "<https://example.com/notifications/unsubscribe/" + "x" * 90 + "/>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}

CASES = [
    ("bob is now following you!", ["alice@example.com"], {}),
    ("鲍勃 关注了你", ["张三 <zh@example.com>"], {}),
    ("A long subject that has to be folded " * 4, ["Al <al@example.com>", "b@example.com"], {}),
    ("=?utf-8?q?an_encoded_word?= in the text", ["a@example.com"], {"X-Tag": "two  spaces"}),
    ('Parens (and) "quotes"', ['"Doe, John" <jd@example.com>'], {"X-Key": " padded "}),
    ("ascii", ["a@bücher.example"], {"X-Note": "naïve"}),
]


def standard_bytes(message: NotificationEmail, policy: email.policy.EmailPolicy) -> bytes:
    """What Django's EmailMultiAlternatives writes with the email package's
    policy, 7-bit (as every notification email is)."""
    msg = EmailMultiAlternatives.message(
        message, policy=policy.clone(refold_source="none", cte_type="7bit")
    )
    for name in message.raw_headers:
        if name in message.extra_headers:
            del msg[name]
            msg.set_raw(name, message.extra_headers[name])
    msg.set_boundary("BOUNDARY")
    return msg.as_bytes()


@pytest.mark.parametrize(("subject", "to", "extra"), CASES)
@pytest.mark.parametrize("policy", [email.policy.default, email.policy.SMTP])
def test_the_bytes_are_those_of_the_standard_policy(subject, to, extra, policy):
    message = NotificationEmail(
        subject=subject,
        body="Hi “alice” ·\n" * 3,
        from_email="Example <noreply@example.com>",
        to=to,
        headers={**HEADERS, **extra},
    )
    message.attach_alternative("<p>Hi “alice”</p>\n" * 3, "text/html")

    msg = message.message(policy=policy)
    msg.set_boundary("BOUNDARY")
    data = msg.as_bytes()

    assert data == standard_bytes(message, policy)
    if policy is email.policy.SMTP:
        parsed = BytesParser(policy=email.policy.strict).parsebytes(data)
        assert parsed["X-Notification-ID"] == "12"
        assert b"\n" not in data.replace(b"\r\n", b"")


@pytest.mark.parametrize("value", ["two\nlines", "injected\r\nBcc: x@example.com"])
def test_a_header_with_a_line_break_is_refused(value):
    message = NotificationEmail(
        subject="s", body="b", to=["a@example.com"], headers={"X-Tag": value}
    )

    with pytest.raises(ValueError, match="linefeed or carriage return"):
        message.message()


def test_each_message_has_its_own_boundary_that_no_part_contains():
    def build() -> bytes:
        message = NotificationEmail(subject="s", body="text =_ -- end\n", to=["a@example.com"])
        message.attach_alternative("<p>=_ and --</p>", "text/html")
        return message.message(policy=email.policy.SMTP).as_bytes()

    first, second = build(), build()

    boundaries = []
    for data in (first, second):
        parsed = BytesParser(policy=email.policy.strict).parsebytes(data)
        boundary = parsed.get_boundary()
        assert boundary.startswith("=_") and len(boundary) == 34
        assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
        assert data.count(boundary.encode()) == 4  # the header, two parts and the end
        boundaries.append(boundary)
    assert boundaries[0] != boundaries[1]
