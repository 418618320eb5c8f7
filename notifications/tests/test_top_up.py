"""Keeping DELIVERY_TASKS tasks sending through a backlog (dispatch/drain.py).

The helpers woken at a backlog's start can wait in a busy node's local queue
while another node idles; a task that claims a full batch while fewer claims
than DELIVERY_TASKS are sending, and no wake-up waits in the broker, wakes
one more helper, which the idle node takes.
"""

from __future__ import annotations

import pytest

from notifications.dispatch import drain
from notifications.enqueue import notification_enqueue
from notifications.models import Notification
from notifications.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BATCH = 2


@pytest.fixture
def woken(monkeypatch, settings):  # type: ignore[no-untyped-def]
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "DELIVERY_TASKS": 4}
    calls: list[bool] = []

    def wake(*, helper: bool = False) -> bool:
        calls.append(helper)
        return True

    monkeypatch.setattr(drain.queue, "wake", wake)
    monkeypatch.setattr(drain.queue, "wake_ups_waiting", lambda: 0)
    return calls


def backlog(rows: int) -> None:
    for i in range(rows):
        notification_enqueue(
            kind="security_alert", recipient=UserFactory(), params={"what": str(i)}
        )


def claim(token: str) -> None:
    ids = list(drain.due_rows().order_by("id").values_list("id", flat=True)[:BATCH])
    Notification.objects.filter(id__in=ids).update(
        status=Notification.Status.SENDING, claimed_by=token
    )


def test_a_task_short_of_senders_wakes_one_more_helper(woken):
    backlog(6)
    claim("host:boot:1:1:a")

    assert drain._top_up_senders(BATCH) is True
    assert woken == [True]


def test_no_top_up_when_enough_claims_are_sending(woken):
    backlog(10)
    for n in range(4):
        claim(f"host:boot:{n}:1:a")

    assert drain._top_up_senders(BATCH) is False
    assert woken == []


def test_no_top_up_when_less_than_a_batch_is_due(woken):
    backlog(3)
    claim("host:boot:1:1:a")  # one row left due

    assert drain._top_up_senders(BATCH) is False


def test_no_top_up_while_a_wake_up_waits_in_the_broker(woken, monkeypatch):
    backlog(6)
    claim("host:boot:1:1:a")
    monkeypatch.setattr(drain.queue, "wake_ups_waiting", lambda: 1)

    assert drain._top_up_senders(BATCH) is False
    assert woken == []


def test_unknown_broker_length_means_no_top_up(woken, monkeypatch):
    backlog(6)
    claim("host:boot:1:1:a")
    monkeypatch.setattr(drain.queue, "wake_ups_waiting", lambda: None)

    assert drain._top_up_senders(BATCH) is False


def test_the_broker_reports_how_many_wake_ups_wait():
    from notifications import queue

    before = queue.wake_ups_waiting()
    assert isinstance(before, int)
    queue.wake(helper=True)
    assert queue.wake_ups_waiting() == before + 1
