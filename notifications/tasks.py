"""The framework's jobs: deliver, sweep, digest and purge. Their import paths
and arguments are an API: django-q2 stores them in queued tasks and
schedules, so they stay compatible.

Each job only calls the service that does the work; retrying a delivery is
the outbox's job, never the task queue's (django-q2 runs each task once,
``Q_CLUSTER["max_attempts"] = 1``). The plain functions are what django-q2
and the management commands run; the ``*_job`` objects are the same jobs as
``django.tasks`` Tasks, for projects that run them on Django's tasks
framework (``NOTIFICATIONS["JOB_BACKEND"] = "django_tasks"``).
"""

from __future__ import annotations

import logging

from django.tasks import task

from . import queue
from .digest import digests_send
from .dispatch.drain import drain_due, sweep_outbox
from .retention import purge_expired

logger = logging.getLogger(__name__)


def deliver_due(
    batch_size: int | None = None, max_batches: int | None = None, spread: bool = True
) -> int:
    """Claim and send due rows until none is due (bounded); see dispatch.drain."""
    return drain_due(batch_size=batch_size, max_batches=max_batches, spread=spread)


def sweep() -> int:
    """The periodic safety net; see dispatch.drain.sweep_outbox."""
    return sweep_outbox()


def send_daily_digests() -> int:
    """Write today's digest for everyone with held notifications."""
    written = digests_send()
    logger.info("wrote %d daily digest(s)", written)
    return written


def purge() -> int:
    """Delete finished rows older than RETENTION_DAYS (nothing when it is off).

    Stops between two batches after a third of the task timeout; the next
    run, an hour later, goes on where it stopped.
    """
    return purge_expired(max_seconds=queue.task_timeout() / 3).notifications


@task
def deliver_due_job(spread: bool = True) -> int:
    return deliver_due(spread=spread)


@task
def sweep_job() -> int:
    return sweep()


@task
def daily_digest_job() -> int:
    return send_daily_digests()


@task
def purge_job() -> int:
    return purge()
