"""A recording SMTP server (aiosmtpd) whose answers a test can script.

Used where behaviour crosses a process boundary: the worker talks real SMTP to
it, and the test reads what arrived, counts connections, or makes the server
answer 451/550, stall, or go away.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class ReceivedMessage:
    envelope_from: str
    envelope_to: list[str]
    raw: bytes
    received_at: float

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)

    def header(self, name: str) -> str | None:
        value = self.message[name]
        return None if value is None else str(value)

    def part(self, content_type: str) -> str | None:
        for part in self.message.walk():
            if part.get_content_type() == content_type and not part.is_multipart():
                return part.get_content()
        return None


# A responder gets the envelope and returns None to accept the message, or an
# SMTP reply such as "451 4.3.0 try later" / "550 5.1.1 no such user".
Responder = Callable[[Envelope], str | None]


@dataclass
class RecordingHandler:
    messages: list[ReceivedMessage] = field(default_factory=list)
    responder: Responder | None = None
    delay: float = 0.0  # seconds to stall before answering each DATA
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        if self.responder is not None:
            reply = self.responder(envelope)
            if reply:
                return reply
        with self.lock:
            self.messages.append(
                ReceivedMessage(
                    envelope_from=envelope.mail_from or "",
                    envelope_to=list(envelope.rcpt_tos),
                    raw=bytes(envelope.original_content or envelope.content),
                    received_at=time.monotonic(),
                )
            )
        return "250 OK"


class CountingSMTP(SMTP):
    def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def]
        handler: RecordingHandler = self.event_handler
        with handler.lock:
            handler.connections += 1
        super().connection_made(transport)


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 in a background thread."""

    def __init__(self, port: int = 0) -> None:
        self.handler = RecordingHandler()
        self.port = port or free_port()
        self._controller: Controller | None = None

    # -- lifecycle ----------------------------------------------------------
    def start(self) -> SmtpSink:
        handler = self.handler

        class _Controller(Controller):
            def factory(self):  # type: ignore[no-untyped-def]
                return CountingSMTP(handler, enable_SMTPUTF8=True, data_size_limit=None)

        self._controller = _Controller(handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    # -- reading what arrived ----------------------------------------------
    @property
    def messages(self) -> list[ReceivedMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    @property
    def connections(self) -> int:
        return self.handler.connections

    def wait_for(self, count: int, timeout: float = 30.0) -> list[ReceivedMessage]:
        """Wait until at least `count` messages arrived; fail after `timeout` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.05)
        raise AssertionError(
            f"expected {count} message(s) at the SMTP sink within {timeout}s, "
            f"got {len(self.messages)}"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
