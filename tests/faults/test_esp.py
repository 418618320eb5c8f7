"""An ESP's HTTP API (through Anymail) fails, then recovers.

That a webhook event the ESP redelivers three times is recorded once is
proven in notifications/tests/test_tracking.py
(test_the_same_event_delivered_three_times_is_recorded_once, and on
PostgreSQL test_concurrent_redeliveries_are_recorded_once).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from itertools import pairwise

import pytest

from notifications.models import DeliveryAttempt, Notification
from notifications.tests.support.fake_esp import FakeEsp, postmark_ok
from tests.faults.conftest import drive, follow_burst, unfinished, wait_for_count

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
Status = Notification.Status
BACKOFF_BASE = 1


@pytest.fixture
def fake_esp():  # type: ignore[no-untyped-def]
    esp = FakeEsp().start()
    yield esp
    esp.stop()


@pytest.mark.timeout(90)
def test_an_esp_answering_500_then_timing_out_is_retried_with_backoff_until_it_recovers(
    workers, fake_esp
):
    state = {"mode": "error"}
    accepted: Counter[str] = Counter()
    lock = threading.Lock()

    def esp(request):  # type: ignore[no-untyped-def]
        mode = state["mode"]
        if mode == "error":
            return 500, {"ErrorCode": 500, "Message": "Internal server error"}
        if mode == "slow":
            time.sleep(2.5)  # longer than the worker waits; then it gives up too
            return 503, {"ErrorCode": 503, "Message": "Service unavailable"}
        with lock:
            accepted[request.json()["Metadata"]["notification_id"]] += 1
        return postmark_ok(request)

    fake_esp.responder = esp
    worker = workers(
        {
            "EMAIL_PROVIDER": "postmark",
            "ESP_API_KEY": "test-server-token",
            "ESP_API_URL": fake_esp.url,
            "ANYMAIL_REQUESTS_TIMEOUT": "1",
            "NOTIFICATIONS_BACKOFF_BASE": str(BACKOFF_BASE),
        }
    )
    expected = follow_burst(20)

    wait_for_count(lambda: len(fake_esp.requests), 20, timeout=30)
    state["mode"] = "slow"
    seen = len(fake_esp.requests)
    drive(lambda: len(fake_esp.requests) >= seen + 3, timeout=30)
    state["mode"] = "ok"
    drive(lambda: unfinished() == 0, timeout=60, message=lambda: worker.log()[-3000:])

    assert set(accepted) == set(expected)
    assert set(accepted.values()) == {1}, "an email was accepted twice"
    rows = Notification.objects.filter(pk__in=expected)
    assert set(rows.values_list("status", flat=True)) == {Status.SENT}
    assert set(rows.values_list("provider", flat=True)) == {"postmark"}
    assert all(row.attempts >= 2 for row in rows)
    # Each retry waited at least its backoff (BASE * 2**(n-1), minus 20 % jitter).
    for row in rows:
        started = list(row.attempt_log.values_list("started_at", flat=True))
        for n, (previous, current) in enumerate(pairwise(started), start=1):
            wait = (current - previous).total_seconds()
            assert wait >= 0.8 * BACKOFF_BASE * 2 ** (n - 1), (row.pk, n, wait)
    errors = DeliveryAttempt.objects.filter(
        notification__in=rows, outcome=DeliveryAttempt.Outcome.RETRY
    ).values_list("error", flat=True)
    assert any("500" in error for error in errors)
    assert any("timed out" in error.lower() for error in errors)
