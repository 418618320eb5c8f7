"""What dispatch hands between its steps: the outcome of a row, a prepared message, a report."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.core.mail import EmailMessage

from ..models import Notification
from ..rendering import RenderedEmail


class Outcome(StrEnum):
    """What became of one claimed row in one pass."""

    SENT = "sent"
    RETRY = "retry"  # a transient failure: queued again, after the backoff
    FAILED = "failed"  # a permanent failure, or out of attempts
    CANCELLED = "cancelled"  # obsolete, recipient gone, category turned off
    HELD = "held"  # the recipient now gets this category by digest
    SUPPRESSED = "suppressed"  # the address is on the suppression list
    DEFERRED = "deferred"  # the recipient's quiet hours: due again when they end
    LEASE_LOST = "lease lost"  # another worker owns the row now: not ours to finish

    @property
    def counted_as(self) -> str:
        """The BatchReport counter this outcome adds to."""
        return _COUNTED_AS.get(self, "skipped")


_COUNTED_AS = {Outcome.SENT: "sent", Outcome.RETRY: "retried", Outcome.FAILED: "failed"}


@dataclass(frozen=True)
class PreparedMessage:
    """A claimed row ready for the wire: the message, where it goes, and what was rendered.

    `rendered` (a typed row's subject, bodies and headers) is stored with the
    row's outcome, in the same UPDATE.
    """

    row: Notification
    message: EmailMessage
    to_address: str
    rendered: RenderedEmail | None = None
    # A message to several addresses: the ones left out, and why.
    left_out: dict[str, str] = field(default_factory=dict)


@dataclass
class BatchReport:
    """How one batch went: counts, and each row's outcome."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    outcomes: dict[int, Outcome] = field(default_factory=dict)

    def add(self, row: Notification, outcome: Outcome) -> None:
        self.outcomes[row.pk] = outcome
        counter = outcome.counted_as
        setattr(self, counter, getattr(self, counter) + 1)
