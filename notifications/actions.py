"""What staff and operators do to rows: retry now, cancel, resend, purge.

The admin's actions and the operator commands call these; each is a
transition (``transitions``) plus, where rows become due, a wake-up after
commit.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from . import transitions
from .enqueue import build_row, wake_on_commit
from .models import Notification
from .retention import purge_finished

Status = Notification.Status


def notification_retry_now(*, notification: Notification) -> bool:
    """Queue a row for an immediate new try (attempts start over for a finished row)."""
    won = transitions.retry_now(pk=notification.pk)
    if won:
        wake_on_commit()
    return won


def notification_cancel(
    *, notification: Notification, reason: str = transitions.reason_cancelled_by("staff")
) -> bool:
    """Cancel a row that has not been claimed yet."""
    return transitions.cancel(pk=notification.pk, reason=reason)


def notification_resend(*, notification: Notification) -> Notification | None:
    """A new queued row with the same content (the original is left as it is);
    None for a row not finished yet (queued, held or being sent): a copy of it
    would reach the person twice."""
    if notification.status not in transitions.FINISHED:
        return None
    row = build_row(
        kind=notification.kind,
        recipient=notification.recipient,
        to_address=notification.to_address,
        params=notification.params,
        message=notification.message,
        subject=notification.subject,
        body_text=notification.body_text,
    )
    row.language = notification.language or row.language
    row.save(force_insert=True)
    wake_on_commit()
    return row


def notifications_retry_failed(*, since: timedelta) -> int:
    """Retry every row that failed within `since` (after a provider outage)."""
    cutoff = timezone.now() - since
    failed = Notification.objects.filter(status=Status.FAILED, updated_at__gte=cutoff).only(
        "pk", "status"
    )
    return sum(notification_retry_now(notification=row) for row in list(failed))


def notifications_purge(*, older_than: timedelta, batch_size: int | None = None) -> int:
    """Delete finished rows (sent, failed, cancelled, suppressed) older than `older_than`,
    with their attempt logs, and provider events as old; the rows deleted.

    In batches (see retention.py), so no lock is held for long.
    """
    return purge_finished(older_than=older_than, batch_size=batch_size).notifications
