"""The real new-follower email as it reaches a mail server: strict MIME, CRLF
line ends, no line over 998 octets (RFC 5322 2.1.1), and small."""

from __future__ import annotations

import email.policy
import re
from email.parser import BytesParser

import pytest

from accounts.services import follow_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_follow_email_on_the_wire_is_strict_mime_with_crlf_and_short_lines(
    alice, bob, outbox_mailers, smtp_sink, make_due, deliver
):
    follow_create(follower=bob, followed=alice)
    make_due()

    deliver()

    [received] = smtp_sink.messages
    data = received.raw
    message = BytesParser(policy=email.policy.strict).parsebytes(data)
    assert not message.defects
    assert message.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part for part in message.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    for part in parts.values():
        assert not part.defects
    assert "bob is now following you" in parts["text/plain"].get_content()
    assert "bob is now following you" in parts["text/html"].get_content()
    assert not re.search(rb"(?<!\r)\n|\r(?!\n)", data), "a line end other than CRLF"
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    # 5,429 bytes before the layout stopped repeating on every element what it
    # inherits (and its indentation); 5,059 after.
    assert len(data) < 5200, len(data)
