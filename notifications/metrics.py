"""The Prometheus endpoint's figures and who may read them.

Every figure is read from the database when Prometheus scrapes, by a
collector registered on a registry made for that one request. No process
keeps a figure of its own, so the answer is the same from any web process,
whatever number of qcluster processes and nodes do the sending, and nothing
is lost when a worker restarts. Gauges (rows by status, the backlog, the
heartbeat) are read from the outbox; counters (sends, failures, latency)
from the delivery totals (``notifications.totals``), which retention never
purges, so they never go backwards.

The endpoint is off (404) until ``NOTIFICATIONS["METRICS_TOKEN"]`` or
``METRICS_ALLOWED_IPS`` is set. When both are, a scrape must pass both.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from enum import IntEnum
from typing import Any

from django.utils import timezone
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.utils import floatToGoString

from .conf import conf
from .selectors import (
    heartbeat_age,
    notifications_count_by_status,
    notifications_due_count,
    notifications_oldest_due_age,
)
from .totals import INF, LATENCY_BUCKETS, DeliveryTotal, latency_bucket, totals_read

logger = logging.getLogger(__name__)

Series = DeliveryTotal.Series
INFINITY = float("inf")


# --- who may scrape ----------------------------------------------------------------


class Access(IntEnum):
    """The endpoint's answer to a request, as an HTTP status."""

    ALLOWED = 200
    NO_TOKEN = 401  # a token is configured and the request did not carry it
    ADDRESS_REFUSED = 403  # an allow-list is configured and the client is not on it
    OFF = 404  # neither is configured: the endpoint does not exist


def metrics_access(*, remote_addr: str, authorization: str) -> Access:
    """Whether a request from `remote_addr` with this Authorization header may scrape."""
    token = conf.METRICS_TOKEN or ""
    networks = conf.METRICS_ALLOWED_IPS or ()
    if not token and not networks:
        return Access.OFF
    if networks and not address_allowed(remote_addr, networks=networks):
        return Access.ADDRESS_REFUSED
    if token:
        scheme, _, given = authorization.partition(" ")
        # Compared in constant time, so the answer's timing tells nothing about the token.
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), str(token).encode()
        ):
            return Access.NO_TOKEN
    return Access.ALLOWED


def address_allowed(remote_addr: str, *, networks: Any) -> bool:
    """Whether `remote_addr` is in one of `networks` (addresses or CIDR blocks).

    An entry that is not an address or a network is skipped (system check
    E026 reports it), so a typo refuses scrapes instead of failing them.
    """
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # a dual-stack socket's view of an IPv4 client
    for entry in [networks] if isinstance(networks, str) else networks:
        try:
            if address in ipaddress.ip_network(str(entry).strip(), strict=False):
                return True
        except ValueError:
            logger.error("METRICS_ALLOWED_IPS: %r is not an address or a network", entry)
    return False


# --- the figures ---------------------------------------------------------------------


class OutboxCollector:
    """Builds every metric from the database each time it is collected."""

    def __init__(self, *, now: datetime | None = None) -> None:
        self.now = now

    def collect(self) -> Iterator[Metric]:
        now = self.now or timezone.now()
        yield from self._gauges(now)
        yield from self._totals()

    def _gauges(self, now: datetime) -> Iterator[Metric]:
        rows = GaugeMetricFamily(
            "notifications_outbox_rows", "Outbox rows by status.", labels=["status"]
        )
        for status, count in notifications_count_by_status().items():
            rows.add_metric([status], count)
        yield rows
        yield GaugeMetricFamily(
            "notifications_due_rows",
            "Queued rows that are due: the backlog the workers should be sending now.",
            value=notifications_due_count(now=now),
        )
        oldest = notifications_oldest_due_age(now=now)
        yield GaugeMetricFamily(
            "notifications_oldest_due_age_seconds",
            "How long the longest-waiting due row has been due (0: nothing is due).",
            value=oldest or 0.0,
        )
        beat = heartbeat_age(now=now)
        yield GaugeMetricFamily(
            "notifications_heartbeat_age_seconds",
            "Seconds since the sweep last wrote its heartbeat (+Inf: never).",
            value=INFINITY if beat is None else beat,
        )

    def _totals(self) -> Iterator[Metric]:
        sent = CounterMetricFamily(
            "notifications_sent",
            "Emails the mail server or ESP accepted, by type and provider.",
            labels=["kind", "provider"],
        )
        failures = CounterMetricFamily(
            "notifications_failures",
            "Failed tries by type and provider; outcome retry (transient, queued again) "
            "or failed (permanent, or out of attempts).",
            labels=["kind", "provider", "outcome"],
        )
        buckets: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
        sums: dict[tuple[str, str], float] = defaultdict(float)
        for total in totals_read():
            labels = (total.kind, total.provider)
            if total.series == Series.SENT:
                sent.add_metric(list(labels), total.value)
            elif total.series in (Series.RETRY, Series.FAILED):
                failures.add_metric([*labels, total.series], total.value)
            elif total.series == Series.LATENCY:
                bound = _bound(total.bucket)
                buckets[labels][bound] = buckets[labels].get(bound, 0.0) + total.value
            elif total.series == Series.LATENCY_SUM:
                sums[labels] += total.value
        yield sent
        yield failures
        latency = HistogramMetricFamily(
            "notifications_enqueue_to_sent_seconds",
            "Time from a row's creation to its acceptance by the server or ESP, "
            "by type and provider (coalescing windows, quiet hours and retries included).",
            labels=["kind", "provider"],
        )
        for labels in sorted(set(buckets) | set(sums)):
            latency.add_metric(
                list(labels), _cumulative(buckets.get(labels, {})), sum_value=sums[labels]
            )
        yield latency


def _bound(bucket: str) -> str:
    """The current bucket a stored bound belongs to (bounds changed since are folded up)."""
    try:
        return latency_bucket(float(bucket))
    except ValueError:
        return INF


def _cumulative(counts: dict[str, float]) -> list[tuple[str, float]]:
    """Per-bucket counts (as stored) as Prometheus's cumulative buckets, "le" as Go prints it."""
    running = 0.0
    cumulative = []
    for bound in LATENCY_BUCKETS:
        running += counts.get(f"{bound:g}", 0.0)
        cumulative.append((floatToGoString(bound), running))
    cumulative.append((INF, running + counts.get(INF, 0.0)))
    return cumulative


def metrics_exposition(*, accept: str = "", now: datetime | None = None) -> tuple[bytes, str]:
    """The metrics as Prometheus asked for them (text or OpenMetrics), and their content type."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OutboxCollector(now=now))
    try:
        encoder, content_type = choose_encoder(accept)
    except (TypeError, ValueError):  # a malformed version in Accept: the plain text format
        encoder, content_type = choose_encoder("")
    return encoder(registry), content_type
