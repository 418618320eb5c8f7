"""Draining the outbox: a worker's loop over due batches, and the periodic sweep.

One deliver_due task claims and sends batch after batch until nothing is due,
within bounds (MAX_BATCHES_PER_TASK batches, and a third of the task queue's
timeout, so a slow server never gets a task killed mid-send). A large backlog
wakes helper tasks, so up to DELIVERY_TASKS tasks send side by side, each
over its own connection, and a task that finds fewer of them sending than
that wakes one more. The sweep is the safety net: it takes back rows of
workers that died, wakes a worker for due rows whose wake-up was lost, and
records the heartbeat operators watch.
"""

from __future__ import annotations

import time

from django.db.models import QuerySet
from django.utils import timezone

from .. import queue
from ..conf import conf
from ..enqueue.wakeup import wake_pending_clear
from ..models import Heartbeat, Notification
from .claim import (
    notifications_claim_due,
    notifications_release_expired_leases,
    notifications_take_back_dead_claims,
    worker_name,
)
from .send import notifications_send


def delivery_tasks() -> int:
    """How many deliver_due tasks may drain one backlog side by side."""
    configured = conf.DELIVERY_TASKS
    if configured is None:
        configured = queue.cluster_workers()
    return max(1, int(configured))


def task_seconds() -> float:
    """How long one deliver_due may go on claiming batches.

    A third of the task queue's timeout: the batch under way when the budget
    runs out still has time to finish before the task would be killed (which
    would cost a duplicate of the email on the wire).
    """
    if conf.TASK_SECONDS is not None:
        return float(conf.TASK_SECONDS)
    return queue.task_timeout() / 3


def due_rows() -> QuerySet[Notification]:
    return Notification.objects.filter(
        status=Notification.Status.QUEUED, next_attempt_at__lte=timezone.now()
    )


def drain_due(
    *, batch_size: int | None = None, max_batches: int | None = None, spread: bool = True
) -> int:
    """Claim and send due rows, batch after batch, until none is due (bounded).

    Returns the number of rows handled. When the first batch is full and more
    rows are due, helper tasks (spread=False) are woken. When the bound is
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
        wake_pending_clear()
    for number in range(max_batches):
        rows = notifications_claim_due(limit=batch_size, worker=worker)
        if not rows:
            return handled
        if number == 0 and spread and len(rows) == batch_size:
            _wake_helpers(batch_size)
        elif len(rows) == batch_size:
            _top_up_senders(batch_size)
        notifications_send(notifications=rows)
        handled += len(rows)
        if time.monotonic() >= deadline:
            break
    if spread and due_rows().exists():
        queue.wake()
    return handled


def _wake_helpers(batch_size: int) -> int:
    """Wake one helper per further batch that is due, up to DELIVERY_TASKS - 1."""
    wanted = delivery_tasks() - 1
    if wanted < 1:
        return 0
    due = due_rows().values("id")[: wanted * batch_size].count()
    helpers = min(wanted, -(-due // batch_size))
    for _ in range(helpers):
        queue.wake(helper=True)
    return helpers


def _top_up_senders(batch_size: int) -> bool:
    """Wake one more helper when fewer than DELIVERY_TASKS claims are sending,
    a full batch is due and no wake-up waits in the broker.

    The helpers woken at the start of a backlog can land in a busy node's
    local queue (django-q2's pusher takes tasks ahead of its workers) while
    another node has nothing to run; they would start only once the backlog
    is gone. A fresh wake-up goes to whichever node asks the broker first,
    which is the idle one. At most one waits in the broker at a time.
    """
    wanted = delivery_tasks()
    if wanted < 2:
        return False
    sending = Notification.objects.filter(status=Notification.Status.SENDING)
    if sending.values("claimed_by").distinct().count() >= wanted:
        return False
    if due_rows().values("id")[:batch_size].count() < batch_size:
        return False
    if queue.wake_ups_waiting() != 0:
        return False
    return queue.wake(helper=True)


def heartbeat_record(*, name: str) -> Heartbeat:
    heartbeat, _ = Heartbeat.objects.update_or_create(
        name=name, defaults={"seen_at": timezone.now()}
    )
    return heartbeat


def sweep_outbox() -> int:
    """Take back dead workers' rows, record the heartbeat, wake workers for due rows.

    Wake-up tasks can be lost (Redis drops in-flight tasks when it crashes, an
    enqueue can fail after commit); the rows are not, and this finds them.
    Returns the number of due rows found.
    """
    notifications_take_back_dead_claims()
    notifications_release_expired_leases()
    heartbeat_record(name=Heartbeat.SWEEP)
    due = due_rows().count()
    if due:
        queue.wake()
    return due
