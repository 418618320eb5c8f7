"""The delivery engine with real qcluster processes, a real SMTP sink, and
the faults a production deployment meets: a killed worker, a broker that is
down at commit time, two qcluster racing for the same rows."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from accounts.models import Follow
from accounts.tests.factories import UserFactory
from microblog.models import Post
from notifications.mailapi import serialize_message
from notifications.models import Notification
from notifications.queue import wake as notifications_wake
from notifications.tasks import sweep
from tests.support.processes import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
Status = Notification.Status


def all_sent() -> bool:
    return not Notification.objects.exclude(status=Status.SENT).exists()


def ids_at(sink) -> list[str]:  # type: ignore[no-untyped-def]
    return [message.header("X-Notification-ID") for message in sink.messages]


def test_a_follow_through_the_web_emails_once_and_the_request_never_touches_smtp(
    qcluster, smtp_sink
):
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    worker = qcluster()
    client = Client()
    client.force_login(bob)
    before = smtp_sink.connections

    response = client.post("/u/alice/follow/")

    assert response.status_code in (200, 302)
    assert smtp_sink.connections == before
    assert Follow.objects.filter(follower=bob, followed=alice).exists()
    [received] = smtp_sink.wait_for(1, timeout=30)
    assert received.envelope_to == ["alice@example.com"]
    assert received.header("Subject") == "bob is now following you!"
    wait_until(lambda: Notification.objects.get().status == Status.SENT, timeout=10)
    time.sleep(1)  # a second copy would have arrived by now
    assert len(smtp_sink.messages) == 1, worker.log()


def test_rows_of_a_worker_killed_mid_batch_are_delivered_after_the_lease_expires(
    qcluster, smtp_sink
):
    alice = UserFactory(username="alice")
    for i in range(8):
        Post.objects.create(author=UserFactory(username=f"poster{i}"), body=f"hi @alice #{i}")
    expected = {str(pk) for pk in Notification.objects.values_list("pk", flat=True)}
    assert len(expected) == 8
    smtp_sink.handler.delay = 0.4
    env = {"NOTIFICATIONS_LEASE_SECONDS": "3"}
    first = qcluster(env)
    smtp_sink.wait_for(2, timeout=30)

    first.kill()

    stranded = Notification.objects.filter(status=Status.SENDING).count()
    assert stranded > 0, "the worker finished before it was killed"
    smtp_sink.handler.delay = 0
    time.sleep(3.5)  # the lease runs out
    qcluster(env)
    sweep()  # what the periodic schedule does: release leases, wake a worker

    wait_until(all_sent, timeout=30, message="stranded rows were not delivered")
    arrived = ids_at(smtp_sink)
    assert set(arrived) == expected
    # At least once: only the message in flight when the worker died may repeat.
    assert len(arrived) <= len(expected) + 1
    assert alice.pk


def test_a_row_committed_while_the_broker_is_down_is_delivered_without_waiting_for_the_sweep(
    require_redis, qcluster, smtp_sink, monkeypatch
):
    """The commit's wake-up is lost; the workers' own watcher sees the row come due."""
    from django_q.conf import Conf
    from django_q.models import Schedule

    from notifications import queue
    from notifications.queue import SWEEP_SCHEDULE_NAME

    Schedule.objects.filter(name=SWEEP_SCHEDULE_NAME).delete()
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    worker = qcluster()
    wait_until(lambda: "running" in worker.log(), timeout=20)
    monkeypatch.setattr(Conf, "REDIS", "redis://127.0.0.1:1/0")  # nothing listens there
    queue._broker.cache_clear()  # this process's broker, made anew on that address
    Follow.objects.create(follower=bob, followed=alice)  # the wake-up fails, the row stays
    monkeypatch.undo()
    queue._broker.cache_clear()
    assert Notification.objects.get().status == Status.QUEUED

    smtp_sink.wait_for(1, timeout=10)
    wait_until(all_sent, timeout=10)


def test_two_workers_draining_the_same_rows_send_each_exactly_once(
    require_postgres, qcluster, smtp_sink
):
    count = 500
    Notification.objects.bulk_create(
        Notification(
            kind="email",
            transactional=True,
            to_address=f"user{i}@example.com",
            message=serialize_message(
                EmailMultiAlternatives(
                    f"Hello {i}", "body", "a@example.com", [f"user{i}@example.com"]
                )
            ),
        )
        for i in range(count)
    )
    env = {"NOTIFICATIONS_BATCH_SIZE": "20"}
    qcluster(env)
    qcluster(env)
    for _ in range(4):
        notifications_wake()

    smtp_sink.wait_for(count, timeout=90)
    wait_until(all_sent, timeout=30)
    arrived = ids_at(smtp_sink)
    assert len(arrived) == count
    assert len(set(arrived)) == count
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}


def test_a_sigterm_to_qcluster_s_main_process_stops_the_whole_cluster_soon(qcluster, smtp_sink):
    """What docs/operations.md tells operators to do at a deploy: the node
    exits by itself, its worker processes with it, and nothing is left behind."""
    worker = qcluster()
    wait_until(lambda: "running" in worker.log(), timeout=30, message=worker.log())
    group = worker.proc.pid

    worker.proc.send_signal(signal.SIGTERM)

    assert worker.proc.wait(timeout=15) == 0, worker.log()
    assert "has stopped" in worker.log()
    wait_until(lambda: not _running_in(group), timeout=5, message="a worker outlived the stop")


def _running_in(group: int) -> list[int]:
    """The processes of process group `group` still running (not zombies
    waiting to be reaped)."""
    running = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        state, pgid = fields[0], int(fields[2])
        if pgid == group and state != "Z":
            running.append(int(stat.parent.name))
    return running
