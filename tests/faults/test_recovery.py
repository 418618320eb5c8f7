"""Recovery in seconds: due rows move when they are due, and a killed cluster's
rows move again as soon as it is back, without waiting for the sweep or for
their lease.

Nothing here runs the periodic sweep: its schedule is removed before the
cluster starts, so what is measured is the workers' own recovery.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from notifications.models import DeliveryAttempt, Notification
from notifications.queue import SWEEP_SCHEDULE_NAME
from tests.faults.conftest import follow_burst, tally
from tests.support.processes import wait_until

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
Status = Notification.Status


@pytest.fixture(autouse=True)
def no_sweep(transactional_db) -> None:  # type: ignore[no-untyped-def]
    Schedule.objects.filter(name=SWEEP_SCHEDULE_NAME).delete()


def _queue_due_rows(count: int) -> list[str]:
    """Rows already due, written while no worker runs and no wake-up is queued."""
    past = timezone.now() - timedelta(seconds=30)
    rows = Notification.objects.bulk_create(
        Notification(
            kind="email",
            transactional=True,
            to_address=f"due{i}@example.com",
            subject=f"due {i}",
            body_text="hello",
            message={"subject": f"due {i}", "body": "hello", "to": [f"due{i}@example.com"]},
            next_attempt_at=past,
        )
        for i in range(count)
    )
    return [str(row.pk) for row in rows]


@pytest.mark.timeout(60)
def test_a_row_refused_with_a_4xx_is_sent_when_its_5_second_backoff_ends(qcluster, smtp_sink):
    refused_at: list[float] = []

    def refuse_first_try(envelope):  # type: ignore[no-untyped-def]
        if not refused_at:
            refused_at.append(time.monotonic())
            return "451 4.3.0 try again later"
        return None

    smtp_sink.handler.responder = refuse_first_try
    qcluster({"NOTIFICATIONS_BACKOFF_BASE": "5"})
    [expected] = follow_burst(1)

    [received] = smtp_sink.wait_for(1, timeout=30)
    waited = received.received_at - refused_at[0]
    print(f"sent {waited:.1f}s after the 451 (backoff 5 s ± 20 %)")
    assert received.header("X-Notification-ID") == expected
    assert 4 <= waited <= 8
    # The sink holds the message before the worker has heard the 250, and a
    # batch writes its attempt log together, after the rows' outcomes.
    wait_until(lambda: DeliveryAttempt.objects.count() == 2, timeout=10)
    outcomes = list(DeliveryAttempt.objects.values_list("outcome", flat=True))
    assert outcomes == [DeliveryAttempt.Outcome.RETRY, DeliveryAttempt.Outcome.SENT]


@pytest.mark.timeout(60)
def test_a_starting_cluster_sends_what_is_already_due_at_once(qcluster, smtp_sink):
    expected = _queue_due_rows(5)

    started = time.monotonic()
    qcluster()
    smtp_sink.wait_for(1, timeout=30)
    moving_after = smtp_sink.messages[0].received_at - started
    print(f"due rows moving {moving_after:.1f}s after the cluster was started")
    # Well before the first sweep (SWEEP_INTERVAL, 60 s); the bound leaves room
    # for a cluster starting its processes on a busy machine (5.1 s seen).
    assert moving_after <= 15

    wait_until(lambda: len(smtp_sink.messages) >= 5, timeout=20)
    assert not tally(smtp_sink, expected).lost


@pytest.mark.timeout(120)
def test_a_killed_cluster_s_rows_are_delivered_within_10_seconds_of_its_restart(
    qcluster, smtp_sink
):
    """kill -9 of the whole cluster (2 worker processes) mid-burst, with a
    five-minute lease: the rows its workers held come back because their
    processes are gone, not because a lease ran out. A message the server had
    accepted just before the kill goes again under the same Message-ID, so
    the receiving mailbox sees it once; each such row has a "worker lost"
    entry in its attempt log."""
    smtp_sink.handler.delay = 0.05
    env = {"Q_WORKERS": "2", "NOTIFICATIONS_BATCH_SIZE": "10", "NOTIFICATIONS_LEASE_SECONDS": "300"}
    expected = follow_burst(150, chunks=3)
    cluster = qcluster(env)

    def mid_batch() -> bool:
        # Both workers can finish a batch at the same moment: kill while at
        # least three claimed rows are still to go, at least 0.1 s of work.
        sending = Notification.objects.filter(status=Status.SENDING).count()
        return len(smtp_sink.messages) >= 20 and sending >= 3

    wait_until(mid_batch, timeout=30, interval=0.01)
    cluster.kill()
    stuck = set(Notification.objects.filter(status=Status.SENDING).values_list("pk", flat=True))
    assert stuck, "no row was being sent at the kill"

    restarted = time.monotonic()
    qcluster(env)
    wait_until(
        lambda: not Notification.objects.filter(pk__in=stuck).exclude(status=Status.SENT).exists(),
        timeout=60,
        interval=0.1,
    )
    recovered_in = time.monotonic() - restarted
    print(f"{len(stuck)} stuck row(s) delivered {recovered_in:.1f}s after the restart")
    assert recovered_in <= 10

    wait_until(lambda: len(set(tally(smtp_sink, expected).arrived)) == 150, timeout=60)
    result = tally(smtp_sink, expected)
    assert not result.lost, result
    assert result.duplicates <= 2, result  # at most one per killed worker process
    for notification_id in result.repeated:
        copies = [m for m in smtp_sink.messages if m.header("X-Notification-ID") == notification_id]
        assert len({m.header("Message-ID") for m in copies}) == 1
    lost = DeliveryAttempt.objects.filter(outcome=DeliveryAttempt.Outcome.LOST)
    assert set(lost.values_list("notification_id", flat=True)) == stuck
    assert all("worker process is gone" in error for error in lost.values_list("error", flat=True))


@pytest.mark.timeout(60)
def test_an_email_sent_again_after_its_worker_died_carries_the_same_message_id(qcluster, smtp_sink):
    """The server has the message, but the worker dies before it hears "250":
    the row is still `sending`, is taken back and sent again. The receiving
    mailbox gets the same Message-ID twice, so it is one message to it."""
    first = qcluster()
    killed: list[bool] = []

    def kill_the_worker_before_it_hears_250(envelope):  # type: ignore[no-untyped-def]
        if not killed:
            killed.append(True)
            first.kill()
        return None  # the message is stored; the 250 goes to a dead socket

    smtp_sink.handler.responder = kill_the_worker_before_it_hears_250
    [expected] = follow_burst(1)
    wait_until(lambda: bool(killed), timeout=20)
    assert Notification.objects.get(pk=expected).status == Status.SENDING

    qcluster()
    wait_until(lambda: len(smtp_sink.messages) == 2, timeout=20)

    copies = smtp_sink.messages
    assert {m.header("X-Notification-ID") for m in copies} == {expected}
    [message_id] = {m.header("Message-ID") for m in copies}
    assert message_id.startswith(f"<{expected}.") and message_id.endswith("@microblog.localhost>")
    # A batch writes its attempt log together, after the rows' outcomes.
    attempts = DeliveryAttempt.objects.filter(notification_id=expected)
    wait_until(lambda: attempts.count() == 2, timeout=10)
    outcomes = list(attempts.values_list("outcome", flat=True))
    assert outcomes == [DeliveryAttempt.Outcome.LOST, DeliveryAttempt.Outcome.SENT]
