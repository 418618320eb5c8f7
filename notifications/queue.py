"""The job layer: the only module that talks to the task queue.

The framework has three jobs (``notifications.tasks``): deliver due rows,
sweep (release dead workers' rows, re-wake due ones, heartbeat) and write the
daily digests. By default django-q2 runs them: wake-ups are ``async_task``
calls and the periodic jobs are django-q2 Schedules kept in step with the
settings after every ``migrate``. With ``NOTIFICATIONS["JOB_BACKEND"] =
"django_tasks"`` Django's own tasks framework runs the deliveries instead, and
the periodic jobs run from cron (``manage.py notifications_sweep``,
``notifications_digest``), since ``django.tasks`` has no scheduler.

django-q2 reads ``Q_CLUSTER`` once at import; it is imported lazily here, so a
project on ``django.tasks`` never loads it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .conf import conf

logger = logging.getLogger(__name__)

DJANGO_Q = "django_q"
DJANGO_TASKS = "django_tasks"

# The jobs, by import path: django-q2 stores these paths in its queue and
# schedules (so they stay stable), and this module never imports the jobs.
DELIVER_TASK = "notifications.tasks.deliver_due"
DELIVER_JOB = "notifications.tasks.deliver_due_job"  # the same job as a django.tasks Task
SWEEP_SCHEDULE_NAME = "notifications.sweep"
SWEEP_FUNC = "notifications.tasks.sweep"
DIGEST_SCHEDULE_NAME = "notifications.daily_digest"
DIGEST_FUNC = "notifications.tasks.send_daily_digests"
PURGE_SCHEDULE_NAME = "notifications.purge"
PURGE_FUNC = "notifications.tasks.purge"
# Retention runs hourly: each run has an hour's worth of rows to delete.
PURGE_EVERY_MINUTES = 60


def job_backend() -> str:
    backend = conf.JOB_BACKEND
    if backend not in (DJANGO_Q, DJANGO_TASKS):
        raise ImproperlyConfigured(
            f'NOTIFICATIONS["JOB_BACKEND"] must be "{DJANGO_Q}" or "{DJANGO_TASKS}", '
            f"not {backend!r}"
        )
    return backend


# --- waking the workers ------------------------------------------------------------


@cache
def _broker() -> Any:
    """This process's django-q2 broker, kept for its connection.

    ``async_task`` without a broker makes a new one each call, and with Redis
    that is a new connection: 2.2 ms a wake-up instead of 0.3 ms (measured,
    docs/benchmarks.md, P1). redis-py's pool is safe across threads and opens
    new connections in a forked child.
    """
    from django_q.brokers import get_broker

    return get_broker()


def wake(*, helper: bool = False) -> bool:
    """Ask the job backend to run deliver_due now. Never raises.

    When the broker is unreachable the rows stay queued in the database and
    the sweep wakes a worker for them later. A `helper` task only drains the
    backlog beside the task that woke it (it wakes no others).
    """
    try:
        if job_backend() == DJANGO_TASKS:
            job = import_string(DELIVER_JOB).using(backend=conf.TASKS_BACKEND)
            job.enqueue(spread=not helper)
            return True
        from django_q.tasks import async_task

        kwargs = {"spread": False} if helper else {}
        async_task(
            DELIVER_TASK,
            task_name="notifications.deliver_due",
            group=conf.TASK_GROUP,
            broker=_broker(),
            # A wake-up that ran says nothing the outbox does not: saving it
            # would cost the cluster's monitor two write transactions per
            # wake-up (pruning django-q2's results, then the insert), which
            # on SQLite hold the lock every request's write waits for. A
            # wake-up that failed is still saved.
            save=False,
            **kwargs,
        )
    except Exception:
        logger.exception("could not wake notification workers; the sweep will deliver later")
        return False
    return True


def wake_ups_waiting() -> int | None:
    """Wake-ups in the broker that no cluster has taken yet; None when unknown.

    Tasks a node's pusher has already taken (into its local queue, ahead of
    its workers) are not counted: they are spoken for.
    """
    if job_backend() != DJANGO_Q:
        return None
    try:
        return int(_broker().queue_size())
    except Exception:
        logger.exception("could not read the task queue's length")
        return None


def wake_ups_are_writes() -> bool:
    """Whether a wake-up costs a database write in the caller's request.

    django-q2's ORM broker inserts (and commits) a queue row for every
    wake-up; enqueue then lets a burst of commits share one pending wake-up.
    A Redis push through the kept broker costs 0.3 ms, and each commit keeps its own.
    """
    if job_backend() != DJANGO_Q:
        return False
    from django_q.conf import Conf

    return bool(Conf.ORM) and not Conf.BROKER_CLASS


def on_worker_start(callback: Callable[[], Any]) -> None:
    """Run `callback` in every django-q2 worker process as it spawns."""
    if job_backend() != DJANGO_Q:
        return
    from django_q.signals import post_spawn

    def worker_spawned(sender: Any, proc_name: str = "", **kwargs: Any) -> None:
        callback()

    post_spawn.connect(worker_spawned, weak=False, dispatch_uid="notifications.worker_started")


# --- reading Q_CLUSTER ---------------------------------------------------------------


def cluster_settings() -> dict[str, Any]:
    return dict(getattr(settings, "Q_CLUSTER", {}) or {})


def cluster_workers() -> int:
    """Worker processes of one qcluster node."""
    return max(1, int(cluster_settings().get("workers") or 1))


def task_timeout() -> float:
    """Seconds django-q2 lets a task run before it kills it."""
    return float(cluster_settings().get("timeout") or 60)


def broker_ping() -> bool:
    """Whether the task broker answers (always true for django.tasks)."""
    if job_backend() != DJANGO_Q:
        return True
    try:
        from django_q.brokers import get_broker

        return get_broker().ping() is not False
    except Exception:
        logger.exception("health check: task broker unreachable")
        return False


# --- the periodic jobs -----------------------------------------------------------------


def digest_hour() -> int | None:
    """NOTIFICATIONS["DIGEST_HOUR"], checked: an hour of the day, or None (any run)."""
    hour = conf.DIGEST_HOUR
    if hour is None:
        return None
    if not isinstance(hour, int) or isinstance(hour, bool) or not 0 <= hour <= 23:
        raise ImproperlyConfigured(
            f'NOTIFICATIONS["DIGEST_HOUR"] must be an hour from 0 to 23, not {hour!r}'
        )
    return hour


def schedules_ensure() -> None:
    """Create or update the django-q2 Schedules of the sweep, the daily digest
    and retention.

    The digest job runs every DIGEST_CHECK_MINUTES and writes the digests of
    the people whose own DIGEST_HOUR has come (each in their time zone). The
    purge runs hourly while RETENTION_DAYS is set; its schedule is removed
    when it is 0 or None. Idempotent; runs after every migrate, so a new
    deployment gets them and changed settings take effect. Nothing to do when
    django.tasks runs the jobs (cron does).
    """
    if job_backend() != DJANGO_Q:
        return
    from django_q.models import Schedule

    digest_hour()  # a wrong hour fails the deployment, not a worker at night
    every = {
        SWEEP_SCHEDULE_NAME: (SWEEP_FUNC, max(1, round(conf.SWEEP_INTERVAL / 60))),
        DIGEST_SCHEDULE_NAME: (DIGEST_FUNC, max(1, int(conf.DIGEST_CHECK_MINUTES))),
    }
    if conf.RETENTION_DAYS:
        every[PURGE_SCHEDULE_NAME] = (PURGE_FUNC, PURGE_EVERY_MINUTES)
    else:
        Schedule.objects.filter(name=PURGE_SCHEDULE_NAME).delete()
    for name, (func, minutes) in every.items():
        Schedule.objects.update_or_create(
            name=name,
            defaults={
                "func": func,
                "schedule_type": Schedule.MINUTES,
                "minutes": minutes,
                "repeats": -1,
            },
        )


def schedules_tables_ready(using: str) -> bool:
    """Whether django-q2's tables exist on `using` (it may not be migrated yet)."""
    if job_backend() != DJANGO_Q:
        return False
    from django.db import connections

    return "django_q_schedule" in connections[using].introspection.table_names()
