"""The framework's three jobs. Their import paths and arguments are an API:
django-q2 stores them in queued tasks and schedules, so they stay compatible.

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

from .digest import digests_send
from .dispatch.drain import drain_due, sweep_outbox

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


@task
def deliver_due_job(spread: bool = True) -> int:
    return deliver_due(spread=spread)


@task
def sweep_job() -> int:
    return sweep()


@task
def daily_digest_job() -> int:
    return send_daily_digests()
