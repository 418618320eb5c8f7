"""Reads about the outbox, for the admin dashboard, the status command and /healthz."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from . import estimates
from .conf import conf
from .estimates import row_count
from .explain import Cause, held_filters, waiting_filters
from .models import Heartbeat, Notification
from .transitions import FINISHED

Status = Notification.Status


# Statuses a row never leaves (they grow with the outbox's history), and the rest.
FINAL = FINISHED
NOT_FINAL = tuple(status for status in Status if status not in FINAL)


def _grouped_counts(rows: QuerySet[Notification]) -> dict[str, int]:
    return dict(rows.values_list("status").annotate(n=Count("id")).order_by())


def notifications_count_by_status() -> dict[str, int]:
    """Rows by status (see notifications_status_counts)."""
    return notifications_status_counts()[0]


def notifications_status_counts() -> tuple[dict[str, int], frozenset[str]]:
    """Rows by status, and the statuses whose count is an estimate.

    A small outbox is counted exactly, in one query. In a big one (more than
    estimates.EXACT_COUNT_LIMIT rows) the rows not finished yet are still
    counted exactly, through the status index (they are few), and so is
    each finished status up to that limit; beyond it, the planner's estimate.
    """
    counts = {status.value: 0 for status in Status}
    rows = Notification.objects.all()
    planned = estimates.planned_rows(rows)
    if planned is None or planned < estimates.EXACT_COUNT_LIMIT:
        return {**counts, **_grouped_counts(rows)}, frozenset()
    # IN, not NOT IN: the status index finds them without reading the rest.
    counts.update(_grouped_counts(rows.filter(status__in=NOT_FINAL)))
    estimated = set()
    for status in FINAL:
        counted = row_count(rows.filter(status=status))
        counts[status.value] = counted.value
        if counted.estimated:
            estimated.add(status.value)
    return counts, frozenset(estimated)


def notifications_oldest_due_age(*, now: datetime | None = None) -> float | None:
    """Seconds the longest-waiting due queued row has been due, or None."""
    now = now or timezone.now()
    oldest = Notification.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now).aggregate(
        oldest=Min("next_attempt_at")
    )["oldest"]
    return None if oldest is None else (now - oldest).total_seconds()


def notifications_due_count(*, now: datetime | None = None) -> int:
    """Queued rows that are due: the backlog workers should be sending now."""
    now = now or timezone.now()
    return Notification.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now).count()


def notifications_finished_since(*, since: datetime) -> dict[str, int]:
    sent = Notification.objects.filter(status=Status.SENT, sent_at__gte=since).count()
    failed = Notification.objects.filter(status=Status.FAILED, updated_at__gte=since).count()
    return {"sent": sent, "failed": failed}


def notifications_last_success() -> datetime | None:
    return Notification.objects.filter(status=Status.SENT).aggregate(last=Max("sent_at"))["last"]


def heartbeat_age(*, name: str = Heartbeat.SWEEP, now: datetime | None = None) -> float | None:
    seen = Heartbeat.objects.filter(name=name).values_list("seen_at", flat=True).first()
    return None if seen is None else ((now or timezone.now()) - seen).total_seconds()


def notifications_waiting(*, now: datetime | None = None) -> dict[str, Any]:
    """Rows not sent yet, apart from those being sent, in one query.

    ``due``: queued rows that are due (the backlog a worker should be taking);
    ``waiting``: queued rows not due yet, by cause; ``held``: held rows by
    cause; ``next_due_at``: when the next waiting row comes due.
    """
    now = now or timezone.now()
    waiting = waiting_filters(now=now)
    held = held_filters()
    # Only queued and held rows count here: the filter lets the status index
    # skip the finished history.
    not_sent = Notification.objects.filter(status__in=(Status.QUEUED, Status.HELD))
    figures = not_sent.aggregate(
        due=Count("id", filter=Q(status=Status.QUEUED, next_attempt_at__lte=now)),
        next_due_at=Min("next_attempt_at", filter=Q(status=Status.QUEUED, next_attempt_at__gt=now)),
        **{f"waiting_{cause}": Count("id", filter=q) for cause, q in waiting.items()},
        **{f"held_{cause}": Count("id", filter=q) for cause, q in held.items()},
    )
    return {
        "due": figures["due"],
        "next_due_at": figures["next_due_at"],
        "waiting": {cause: figures[f"waiting_{cause}"] for cause in waiting},
        "held": {cause: figures[f"held_{cause}"] for cause in held},
    }


def notifications_waiting_next(
    *, limit: int = 5, now: datetime | None = None
) -> list[Notification]:
    """The queued rows that come due next (not due yet), soonest first."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(status=Status.QUEUED, next_attempt_at__gt=now)
        .select_related("recipient")
        .defer("body_text", "body_html", "message", "headers", "params", "address_outcomes")
        .order_by("next_attempt_at", "id")[:limit]
    )


# Emails failed for good within the hour, with none sent, from which delivery
# itself is failing: one bad address is not a pattern.
FAILING_AFTER = 3


@dataclass
class OutboxHealth:
    counts: dict[str, int]
    oldest_due_age: float | None
    sent_last_hour: int
    failed_last_hour: int
    last_success: datetime | None
    heartbeat_age: float | None
    # The statuses whose count is the planner's estimate (a big outbox).
    estimated: frozenset[str] = frozenset()
    # Queued and due: what workers should be sending now.
    due: int = 0
    # Queued, not due yet, by cause (explain.Cause); held rows by cause.
    waiting: dict[Cause, int] = field(default_factory=dict)
    held: dict[Cause, int] = field(default_factory=dict)
    next_due_at: datetime | None = None

    @property
    def problems(self) -> list[str]:
        """What is wrong, in words (notifications_status); empty when healthy."""
        found = []
        if self.heartbeat_missing:
            found.append("no worker heartbeat yet (is qcluster running with the sweep schedule?)")
        elif self.heartbeat_stale:
            found.append(
                f"worker heartbeat is {self.heartbeat_age:.0f}s old"
                f" (limit {conf.HEARTBEAT_MAX_AGE}s)"
            )
        if self.backlog_late:
            found.append(
                f"oldest due row has waited {self.oldest_due_age:.0f}s (limit {conf.MAX_DUE_AGE}s)"
            )
        if self.failing:
            found.append(
                f"{self.failed_last_hour} emails failed in the last hour and none was sent"
            )
        return found

    @property
    def healthy(self) -> bool:
        return not self.problems

    @property
    def heartbeat_missing(self) -> bool:
        return self.heartbeat_age is None

    @property
    def heartbeat_stale(self) -> bool:
        return self.heartbeat_age is not None and self.heartbeat_age > conf.HEARTBEAT_MAX_AGE

    @property
    def failing(self) -> bool:
        return self.failed_last_hour >= FAILING_AFTER and self.sent_last_hour == 0

    @property
    def backlog_late(self) -> bool:
        return self.oldest_due_age is not None and self.oldest_due_age > conf.MAX_DUE_AGE

    @property
    def waiting_total(self) -> int:
        return sum(self.waiting.values())

    @property
    def held_total(self) -> int:
        return sum(self.held.values())


def outbox_health(*, now: datetime | None = None) -> OutboxHealth:
    """Everything an operator asks first, and what is wrong with it."""
    now = now or timezone.now()
    finished = notifications_finished_since(since=now - timedelta(hours=1))
    oldest = notifications_oldest_due_age(now=now)
    beat = heartbeat_age(now=now)
    waiting = notifications_waiting(now=now)
    counts, estimated = notifications_status_counts()
    return OutboxHealth(
        counts=counts,
        estimated=estimated,
        oldest_due_age=oldest,
        sent_last_hour=finished["sent"],
        failed_last_hour=finished["failed"],
        last_success=notifications_last_success(),
        heartbeat_age=beat,
        due=waiting["due"],
        waiting=waiting["waiting"],
        held=waiting["held"],
        next_due_at=waiting["next_due_at"],
    )


def notifications_per_hour(*, hours: int = 48, now: datetime | None = None) -> list[dict]:
    """Emails created per hour by status over the last `hours` hours, oldest first.

    Each item: {"hour": datetime, "counts": {status: n}, "total": n}; hours
    without email are included with zero counts.
    """
    now = now or timezone.now()
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=hours - 1)
    buckets = {
        start + timedelta(hours=i): {status.value: 0 for status in Status} for i in range(hours)
    }
    rows = (
        Notification.objects.filter(created_at__gte=start)
        .annotate(hour=TruncHour("created_at"))
        .values("hour", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        hour = row["hour"]
        if hour in buckets:
            buckets[hour][row["status"]] += row["n"]
    return [
        {"hour": hour, "counts": counts, "total": sum(counts.values())}
        for hour, counts in sorted(buckets.items())
    ]
