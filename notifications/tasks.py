"""django-q2 tasks. Their arguments are an API: small ints, kept compatible.

Tasks only wake up the outbox: they claim due rows and call the services.
q2 runs each task once (Q_CLUSTER max_attempts=1); retrying is the outbox's job.
"""

from __future__ import annotations

import logging
import os
import socket

from django.utils import timezone

from .conf import conf
from .models import Notification
from .services import (
    heartbeat_record,
    notifications_claim_due,
    notifications_release_expired_leases,
    notifications_send,
    notifications_wake,
)

logger = logging.getLogger(__name__)

SWEEP_HEARTBEAT = "sweep"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def deliver_due(batch_size: int | None = None, max_batches: int | None = None) -> int:
    """Claim and send due rows, batch after batch, until none is due (bounded).

    Returns the number of rows handled. When the bound is reached with rows
    still due, another deliver_due is enqueued instead of running on.
    """
    batch_size = batch_size or conf.BATCH_SIZE
    max_batches = max_batches or conf.MAX_BATCHES_PER_TASK
    worker = worker_name()
    handled = 0
    for _ in range(max_batches):
        rows = notifications_claim_due(limit=batch_size, worker=worker)
        if not rows:
            return handled
        notifications_send(notifications=rows)
        handled += len(rows)
    if Notification.objects.filter(
        status=Notification.Status.QUEUED, next_attempt_at__lte=timezone.now()
    ).exists():
        notifications_wake()
    return handled


def sweep() -> int:
    """Periodic safety net: release expired leases, wake workers for due rows,
    and record the heartbeat. Returns the number of due rows found.

    Wake-up tasks can be lost (Redis drops in-flight tasks when it crashes, an
    enqueue can fail after commit); the rows are not, and this finds them.
    """
    notifications_release_expired_leases()
    heartbeat_record(name=SWEEP_HEARTBEAT)
    due = Notification.objects.filter(
        status=Notification.Status.QUEUED, next_attempt_at__lte=timezone.now()
    ).count()
    if due:
        notifications_wake()
    return due
