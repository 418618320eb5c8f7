"""The provider-wide send rate: correct under concurrency, and never at a lease's expense.

Threads stand in for workers (each with its own database connection); the
schedule is shared through the database (SQLite or PostgreSQL, whichever the
run uses) or Redis. The fleet-wide figure (4 workers on 2 qcluster nodes,
PostgreSQL + Redis) is bench/sendrate.py's, in docs/benchmarks.md.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.core.mail import EmailMessage
from django.db import connection
from django.utils import timezone

from notifications.dispatch import notifications_claim_due, notifications_send, send
from notifications.dispatch.outcomes import Outcome
from notifications.dispatch.rate import send_slot_wait, slot_take
from notifications.enqueue import notification_store_message
from notifications.models import Notification, SendRate


def use_rate(settings, rate: float | None, redis_url: str | None = None) -> None:  # type: ignore[no-untyped-def]
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "SEND_RATE": rate,
        "SEND_RATE_REDIS_URL": redis_url,
    }


def most_in_a_window(times: list[float], window: float) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


def take_slots_in_threads(
    *, threads: int, each: int, name: str, rate: float
) -> tuple[list[int], list[float]]:
    """(the slots the threads took, in µs; the moments they got them, monotonic)."""
    slots: list[int] = []
    taken: list[float] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(each):
                slot = slot_take(rate=rate, until=None, name=name)
                with lock:
                    taken.append(time.monotonic())
                    slots.append(slot)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    assert errors == []
    return slots, taken


@pytest.mark.django_db
def test_without_a_limit_nothing_waits_and_nothing_is_read(settings, django_assert_num_queries):
    use_rate(settings, None)
    with django_assert_num_queries(0):
        started = time.monotonic()
        assert all(send_slot_wait() for _ in range(1000))
    assert time.monotonic() - started < 0.5


def _check_rate(slots: list[int], taken: list[float], rate: float) -> None:
    """No two workers got the same slot, slots are 1/rate apart, and the workers kept to them."""
    count = len(slots)
    interval_us = 1_000_000 / rate
    ordered = sorted(slots)
    assert len(set(ordered)) == count
    assert min(b - a for a, b in itertools.pairwise(ordered)) >= interval_us - 1
    # The moments the workers got their slots are a little later than the slots
    # (a busy machine wakes threads late), never earlier.
    assert most_in_a_window(taken, 1.0) <= rate * 1.25 + 1
    assert max(taken) - min(taken) >= (count - 1) / rate * 0.95


@pytest.mark.django_db(transaction=True)
def test_four_workers_sharing_the_database_keep_to_the_rate(settings):
    use_rate(settings, 40)
    slots, taken = take_slots_in_threads(
        threads=4, each=20, name=f"test-{uuid.uuid4().hex[:8]}", rate=40
    )
    _check_rate(slots, taken, 40)


@pytest.fixture
def redis_url() -> str:
    """REDIS_URL of the run; without one the test is skipped, or fails in CI."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("Redis (REDIS_URL) is required in CI but is not set")
        pytest.skip("Redis (REDIS_URL) is not set")
    return url


@pytest.mark.redis
@pytest.mark.django_db
def test_four_workers_sharing_redis_keep_to_the_rate(settings, redis_url):
    use_rate(settings, 40, redis_url=redis_url)
    slots, taken = take_slots_in_threads(
        threads=4, each=20, name=f"test-{uuid.uuid4().hex[:8]}", rate=40
    )
    _check_rate(slots, taken, 40)
    assert not SendRate.objects.exists()  # Redis, not the database


@pytest.mark.django_db
def test_a_wait_never_goes_past_until_and_then_takes_nothing(settings):
    use_rate(settings, 1)
    name = "busy"
    far = (time.time_ns() // 1000) + 10_000_000
    SendRate.objects.create(name=name, next_slot_us=far)

    started = time.monotonic()
    until = timezone.now() + timedelta(seconds=0.4)
    assert send_slot_wait(until=until, name=name) is False

    waited = time.monotonic() - started
    assert 0.3 <= waited < 0.7
    assert SendRate.objects.get(name=name).next_slot_us == far


@pytest.mark.django_db
def test_slots_are_spaced_even_when_workers_come_back_late(settings):
    use_rate(settings, 20)
    name = "late"
    assert send_slot_wait(name=name)
    first = time.monotonic()
    time.sleep(0.3)  # the schedule does not save up missed slots for a burst
    for _ in range(3):
        assert send_slot_wait(name=name)
    assert time.monotonic() - first >= 0.3 + 2 / 20 * 0.95


@pytest.mark.django_db(transaction=True)
def test_a_slow_rate_renews_the_batchs_lease_instead_of_letting_it_run_out(settings, monkeypatch):
    """Three rows at 2 messages a second with a 1 s lease: the wait outlasts the lease."""
    settings.MAILERS = {
        "default": {"BACKEND": "notifications.backends.OutboxEmailBackend"},
        "delivery": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
    }
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "LEASE_SECONDS": 1}
    use_rate(settings, 2)
    for number in range(4):
        notification_store_message(
            message=EmailMessage(f"Hello {number}", "…", "noreply@example.com", ["a@b.org"])
        )
    renewals: list[float] = []
    real_renew = send.notifications_renew_leases

    def renew(rows):  # type: ignore[no-untyped-def]
        renewals.append(time.monotonic())
        return real_renew(rows)

    monkeypatch.setattr(send, "notifications_renew_leases", renew)
    rows = notifications_claim_due(limit=10, worker="test")
    started = time.monotonic()

    report = notifications_send(notifications=rows)

    assert set(report.outcomes.values()) == {Outcome.SENT}
    assert time.monotonic() - started >= 1.4  # four slots half a second apart
    assert renewals, "the lease was never renewed"
    # Never more than a lease between two renewals (or before the first).
    marks = [started, *renewals]
    assert max(b - a for a, b in itertools.pairwise(marks)) < 1.0
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 4
