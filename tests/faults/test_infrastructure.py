"""The broker and the database fail under a running worker."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from notifications.models import Notification
from tests.faults.conftest import drive, follow_burst, tally, unfinished, wait_for_count
from tests.support.processes import wait_until

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
Status = Notification.Status


def wipe_broker() -> int:
    """Delete this test run's django-q2 keys in Redis: its task queue and the
    cluster's own bookkeeping. Other runs sharing the Redis database keep
    theirs (FLUSHDB would take them too)."""
    import redis
    from django_q.conf import Conf

    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter(match=f"django_q:{Conf.CLUSTER_NAME}:*"))
    if keys:
        client.delete(*keys)
    return len(keys)


@pytest.mark.timeout(120)
def test_a_wiped_redis_queue_mid_burst_loses_nothing(require_redis, workers, smtp_sink):
    """Redis loses its data (a restart without persistence, a FLUSHDB) in the
    middle of a burst, and the cluster dies with it. Wake-up tasks are lost;
    the rows are not, and the restarted cluster sends them at once, without
    waiting for the sweep."""
    smtp_sink.handler.delay = 0.02
    worker = workers()
    first = follow_burst(100, chunks=2)
    wait_for_count(lambda: len(smtp_sink.messages), 20, timeout=30)

    wipe_broker()  # under the running cluster
    worker.kill()  # and the task it was running goes with the worker
    later = follow_burst(50, chunks=5)  # committed while no worker runs
    assert wipe_broker() >= 1, "the wake-ups of the later rows were not in the queue"
    restarted = workers()

    wait_until(lambda: unfinished() == 0, timeout=60, message=restarted.log()[-3000:])

    result = tally(smtp_sink, first + later)
    assert not result.lost, result
    assert result.duplicates <= 1, result  # the message in flight at the kill
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}


@pytest.mark.timeout(120)
def test_the_worker_survives_its_database_connections_being_dropped(
    require_postgres, workers, smtp_sink
):
    """Every other connection to the test database is terminated (a failover,
    a restarted pgbouncer, an idle timeout) mid-burst; the same worker process
    reconnects and delivers what comes later."""
    smtp_sink.handler.delay = 0.02
    worker = workers()
    first = follow_burst(60, chunks=2)
    wait_for_count(lambda: len(smtp_sink.messages), 10, timeout=30)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        terminated = sum(1 for (done,) in cursor.fetchall() if done)
    assert terminated >= 1

    drive(lambda: unfinished() == 0, timeout=45, message=lambda: worker.log()[-3000:])
    later = follow_burst(20)
    drive(lambda: unfinished() == 0, timeout=30, message=lambda: worker.log()[-3000:])

    assert worker.proc is not None and worker.proc.poll() is None, "the worker died"
    result = tally(smtp_sink, first + later)
    assert not result.lost, result
    # The message sent just before its outcome could be recorded is sent again.
    assert result.duplicates <= 1, result
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}
