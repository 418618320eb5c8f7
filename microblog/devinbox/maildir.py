"""Read the local SMTP sink's Maildir: what really crossed SMTP in development."""

from __future__ import annotations

import email.policy
import mailbox
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path


@dataclass(frozen=True)
class CaughtMessage:
    key: str
    received_at: datetime
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def sender(self) -> str:
        return str(self.message.get("From", ""))

    @property
    def recipients(self) -> str:
        return str(self.message.get("To", ""))

    @property
    def headers(self) -> list[tuple[str, str]]:
        return [(name, str(value)) for name, value in self.message.items()]

    def body(self, content_type: str) -> str | None:
        for part in self.message.walk():
            if part.get_content_type() == content_type and not part.is_attachment():
                try:
                    return part.get_content()
                except LookupError:  # a charset Python does not know: show what can be read
                    return part.get_payload(decode=True).decode("utf-8", errors="replace")
        return None


def _open(maildir: Path) -> mailbox.Maildir:
    return mailbox.Maildir(
        maildir,
        factory=lambda f: email.message_from_binary_file(f, policy=email.policy.default),
        create=False,
    )


def _received_at(key: str) -> datetime:
    """Delivery time, from the Maildir file name ("<seconds>.M<microseconds>P<pid>...").

    A name that is not of that form, or whose time is out of range, sorts as
    the epoch: a stray file in the Maildir must not break the inbox.
    """
    seconds, _, rest = key.partition(".")
    micros = rest[1:].split("P", 1)[0] if rest.startswith("M") else "0"
    try:
        return datetime.fromtimestamp(int(seconds) + int(micros) / 1e6, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return datetime.fromtimestamp(0, tz=UTC)


def caught_messages(*, maildir: Path, limit: int = 200) -> list[CaughtMessage]:
    """The newest `limit` messages, newest first. An absent Maildir is empty."""
    if not Path(maildir, "cur").is_dir():
        return []
    box = _open(maildir)
    stamped = sorted(((_received_at(key), key) for key in box.iterkeys()), reverse=True)
    return [CaughtMessage(key, when, box[key]) for when, key in stamped[:limit]]


def caught_message(*, maildir: Path, key: str) -> CaughtMessage | None:
    """The message stored under `key`, or None for any key the Maildir does not
    hold (the key comes from a URL: it is looked up, never used as a path)."""
    if not Path(maildir, "cur").is_dir():
        return None
    box = _open(maildir)
    try:
        message = box[key]
    except KeyError:
        return None
    return CaughtMessage(key, _received_at(key), message)
