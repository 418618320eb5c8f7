"""Waking a worker when rows come due: the end of a backoff or of a coalescing window.

A commit wakes the workers for the rows it wrote, but nothing commits when a
retry's backoff or a coalescing window ends. So each worker process runs a
small watcher thread: it sleeps until the next queued row is due (at most
WATCH_INTERVAL seconds, to notice rows other processes schedule), then wakes
the workers, once per due moment across every process and node: a guarded
UPDATE of the one WakeUp row decides which watcher does it.

When a watcher starts (a new or restarted cluster, or a worker process the
cluster replaced) it first takes back the rows of this host's dead workers and
wakes the workers for everything already due, so nothing waits for the sweep.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from django.db import close_old_connections
from django.db.models import Min, Q
from django.utils import timezone

from .. import queue
from ..conf import conf
from ..enqueue.wakeup import WAKE_UP_ID
from ..models import Notification, WakeUp
from .claim import notifications_take_back_dead_claims

logger = logging.getLogger(__name__)

# How often a watcher looks for rows of this host's dead workers (a worker
# process killed while the cluster lives on: the cluster spawns a new one).
DEAD_CLAIMS_EVERY = 5.0

_rearm = threading.Event()
_started = threading.Lock()
_watcher: DueWatcher | None = None


def rearm() -> None:
    """This process just scheduled a row: let its watcher look again now."""
    _rearm.set()


def next_due_after(horizon: datetime | None) -> datetime | None:
    """The earliest due time of a queued row later than `horizon` (any, if None)."""
    queued = Notification.objects.filter(status=Notification.Status.QUEUED)
    if horizon is not None:
        queued = queued.filter(next_attempt_at__gt=horizon)
    return queued.aggregate(due=Min("next_attempt_at"))["due"]


def win_due_wake(*, due: datetime, now: datetime) -> bool:
    """Whether this process wakes the workers for rows due at `due` (one winner)."""
    WakeUp.objects.get_or_create(pk=WAKE_UP_ID)
    not_yet = Q(due_woken_at__isnull=True) | Q(due_woken_at__lt=due)
    return bool(WakeUp.objects.filter(not_yet, pk=WAKE_UP_ID).update(due_woken_at=now))


class DueWatcher(threading.Thread):
    """The watcher of one worker process (a daemon thread: it dies with the process)."""

    def __init__(self, *, interval: float) -> None:
        super().__init__(name="notifications-due-watcher", daemon=True)
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        horizon = self._start()
        next_check = time.monotonic() + DEAD_CLAIMS_EVERY
        while not self.stopping.is_set():
            if time.monotonic() >= next_check:
                self._take_back_dead_claims()
                next_check = time.monotonic() + DEAD_CLAIMS_EVERY
            timeout, horizon = self._look(horizon)
            _rearm.wait(min(timeout, DEAD_CLAIMS_EVERY))
            _rearm.clear()
        close_old_connections()

    def _take_back_dead_claims(self) -> None:
        """A worker of this cluster killed mid-batch (the cluster starts a new one)."""
        try:
            close_old_connections()
            if notifications_take_back_dead_claims():
                queue.wake()
        except Exception:
            logger.exception("the due-time watcher could not take back dead workers' rows")

    def _start(self) -> datetime:
        started = timezone.now()
        try:
            close_old_connections()
            notifications_take_back_dead_claims()  # a restarted cluster's own dead claims
            due = next_due_after(None)
            if due is not None and due <= timezone.now() and win_due_wake(due=started, now=started):
                queue.wake()
        except Exception:
            logger.exception("the due-time watcher could not look at the outbox at start")
        return started

    def _look(self, horizon: datetime) -> tuple[float, datetime]:
        """Wake the workers if rows came due since `horizon`; how long to sleep, new horizon."""
        try:
            close_old_connections()
            due = next_due_after(horizon)
            now = timezone.now()
            if due is not None and due <= now:
                if win_due_wake(due=due, now=now):
                    queue.wake()
                return 0.0, now
            if due is None:
                return self.interval, horizon
            return min(self.interval, (due - now).total_seconds()), horizon
        except Exception:
            logger.exception("the due-time watcher could not look at the outbox")
            return self.interval, horizon


def start_watcher() -> DueWatcher | None:
    """Start this process's watcher (once); None when WATCH_INTERVAL turns it off."""
    global _watcher
    interval = conf.WATCH_INTERVAL
    if not interval:
        return None
    with _started:
        if _watcher is None or not _watcher.is_alive():
            _watcher = DueWatcher(interval=float(interval))
            _watcher.start()
        return _watcher
