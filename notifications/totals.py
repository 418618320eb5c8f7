"""Delivery totals: running counts that outlive the outbox rows they count.

Retention deletes old rows, so counting sent rows at scrape time would make
a counter go backwards. The totals live in a small table of their own
(``DeliveryTotal``: one row per series, type, provider and latency bucket)
that nothing purges. Workers add to it with the attempt log of each batch,
in the same transaction (``dispatch.attempts``): one upsert per flush,
whatever the batch's size, so a total never counts a try the attempt log
lost, or the other way round.

What is counted, per type (kind) and provider:

* ``sent``: messages the server or ESP accepted;
* ``retry`` / ``failed``: tries that failed transiently (queued again) or for
  good (a permanent error, a rendering error, out of attempts);
* ``latency``: sent messages by enqueue-to-sent time (the row's creation to
  its acceptance), one row per histogram bucket (the bucket's upper bound,
  not cumulative), and ``latency_sum``, the seconds added up.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, connection, models, transaction
from django.db.models import F

# Upper bounds (seconds) of the latency histogram's buckets. A coalesced
# email waits COALESCE_WINDOW (600 s) on purpose; a retry waits its backoff.
# Stored per bucket: changing them later folds old counts into the next bound.
LATENCY_BUCKETS: tuple[float, ...] = (
    0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 3 * 3600, 12 * 3600, 86400,
)  # fmt: skip
INF = "+Inf"


class DeliveryTotal(models.Model):
    """One running total: a series (sent, retry, failed, latency) of one type and provider."""

    class Series(models.TextChoices):
        SENT = "sent"
        RETRY = "retry"
        FAILED = "failed"
        LATENCY = "latency"
        LATENCY_SUM = "latency_sum"

    series = models.CharField(max_length=16, choices=Series.choices)
    kind = models.CharField(max_length=64)
    provider = models.CharField(max_length=50)
    # A latency bucket's upper bound ("0.5", …, "+Inf"); "" for the other series.
    bucket = models.CharField(max_length=16, blank=True, default="")
    value = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["series", "kind", "provider", "bucket"], name="one_total_per_series"
            )
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.kind} {self.provider} {self.bucket}: {self.value:g}"


Key = tuple[str, str, str, str]  # series, kind, provider, bucket


def latency_bucket(seconds: float) -> str:
    """The upper bound of the bucket `seconds` falls in, as stored."""
    index = bisect.bisect_left(LATENCY_BUCKETS, seconds)
    return INF if index == len(LATENCY_BUCKETS) else f"{LATENCY_BUCKETS[index]:g}"


@dataclass
class Tally:
    """What a batch adds to the totals, kept in memory until the attempt log is written."""

    increments: Counter[Key] = field(default_factory=Counter)

    def add(self, *, series: str, kind: str, provider: str) -> None:
        self.increments[(str(series), kind[:64], provider[:50], "")] += 1

    def add_sent(
        self, *, kind: str, provider: str, created_at: datetime, sent_at: datetime
    ) -> None:
        self.add(series=DeliveryTotal.Series.SENT, kind=kind, provider=provider)
        seconds = max(0.0, (sent_at - created_at).total_seconds())
        kind, provider = kind[:64], provider[:50]
        self.increments[("latency", kind, provider, latency_bucket(seconds))] += 1
        self.increments[("latency_sum", kind, provider, "")] += seconds

    def __bool__(self) -> bool:
        return bool(self.increments)

    def clear(self) -> None:
        self.increments.clear()


def totals_add(*, increments: Iterable[tuple[Key, float]]) -> None:
    """Add to the totals: one INSERT … ON CONFLICT DO UPDATE for all of them.

    Keys are written in sorted order, so two workers adding to the same
    totals lock them in the same order and never deadlock on PostgreSQL.
    """
    items = sorted(increments)
    if not items:
        return
    if connection.vendor in ("postgresql", "sqlite"):
        _upsert(items)
        return
    for (series, kind, provider, bucket), value in items:  # any other database, row by row
        totals = DeliveryTotal.objects.filter(
            series=series, kind=kind, provider=provider, bucket=bucket
        )
        if totals.update(value=F("value") + value):
            continue
        try:
            with transaction.atomic():
                DeliveryTotal.objects.create(
                    series=series, kind=kind, provider=provider, bucket=bucket, value=value
                )
        except IntegrityError:  # another worker created it first
            totals.update(value=F("value") + value)


def _upsert(items: list[tuple[Key, float]]) -> None:
    table = connection.ops.quote_name(DeliveryTotal._meta.db_table)
    rows = ", ".join(["(%s, %s, %s, %s, %s)"] * len(items))
    params: list[object] = []
    for key, value in items:
        params.extend([*key, value])
    # Only the table's own name and placeholders are formatted in; the values are parameters.
    sql = (
        f"INSERT INTO {table} (series, kind, provider, bucket, value) VALUES {rows} "  # noqa: S608
        f"ON CONFLICT (series, kind, provider, bucket) "
        f"DO UPDATE SET value = {table}.value + EXCLUDED.value"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def totals_read() -> list[DeliveryTotal]:
    """Every total (a few rows per type and provider), for the metrics endpoint."""
    return list(DeliveryTotal.objects.order_by("series", "kind", "provider", "bucket"))
