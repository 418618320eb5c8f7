"""The attempt log: one DeliveryAttempt per try, written together per batch.

The log is history, not state: a row's status is changed by its own guarded
UPDATE right after each send, so a worker killed mid-batch still resends at
most the one email on the wire. Entries are written together, at the latest
a second after they happened (FLUSH_SECONDS), so a killed worker loses at
most that last second of them; every row taken back from a dead worker gets
a "worker lost" entry of its own (dispatch.claim).

The delivery totals the metrics report (``notifications.totals``) are
counted from the same entries and written in the same transaction: one
upsert beside the entries' one INSERT.
"""

from __future__ import annotations

import time
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import DeliveryAttempt, Notification
from ..totals import Tally, totals_add

Outcome = DeliveryAttempt.Outcome


# How long an attempt entry may wait in memory before it is written.
FLUSH_SECONDS = 1.0


class AttemptLog(list[DeliveryAttempt]):
    """DeliveryAttempt rows of one batch, written together by flush()."""

    def __init__(self, *, provider: str = "") -> None:
        super().__init__()
        self.flushed_at = time.monotonic()
        # The delivery mailer's name, as the totals label sends and failures.
        self.provider = provider
        self.tally = Tally()

    def record(
        self, row: Notification, outcome: str, *, started: datetime, error: str = ""
    ) -> None:
        now = timezone.now()
        duration = max(0, int((now - started).total_seconds() * 1000))
        if outcome == Outcome.SENT:
            self.tally.add_sent(
                kind=row.kind, provider=self.provider, created_at=row.created_at, sent_at=now
            )
        else:
            self.tally.add(series=str(outcome), kind=row.kind, provider=self.provider)
        self.append(
            DeliveryAttempt(
                notification_id=row.pk,
                started_at=started,
                duration_ms=duration,
                outcome=outcome,
                error=error,
            )
        )

    def flush(self) -> None:
        if self or self.tally:
            with transaction.atomic():
                DeliveryAttempt.objects.bulk_create(self)
                totals_add(increments=self.tally.increments.items())
            self.clear()
            self.tally.clear()
        self.flushed_at = time.monotonic()

    def flush_if_due(self) -> None:
        """Write what waited FLUSH_SECONDS or more (called between two sends)."""
        if self and time.monotonic() - self.flushed_at >= FLUSH_SECONDS:
            self.flush()
