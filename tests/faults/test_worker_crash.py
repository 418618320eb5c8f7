"""Workers die, or race each other, in the middle of a burst."""

from __future__ import annotations

import pytest

from notifications.models import Notification
from notifications.queue import wake as notifications_wake
from tests.faults.conftest import drive, follow_burst, tally, unfinished, wait_for_count

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
Status = Notification.Status


@pytest.mark.timeout(120)
def test_a_worker_killed_three_times_mid_burst_loses_nothing(workers, smtp_sink):
    """SIGKILL (the whole process group, as the OOM killer or a lost node
    would) three times while a burst drains; a new cluster is started after
    each kill. Rows the dead worker had claimed come back as soon as the new
    cluster's watcher sees that the process named in their claim is gone.
    SMTP cannot acknowledge atomically: a message the server accepted just
    before the kill is sent again, so at most one duplicate per killed worker
    process (one per kill here: the cluster runs one worker)."""
    smtp_sink.handler.delay = 0.03
    expected = follow_burst(200, chunks=4)
    kills = 3
    for _ in range(kills):
        worker = workers()
        # The dead cluster took its wake-up task with it: wake the new one,
        # as the next follow or the periodic sweep would.
        notifications_wake()
        target = len(smtp_sink.messages) + 25
        wait_for_count(lambda: len(smtp_sink.messages), target, timeout=30)
        worker.kill()
        assert len(set(tally(smtp_sink, expected).arrived)) < len(expected), (
            "the burst was over before the kill"
        )

    last = workers()
    drive(lambda: unfinished() == 0, timeout=60, message=lambda: last.log()[-3000:])

    result = tally(smtp_sink, expected)
    assert not result.lost, result
    assert result.duplicates <= kills, result
    assert all(count == 2 for count in result.repeated.values()), result
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}


@pytest.mark.timeout(90)
def test_two_clusters_draining_one_backlog_send_each_email_once(workers, smtp_sink):
    """Runs on whichever database the suite uses (SQLite: one conditional
    UPDATE per claim; PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED)."""
    smtp_sink.handler.delay = 0.01
    first, second = workers(), workers()
    expected = follow_burst(200, chunks=4)
    for _ in range(4):
        notifications_wake()

    drive(lambda: unfinished() == 0, timeout=70, message=lambda: first.log()[-3000:])

    result = tally(smtp_sink, expected)
    assert not result.lost, result
    assert result.duplicates == 0, result
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
    assert "sent in" in first.log() and "sent in" in second.log(), "only one cluster worked"


@pytest.mark.timeout(60)
def test_a_batch_that_outlasts_its_lease_sends_each_email_once(workers, smtp_sink):
    smtp_sink.handler.delay = 0.5  # ten messages take five seconds
    worker = workers({"NOTIFICATIONS_LEASE_SECONDS": "2", "NOTIFICATIONS_BATCH_SIZE": "10"})
    expected = follow_burst(20)

    # Stop at the first duplicate: the rest of the run would only repeat it.
    drive(
        lambda: unfinished() == 0 or tally(smtp_sink, expected).duplicates > 0,
        timeout=45,
        every=0.5,
        message=lambda: worker.log()[-3000:],
    )

    result = tally(smtp_sink, expected)
    assert result.duplicates == 0, result
    assert not result.lost, result
