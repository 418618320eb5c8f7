"""Claiming due rows under a lease, renewing it, and taking back a dead worker's rows.

Claiming is atomic across processes and nodes: on PostgreSQL the candidates
are locked with ``SELECT … FOR UPDATE SKIP LOCKED``; elsewhere one guarded
UPDATE tags them with this claim's token and only the rows it changed are
returned. A claimed row is ``sending`` until its lease runs out; only the
claim that holds it may record its outcome.

A claim names the process that made it (host, boot, pid and the process's
start time). When that process is gone, a worker on the same host takes its
rows back at once, without waiting out the lease: a killed cluster's rows
move again within seconds of its restart. Rows of a host that never comes
back return when their lease expires. Either way the row gets a "worker
lost" attempt entry, so its history shows what happened.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta
from functools import cache
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from .. import transitions
from ..conf import conf
from ..models import DeliveryAttempt, Notification

logger = logging.getLogger(__name__)

Status = Notification.Status


@cache
def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        return "-"


def _start_time(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot), or None if it is gone.

    A zombie (killed, not yet reaped by its parent) is gone too: it will
    never finish its batch.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return "-"  # no /proc here: the pid's existence is all we can know
    fields = stat.rpartition(")")[2].split()
    if fields[0] in ("Z", "X"):
        return None
    return fields[19]


def _host() -> str:
    return socket.gethostname()[:20]


def worker_name() -> str:
    """This process, as a claim names it: host, boot, pid and start time."""
    pid = os.getpid()
    return f"{_host()}:{_boot_id()}:{pid}:{_start_time(pid) or '-'}"


def claimant_is_gone(token: str) -> bool:
    """Whether the process that made claim `token` on this host no longer runs.

    False for claims of other hosts: their processes cannot be seen from here.
    """
    host, boot, pid, started, *_ = [*token.split(":"), "", "", "", ""]
    if host != _host() or not pid.isdigit():
        return False
    if boot != _boot_id():
        return True  # the host was rebooted since
    now_started = _start_time(int(pid))
    if now_started is None:
        return True
    if now_started == "-" or started == "-":
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return now_started != started  # the pid was reused by another process


def notifications_claim_due(*, limit: int, worker: str) -> list[Notification]:
    """Move up to `limit` due rows from queued to sending, under a lease; the rows won."""
    now = timezone.now()
    token = f"{worker[:54]}:{uuid.uuid4().hex[:8]}"
    due = Notification.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now).order_by(
        "next_attempt_at", "id"
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            ids = list(due.select_for_update(skip_locked=True).values_list("id", flat=True)[:limit])
        else:
            ids = list(due.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        lease_until = now + timedelta(seconds=conf.LEASE_SECONDS)
        transitions.claim(ids=ids, token=token, lease_until=lease_until, now=now)
    return list(
        Notification.objects.select_related("recipient")
        .filter(claimed_by=token, status=Status.SENDING)
        .order_by("next_attempt_at", "id")
    )


def notifications_renew_leases(rows: list[Notification]) -> set[int]:
    """Extend this claim's lease on `rows`; the ids still held (the others are lost)."""
    lease_until = timezone.now() + timedelta(seconds=conf.LEASE_SECONDS)
    return transitions.renew_leases(
        ids=[row.pk for row in rows],
        tokens={row.claimed_by for row in rows},
        lease_until=lease_until,
    )


def _take_back(rows: list[tuple[int, str]], *, why: str) -> int:
    """Rows (id, claim) of dead claims back to queued, each with a "worker lost" entry."""
    now = timezone.now()
    lost = []
    for pk, token in rows:
        status = transitions.take_back(pk=pk, token=token, now=now, max_attempts=conf.MAX_ATTEMPTS)
        if status is not None:
            error = f"{why} (claim {token}); {'queued again' if status == 'queued' else 'failed'}"
            lost.append(
                DeliveryAttempt(
                    notification_id=pk,
                    started_at=now,
                    outcome=DeliveryAttempt.Outcome.LOST,
                    error=error,
                )
            )
    DeliveryAttempt.objects.bulk_create(lost)
    if lost:
        logger.warning("took back %d row(s): %s", len(lost), why)
    return len(lost)


def notifications_take_back_dead_claims() -> int:
    """Rows claimed by processes of this host that no longer run, back to queued now."""
    claims = Notification.objects.filter(
        status=Status.SENDING, claimed_by__startswith=f"{_host()}:"
    ).values_list("pk", "claimed_by")
    dead = [(pk, token) for pk, token in claims if claimant_is_gone(token)]
    return _take_back(dead, why="the worker process is gone") if dead else 0


def notifications_release_expired_leases() -> int:
    """Rows whose lease ran out (their worker died or hangs) back to queued, or failed
    when out of tries."""
    expired = Notification.objects.filter(
        status=Status.SENDING, lease_expires_at__lt=timezone.now()
    ).values_list("pk", "claimed_by")
    rows = list(expired)
    return _take_back(rows, why="the lease expired") if rows else 0
