"""Fixtures and helpers of the fault-injection suite.

Every test here runs real `manage.py qcluster` processes against a real SMTP
sink (or a fake ESP), breaks something on purpose, and then proves from what
arrived at the far end that no email was lost, counting duplicates by the
X-Notification-ID header each email carries.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pytest
from django.db import transaction

from accounts.models import User
from accounts.services import follow_create
from notifications.models import Notification
from notifications.tasks import sweep

Status = Notification.Status

# Retries after about 1, 2, 4, 8 s instead of minutes; rows a dead worker
# claimed come back after a few seconds instead of five minutes.
FAST = {
    "NOTIFICATIONS_BACKOFF_BASE": "1",
    "NOTIFICATIONS_LEASE_SECONDS": "5",
    "NOTIFICATIONS_BATCH_SIZE": "10",
}

_burst_number = itertools.count()


@pytest.fixture
def workers(qcluster):  # type: ignore[no-untyped-def]
    """Like `qcluster`, with the FAST timings unless a test says otherwise."""

    def start(env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return qcluster({**FAST, **(env or {})})

    return start


def follow_burst(count: int, *, chunks: int = 1, domain: str = "example.com") -> list[str]:
    """`count` real follows of `count` new users by one new follower, committed
    in `chunks` transactions; the outbox ids (as the header carries them).

    Each follow writes one new_follower row in its transaction and wakes the
    workers once per commit, exactly as a follow through the web does.
    """
    number = next(_burst_number)
    fan = User.objects.create(username=f"fan{number}", email=f"fan{number}@{domain}", password="!")
    recipients = User.objects.bulk_create(
        User(username=f"r{number}x{i}", email=f"r{number}x{i}@{domain}", password="!")
        for i in range(count)
    )
    before = set(Notification.objects.values_list("pk", flat=True))
    size = -(-count // chunks)
    for start in range(0, count, size):
        with transaction.atomic():
            for recipient in recipients[start : start + size]:
                follow_create(follower=fan, followed=recipient)
    ids = set(Notification.objects.values_list("pk", flat=True)) - before
    assert len(ids) == count
    return sorted(str(pk) for pk in ids)


@dataclass
class Tally:
    """What arrived compared with what was expected."""

    expected: set[str]
    arrived: list[str]

    @property
    def lost(self) -> set[str]:
        return self.expected - set(self.arrived)

    @property
    def duplicates(self) -> int:
        return len(self.arrived) - len(set(self.arrived))

    @property
    def repeated(self) -> dict[str, int]:
        return {key: n for key, n in Counter(self.arrived).items() if n > 1}

    def __str__(self) -> str:
        return (
            f"{len(self.expected)} expected, {len(self.arrived)} arrived, "
            f"{len(self.lost)} lost, {self.duplicates} duplicate(s) {self.repeated}"
        )


def tally(sink, expected: Iterable[str]) -> Tally:  # type: ignore[no-untyped-def]
    return Tally(set(expected), [m.header("X-Notification-ID") or "" for m in sink.messages])


def unfinished() -> int:
    """Rows still queued or sending."""
    return Notification.objects.filter(status__in=[Status.QUEUED, Status.SENDING]).count()


def drive(
    done: Callable[[], bool],
    *,
    timeout: float,
    every: float = 1.0,
    message: Callable[[], str] | str = "",
) -> None:
    """Run the periodic sweep every `every` seconds until `done()`.

    In production django-q2 runs the sweep once a minute; here it runs as
    often as a test needs retries and expired leases picked up.
    """
    deadline = time.monotonic() + timeout
    next_sweep = 0.0
    while time.monotonic() < deadline:
        if done():
            return
        if time.monotonic() >= next_sweep:
            sweep()
            next_sweep = time.monotonic() + every
        time.sleep(0.1)
    if done():
        return
    text = message() if callable(message) else message
    raise AssertionError(text or f"condition not met within {timeout}s")


def wait_for_count(count: Callable[[], int], target: int, *, timeout: float) -> None:
    """Wait (without sweeping) until `count()` reaches `target`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if count() >= target:
            return
        time.sleep(0.05)
    raise AssertionError(f"expected {target} within {timeout}s, got {count()}")
