"""The due-time watcher (dispatch/watch.py): when a queued row comes due, the
workers are woken once for that moment, whichever process or node sees it
first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.dispatch import watch
from notifications.models import Notification
from notifications.tests.testapp.models import Wave

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):  # type: ignore[no-untyped-def]
    # A watcher thread drops stale connections before each look; here it runs
    # inside the test's transaction, whose connection must stay open.
    monkeypatch.setattr(watch, "close_old_connections", lambda: None)


def test_one_process_wins_each_due_moment():
    now = timezone.now()
    due = now - timedelta(seconds=1)

    assert watch.win_due_wake(due=due, now=now) is True
    assert watch.win_due_wake(due=due, now=now) is False  # another process, same moment
    later = now + timedelta(seconds=5)
    assert watch.win_due_wake(due=later, now=later + timedelta(seconds=1)) is True


def test_watchers_of_several_processes_wake_the_workers_once_per_due_row(monkeypatch, alice, bob):
    wakes = []
    monkeypatch.setattr(watch.queue, "wake", lambda: wakes.append(1))
    Wave.objects.create(actor=bob, target=alice)
    now = timezone.now()
    Notification.objects.update(next_attempt_at=now - timedelta(seconds=1))
    horizon = now - timedelta(seconds=30)

    watchers = [watch.DueWatcher(interval=2.0) for _ in range(3)]  # three processes
    results = [w._look(horizon) for w in watchers]

    assert len(wakes) == 1
    assert all(sleep == 0.0 for sleep, _ in results)  # each moves its horizon on
    # Nothing new is due after the new horizon: nobody wakes the workers again.
    for watcher, (_, new_horizon) in zip(watchers, results, strict=True):
        watcher._look(new_horizon)
    assert len(wakes) == 1


def test_a_watcher_sleeps_until_the_next_row_is_due_but_not_past_its_interval(
    monkeypatch, alice, bob
):
    monkeypatch.setattr(watch.queue, "wake", lambda: None)
    Wave.objects.create(actor=bob, target=alice)
    now = timezone.now()
    Notification.objects.update(next_attempt_at=now + timedelta(seconds=1))
    watcher = watch.DueWatcher(interval=2.0)

    sleep, horizon = watcher._look(now)
    assert 0 < sleep <= 1.0
    assert horizon == now

    Notification.objects.update(next_attempt_at=now + timedelta(minutes=10))
    sleep, _ = watcher._look(now)
    assert sleep == 2.0  # looks again soon: other processes may schedule earlier rows
