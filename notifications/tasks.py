"""django-q2 tasks. Their arguments are an API: small ints, kept compatible.

Tasks only wake up the outbox: they claim due rows and call the services.
q2 runs each task once (Q_CLUSTER max_attempts=1); retrying is the outbox's job.
"""

from __future__ import annotations

import logging
import os
import socket
import time

from django.db.models import QuerySet
from django.utils import timezone

from .conf import conf
from .models import Heartbeat, Notification
from .services import (
    heartbeat_record,
    notifications_claim_due,
    notifications_release_expired_leases,
    notifications_send,
    notifications_wake,
    notifications_wake_pending_clear,
)

logger = logging.getLogger(__name__)

SWEEP_HEARTBEAT = Heartbeat.SWEEP


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def delivery_tasks() -> int:
    """How many deliver_due tasks may drain one backlog side by side."""
    configured = conf.DELIVERY_TASKS
    if configured is None:
        from django.conf import settings

        configured = (getattr(settings, "Q_CLUSTER", {}) or {}).get("workers") or 1
    return max(1, int(configured))


def task_seconds() -> float:
    """How long one deliver_due may go on claiming batches.

    A third of django-q2's task timeout: the batch under way when the budget
    runs out still has time to finish before q2 would kill the task (which
    would cost a duplicate of the email on the wire).
    """
    if conf.TASK_SECONDS is not None:
        return float(conf.TASK_SECONDS)
    from django.conf import settings

    timeout = (getattr(settings, "Q_CLUSTER", {}) or {}).get("timeout") or 60
    return timeout / 3


def _due() -> QuerySet[Notification]:
    return Notification.objects.filter(
        status=Notification.Status.QUEUED, next_attempt_at__lte=timezone.now()
    )


def deliver_due(
    batch_size: int | None = None, max_batches: int | None = None, spread: bool = True
) -> int:
    """Claim and send due rows, batch after batch, until none is due (bounded).

    Returns the number of rows handled. When the first batch is full and more
    rows are due, helper tasks (spread=False) are woken so that up to
    DELIVERY_TASKS tasks send side by side, each over its own connection.
    When the bound (MAX_BATCHES_PER_TASK batches, or task_seconds()) is
    reached with rows still due, the task that spread (not a helper) enqueues
    another deliver_due instead of running on.
    """
    batch_size = batch_size or conf.BATCH_SIZE
    max_batches = max_batches or conf.MAX_BATCHES_PER_TASK
    deadline = time.monotonic() + task_seconds()
    worker = worker_name()
    handled = 0
    if spread:
        # Before the first claim: a commit that finds the flag set skips its
        # own wake-up and relies on this task to see its rows.
        notifications_wake_pending_clear()
    for number in range(max_batches):
        rows = notifications_claim_due(limit=batch_size, worker=worker)
        if not rows:
            return handled
        if number == 0 and spread and len(rows) == batch_size:
            _wake_helpers(batch_size)
        notifications_send(notifications=rows)
        handled += len(rows)
        if time.monotonic() >= deadline:
            break
    if spread and _due().exists():
        notifications_wake()
    return handled


def _wake_helpers(batch_size: int) -> int:
    """Wake one helper per further batch that is due, up to DELIVERY_TASKS - 1."""
    wanted = delivery_tasks() - 1
    if wanted < 1:
        return 0
    due = _due().values("id")[: wanted * batch_size].count()
    helpers = min(wanted, -(-due // batch_size))
    for _ in range(helpers):
        notifications_wake(helper=True)
    return helpers


def sweep() -> int:
    """Periodic safety net: release expired leases, wake workers for due rows,
    and record the heartbeat. Returns the number of due rows found.

    Wake-up tasks can be lost (Redis drops in-flight tasks when it crashes, an
    enqueue can fail after commit); the rows are not, and this finds them.
    """
    notifications_release_expired_leases()
    heartbeat_record(name=SWEEP_HEARTBEAT)
    due = _due().count()
    if due:
        notifications_wake()
    return due
