"""Waking the workers once the rows a transaction wrote are committed.

A worker must never look for a row before it is committed, so a wake-up is
registered with ``transaction.on_commit``. A request that writes several rows
(a post mentioning ten people) registers one callback per row; after the
commit the first of them wakes the workers and the others, run in the same
breath, see that this commit's wake-up is done (`_commit_woken`). A new
request for a wake-up starts a new round. A rolled-back transaction runs no
callback at all, and leaves nothing behind that could swallow a later wake-up.

Inside a request the wake-up waits until the response has been sent
(Django's ``request_finished``, which WSGI and ASGI servers fire once the
response is written): the person who followed does not wait for it, and a
request that commits several times wakes the workers once. The rows are
committed either way; should the process die between the response and the
wake-up, the workers' due-time watcher (within WATCH_INTERVAL) or the sweep
wakes a worker for them, as for any wake-up that is lost.

With django-q2's ORM broker every wake-up is a row (and a commit) in its
queue table; there a burst of commits from many requests shares one pending
wake-up, recorded in the one ``WakeUp`` row.
"""

from __future__ import annotations

import logging
import threading
from contextvars import ContextVar
from typing import Any

from django.db import transaction
from django.utils import timezone

from .. import queue
from ..models import WakeUp
from .statements import wake_up_pending

logger = logging.getLogger(__name__)

# The one row of WakeUp.
WAKE_UP_ID = 1


class _CommitRound(threading.local):
    """Whether the callbacks of the commit being processed already woke the workers."""

    woken = False


_commit_woken = _CommitRound()


class _ResponseWakeUp:
    """The wake-up a request's commits owe, paid once its response is sent."""

    __slots__ = ("owed",)

    def __init__(self) -> None:
        self.owed = False


# A context variable rather than a thread-local: under ASGI, requests served
# at the same time can share a thread. The request's tasks and threads see
# the one object set when it started.
_response_wake_up: ContextVar[_ResponseWakeUp | None] = ContextVar(
    "notifications_response_wake_up", default=None
)


def wake_on_commit() -> None:
    """Wake the workers once the current transaction commits (at once outside one);
    inside a request, once its response has been sent."""
    _commit_woken.woken = False
    transaction.on_commit(_wake_once_per_commit)


def _wake_once_per_commit() -> None:
    if _commit_woken.woken:
        return
    _commit_woken.woken = True
    owed = _response_wake_up.get()
    if owed is not None:
        owed.owed = True
        return
    wake_after_commit()


def hold_wake_ups_for_response(**kwargs: Any) -> None:
    """Receiver of Django's request_started: this request's wake-ups wait for its response."""
    unfinished = _response_wake_up.get()
    _response_wake_up.set(_ResponseWakeUp())
    if unfinished is not None and unfinished.owed:
        wake_after_commit()  # the last request here never finished: its wake-up now


def wake_after_response(**kwargs: Any) -> None:
    """Receiver of Django's request_finished: the response is sent, wake the workers
    if the request committed rows for them."""
    owed = _response_wake_up.get()
    _response_wake_up.set(None)
    if owed is not None and owed.owed:
        wake_after_commit()


def wake_after_commit() -> bool:
    """Wake the workers for rows this process has just committed. Never raises.

    When a wake-up is already pending (set by an earlier commit, not yet
    cleared by the deliver_due it enqueued) no task is added: that
    deliver_due clears the flag only after this check and claims only after
    clearing it, so it sees these rows. Only the commit that sets the flag
    enqueues. If the task holding the flag is lost before it runs, later
    commits wait for the periodic sweep, whose task clears the flag.
    """
    if not queue.wake_ups_are_writes():
        return queue.wake()
    try:
        pending = wake_up_pending(wake_up_id=WAKE_UP_ID)
        if pending:
            return True
        if pending is None:
            WakeUp.objects.get_or_create(pk=WAKE_UP_ID)
        flag = WakeUp.objects.filter(pk=WAKE_UP_ID, pending=False)
        if not flag.update(pending=True, updated_at=timezone.now()):
            return True  # another commit set it after our read: its task comes later
    except Exception:
        logger.exception("could not read the wake-up flag; waking the workers anyway")
        return queue.wake()
    if queue.wake():
        return True
    wake_pending_clear()  # so that the next commit tries the broker again
    return False


def wake_pending_clear() -> None:
    """Forget the pending wake-up: deliver_due calls this before it claims."""
    if queue.wake_ups_are_writes():
        WakeUp.objects.filter(pk=WAKE_UP_ID, pending=True).update(
            pending=False, updated_at=timezone.now()
        )
