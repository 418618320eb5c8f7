"""Claiming due rows under a lease, renewing it, and taking back a dead worker's rows.

Claiming is atomic across processes and nodes: on PostgreSQL the candidates
are locked with ``SELECT … FOR UPDATE SKIP LOCKED``; elsewhere one guarded
UPDATE tags them with this claim's token and only the rows it changed are
returned. A claimed row is ``sending`` until its lease runs out; only the
claim that holds it may record its outcome.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from .. import transitions
from ..conf import conf
from ..models import Notification

logger = logging.getLogger(__name__)

Status = Notification.Status


def notifications_claim_due(*, limit: int, worker: str) -> list[Notification]:
    """Move up to `limit` due rows from queued to sending, under a lease; the rows won."""
    now = timezone.now()
    token = f"{worker[:40]}:{uuid.uuid4().hex[:16]}"
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


def notifications_release_expired_leases() -> int:
    """Return rows whose worker died mid-send to queued (or failed when out of tries)."""
    released, failed = transitions.release_expired(
        now=timezone.now(), max_attempts=conf.MAX_ATTEMPTS
    )
    if released or failed:
        logger.warning("released %d expired lease(s), failed %d", released, failed)
    return released
