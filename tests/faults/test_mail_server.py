"""The mail server goes away, or answers with errors, while a worker delivers."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter

import pytest

from notifications.models import DeliveryAttempt, Notification
from notifications.tasks import sweep
from tests.faults.conftest import drive, follow_burst, tally, unfinished, wait_for_count

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
Status = Notification.Status


@pytest.mark.timeout(240)
def test_a_mail_server_down_for_30_seconds_mid_burst_loses_nothing_and_repeats_nothing(
    workers, smtp_sink
):
    smtp_sink.handler.delay = 0.02  # the burst takes a while to drain
    worker = workers()
    expected = follow_burst(500, chunks=4)
    wait_for_count(lambda: len(smtp_sink.messages), 40, timeout=30)

    smtp_sink.stop()
    down_at = time.monotonic()
    arrived_before = len(smtp_sink.messages)
    time.sleep(30)  # the worker keeps trying: refused connections, rows back off
    retried = DeliveryAttempt.objects.filter(outcome=DeliveryAttempt.Outcome.RETRY).count()
    smtp_sink.start()  # the same port again
    assert time.monotonic() - down_at >= 30

    drive(lambda: unfinished() == 0, timeout=150, message=lambda: worker.log()[-3000:])
    result = tally(smtp_sink, expected)
    assert arrived_before < len(expected), "the burst was over before the server went down"
    assert retried > 0, "no delivery was attempted while the server was down"
    assert not result.lost, result
    assert result.duplicates == 0, result
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}


@pytest.mark.timeout(60)
def test_intermittent_421_and_451_are_retried_and_a_550_fails_once_and_for_all(workers, smtp_sink):
    refused = "nobody.here@example.com"
    calls: Counter[str] = Counter()
    failed_once: set[str] = set()
    lock = threading.Lock()
    transient = itertools.cycle(["451 4.3.0 Try again later", "421 4.3.2 Closing channel"])
    fresh = itertools.count()

    def flaky(envelope):  # type: ignore[no-untyped-def]
        """Every other new message gets a transient error (451, then 421, ...)
        on its first try; one address does not exist."""
        [to] = envelope.rcpt_tos
        with lock:
            calls[to] += 1
            if to == refused:
                return "550 5.1.1 No such user here"
            if to not in failed_once and next(fresh) % 2:
                failed_once.add(to)
                return next(transient)
            return None

    smtp_sink.handler.responder = flaky
    worker = workers()
    expected = follow_burst(40)
    doomed = Notification.objects.create(
        kind="email",
        transactional=True,
        to_address=refused,
        message={
            "subject": "Hello",
            "body": "nobody will read this",
            "from_email": "noreply@example.com",
            "to": [refused],
        },
    )

    drive(lambda: unfinished() == 0, timeout=45, message=lambda: worker.log()[-3000:])
    # A few more sweeps and wake-ups, in which nobody may touch the failed row.
    for _ in range(3):
        sweep()
        time.sleep(0.5)

    result = tally(smtp_sink, expected)
    assert not result.lost, result
    assert result.duplicates == 0, result
    assert len(failed_once) == len(expected) // 2
    retried = Notification.objects.filter(pk__in=expected, attempts=2)
    assert retried.count() == len(failed_once)
    assert set(retried.values_list("to_address", flat=True)) == failed_once
    assert sum(calls.values()) == len(expected) + len(failed_once) + 1
    assert set(Notification.objects.filter(pk__in=expected).values_list("status", flat=True)) == {
        Status.SENT
    }

    doomed.refresh_from_db()
    assert doomed.status == Status.FAILED
    assert doomed.attempts == 1
    assert "550" in doomed.status_reason
    assert list(doomed.attempt_log.values_list("outcome", flat=True)) == ["failed"]
    assert calls[refused] == 1
