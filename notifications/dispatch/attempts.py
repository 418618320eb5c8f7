"""The attempt log: one DeliveryAttempt per try, written together per batch.

The log is history, not state: a row's status is changed by its own guarded
UPDATE right after each send, so a worker killed mid-batch still resends at
most the one email on the wire. What a killed worker's batch loses is its
attempt entries; the sweep writes a "worker lost" entry for each row it takes
back from a dead worker, so the history shows what happened.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from ..models import DeliveryAttempt, Notification

Outcome = DeliveryAttempt.Outcome


class AttemptLog(list[DeliveryAttempt]):
    """DeliveryAttempt rows of one batch, written together by flush()."""

    def record(
        self, row: Notification, outcome: str, *, started: datetime, error: str = ""
    ) -> None:
        duration = max(0, int((timezone.now() - started).total_seconds() * 1000))
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
        if self:
            DeliveryAttempt.objects.bulk_create(self)
            self.clear()
