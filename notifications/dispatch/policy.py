"""The retry policy: what a delivery failure means, and when to try again.

Transient: the server or the network is having a bad moment (connection
refused, reset or timed out, SMTP 4xx, a dropped connection, an ESP answering
429/5xx or not at all). Permanent: this message to this recipient will never
be accepted (SMTP 5xx about the recipient or the message, an ESP refusing the
recipient or the address). Unknown errors count as transient: retrying a
message a few times is cheaper than losing it.

A transient failure is retried after an exponential backoff with jitter
(``BACKOFF_BASE · 2^(n-1)`` seconds after try *n*, capped at ``BACKOFF_CAP``,
±``BACKOFF_JITTER``) until ``MAX_ATTEMPTS`` tries were made.
"""

from __future__ import annotations

import random
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta

from anymail.exceptions import (
    AnymailAPIError,
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
    AnymailUnsupportedFeature,
)

from .. import transitions
from ..conf import conf
from ..models import Notification
from .outcomes import Outcome


@dataclass(frozen=True)
class Failure:
    permanent: bool
    reason: str
    # The mailer connection is unusable: reopen it before the next message.
    connection_lost: bool = False


def _smtp_code_permanent(code: int) -> bool:
    return 500 <= code < 600


def classify_failure(error: BaseException) -> Failure:
    """Sort an exception raised while sending one message."""
    name = type(error).__name__
    text = f"{name}: {error}"[:1000]
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return Failure(False, text, connection_lost=True)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return Failure(bool(codes) and all(_smtp_code_permanent(c) for c in codes), text)
    if isinstance(error, (smtplib.SMTPConnectError, smtplib.SMTPHeloError)):
        # The server refused us before any message (a 554 greeting from a
        # blocklist): about our host, not this message. Retried with backoff.
        return Failure(False, text, connection_lost=True)
    if isinstance(error, smtplib.SMTPSenderRefused):
        # Our From address is refused: a configuration problem, not this message.
        return Failure(False, text)
    if isinstance(error, smtplib.SMTPResponseException):
        # SMTPDataError, SMTPAuthenticationError, 421…
        code = error.smtp_code
        if code == 421:  # the server is closing the connection
            return Failure(False, text, connection_lost=True)
        if isinstance(error, smtplib.SMTPAuthenticationError):
            # Our credentials, not this message: keep it until they are fixed.
            return Failure(False, text, connection_lost=True)
        return Failure(_smtp_code_permanent(code), text)
    if isinstance(error, smtplib.SMTPException):
        return Failure(False, text, connection_lost=True)
    if isinstance(error, (AnymailRecipientsRefused, AnymailInvalidAddress)):
        return Failure(True, text)
    if isinstance(error, AnymailUnsupportedFeature):
        return Failure(True, text)
    if isinstance(error, AnymailAPIError):
        status = error.status_code
        if status is None or status == 429 or status >= 500:
            return Failure(False, text)
        if status in (401, 403):  # our API key, not this message
            return Failure(False, text)
        return Failure(True, text)
    if isinstance(error, (ConnectionError, socket.timeout, TimeoutError, ssl.SSLError)):
        return Failure(False, text, connection_lost=True)
    if isinstance(error, OSError):
        return Failure(False, text, connection_lost=True)
    if isinstance(error, ValueError) and str(error).startswith("Invalid address"):
        # Django's SMTP mailer cannot write the address (a non-ASCII local
        # part, two addresses in one): no later try can either.
        return Failure(True, text)
    return Failure(False, text)


def backoff_delay(attempt: int) -> float:
    """Seconds to wait after failed try number `attempt` (1-based), with jitter."""
    delay = min(conf.BACKOFF_CAP, conf.BACKOFF_BASE * 2 ** max(attempt - 1, 0))
    jitter = conf.BACKOFF_JITTER
    return delay * random.uniform(1 - jitter, 1 + jitter)


@dataclass(frozen=True)
class Decision:
    """What to do with a row after a failed try: its outcome, next status and reason."""

    outcome: Outcome
    status: str
    reason: str = ""
    next_attempt_at: datetime | None = None


def decide(*, failure: Failure, attempts: int, now: datetime) -> Decision:
    """Retry after the backoff, or fail for good (permanent, or out of attempts)."""
    if failure.permanent:
        return Decision(Outcome.FAILED, Notification.Status.FAILED, failure.reason)
    if attempts >= conf.MAX_ATTEMPTS:
        reason = transitions.reason_gave_up(attempts, failure.reason)
        return Decision(Outcome.FAILED, Notification.Status.FAILED, reason)
    retry_at = now + timedelta(seconds=backoff_delay(attempts))
    return Decision(Outcome.RETRY, Notification.Status.QUEUED, next_attempt_at=retry_at)
