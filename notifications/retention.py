"""Retention: deleting old finished rows, their attempt logs and old provider events.

A sent row keeps its rendered bodies (kilobytes each), so an outbox that is
never purged grows without bound and every full-table read slows with it.
``RETENTION_DAYS`` after their last change, finished rows (sent, failed,
cancelled, suppressed) are deleted with their attempt logs by a periodic job
(``notifications.purge``, registered by ``queue.schedules_ensure``); queued,
held and sending rows never are, nor the rows a digest waiting to be sent
has folded in (it renders them when it is sent). Provider events older than that go too,
except an event a suppression names as its source: the suppression list
itself is never purged, nor the evidence behind it. In-app items stay (they
are the person's feed); their link to a deleted row is cleared.

Deletion goes in batches of ``PURGE_BATCH_SIZE``, each in a transaction of
its own, so no lock is held for long and a purge interrupted midway has
deleted whole batches only. The delivery totals the metrics report are a
table of their own, untouched here, so counters never go backwards.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import transitions
from .conf import conf
from .digest import Digest
from .models import Notification, Suppression, TrackingEvent

logger = logging.getLogger(__name__)


@dataclass
class Purged:
    """What one purge deleted."""

    notifications: int = 0
    attempts: int = 0
    events: int = 0


def retention_days() -> int | None:
    """RETENTION_DAYS, or None when rows are kept forever (0 or None)."""
    days = conf.RETENTION_DAYS
    return int(days) if days else None


def purge_finished(
    *,
    older_than: timedelta,
    batch_size: int | None = None,
    max_seconds: float | None = None,
    now: datetime | None = None,
) -> Purged:
    """Delete finished rows last changed more than `older_than` ago, and older events.

    Stops early, between two batches, after `max_seconds` (the next run goes on).
    """
    cutoff = (now or timezone.now()) - older_than
    size = batch_size or conf.PURGE_BATCH_SIZE
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    purged = Purged()
    while deadline is None or time.monotonic() < deadline:
        with transaction.atomic():
            ids = _locked_ids(_old_finished_rows(cutoff), size)
            if not ids:
                break
            # The status again: on a database without row locks a row retried
            # since the ids were read is queued now, and stays.
            finished = Notification.objects.filter(pk__in=ids, status__in=transitions.FINISHED)
            _, counts = finished.delete()
        purged.notifications += counts.get(Notification._meta.label, 0)
        purged.attempts += counts.get("notifications.DeliveryAttempt", 0)
    while deadline is None or time.monotonic() < deadline:
        with transaction.atomic():
            ids = _locked_ids(_old_events(cutoff), size)
            if not ids:
                break
            deleted, _ = TrackingEvent.objects.filter(pk__in=ids).delete()
        purged.events += deleted
    if purged.notifications or purged.events:
        logger.info(
            "purged %d finished row(s), %d attempt(s) and %d provider event(s) older than %s",
            purged.notifications,
            purged.attempts,
            purged.events,
            cutoff.isoformat(),
        )
    return purged


def _old_finished_rows(cutoff: datetime) -> QuerySet[Notification]:
    # A row changed before the cutoff was created before it: the created_at
    # index narrows the search to old rows (updated_at has no index, since
    # every status change would have to maintain one).
    return Notification.objects.filter(
        created_at__lt=cutoff, updated_at__lt=cutoff, status__in=transitions.FINISHED
    ).exclude(_folded_into_unfinished_digests())


# More digests than this waiting to be sent (a backlog): no folded row goes
# in this run, rather than a statement naming each digest.
_MOST_UNFINISHED_DIGESTS = 1000


def _folded_into_unfinished_digests() -> Q:
    """The rows a digest not yet finished has folded in (cancelled "included in
    digest #<id>"): it lists them by id and renders them when it is sent, so
    they stay until it is (a digest retried for a day, or retried by staff,
    would otherwise go out empty, or not at all)."""
    unfinished = list(
        Notification.objects.filter(kind=Digest.key)
        .exclude(status__in=transitions.FINISHED)
        .values_list("pk", flat=True)[: _MOST_UNFINISHED_DIGESTS + 1]
    )
    if len(unfinished) > _MOST_UNFINISHED_DIGESTS:
        return Q(status_reason__startswith=transitions.reason_in_digest(""))
    return Q(status_reason__in=[transitions.reason_in_digest(pk) for pk in unfinished])


def _old_events(cutoff: datetime) -> QuerySet[TrackingEvent]:
    evidence = Suppression.objects.filter(source_event__isnull=False).values("source_event")
    return TrackingEvent.objects.filter(received_at__lt=cutoff).exclude(pk__in=evidence)


def _locked_ids(rows: QuerySet, size: int) -> list[int]:
    """Up to `size` ids of `rows`, locked on PostgreSQL until the transaction ends.

    A row staff retry at this moment is either locked here first (and the
    retry waits) or skipped: never deleted once it is queued again.
    """
    if connection.vendor == "postgresql":
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    return list(rows.values_list("pk", flat=True)[:size])


def purge_expired(*, max_seconds: float | None = None) -> Purged:
    """The periodic job's work: purge what RETENTION_DAYS allows (nothing when it is off)."""
    days = retention_days()
    if days is None:
        return Purged()
    return purge_finished(older_than=timedelta(days=days), max_seconds=max_seconds)
