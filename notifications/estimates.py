"""Counting a big outbox without reading it: the planner's estimate.

Every sent email stays in the outbox until it is purged, so the finished
rows (sent, cancelled…) grow with time while everything staff act on (the
rows not sent yet, the last hour) stays small. Counting the finished rows
exactly means reading all of them, and that grows with the table.

So a count reads at most ``EXACT_COUNT_LIMIT`` rows: up to that many it is
exact; beyond, it is the figure PostgreSQL's planner works from (its table
statistics, kept by autovacuum's ANALYZE: within a few per cent, read in a
millisecond). Off PostgreSQL every count is exact. Whoever shows an
estimated figure says so ("about").
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Up to this many rows a count is exact: reading them through an index takes
# about a millisecond, whatever the size of the table.
EXACT_COUNT_LIMIT = 5_000


def planned_rows(queryset: QuerySet) -> int | None:
    """How many rows PostgreSQL's planner expects `queryset` to return; None
    on other databases."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


@dataclass(frozen=True)
class RowCount:
    """A number of rows, and whether it is the planner's estimate."""

    value: int
    estimated: bool = False


def row_count(queryset: QuerySet, *, limit: int | None = None) -> RowCount:
    """The number of rows of `queryset`: exact when the planner expects fewer
    than `limit` (EXACT_COUNT_LIMIT by default) or off PostgreSQL, else the
    planner's estimate."""
    limit = EXACT_COUNT_LIMIT if limit is None else limit
    planned = planned_rows(queryset)
    if planned is None:
        return RowCount(queryset.count())
    if planned >= limit:
        return RowCount(planned, estimated=True)
    # The statistics may be stale: count, but never more than `limit` rows.
    counted = queryset.order_by()[: limit + 1].count()
    if counted > limit:
        return RowCount(max(planned, counted), estimated=True)
    return RowCount(counted)


class EstimatingPaginator(Paginator):
    """A paginator whose count of a big result is estimated (``estimated``
    says so), so that a page of the newest rows does not read all of them."""

    estimated = False

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        if not isinstance(self.object_list, QuerySet):
            return super().count
        counted = row_count(self.object_list)
        self.estimated = counted.estimated
        return counted.value
