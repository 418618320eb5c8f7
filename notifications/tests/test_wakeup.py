"""The wake-up after commit: after the commit only, once per commit, never swallowed."""

from __future__ import annotations

import pytest
from django.db import transaction

from notifications import queue
from notifications.enqueue import wake_on_commit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def woken(monkeypatch):  # type: ignore[no-untyped-def]
    calls: list[bool] = []
    monkeypatch.setattr(queue, "wake_ups_are_writes", lambda: False)
    monkeypatch.setattr(queue, "wake", lambda **_: calls.append(True) or True)
    return calls


def test_a_transaction_that_asks_many_times_wakes_once_after_it_commits(woken):
    with transaction.atomic():
        for _ in range(5):
            wake_on_commit()
        assert woken == []
    assert woken == [True]


def test_each_commit_wakes_again(woken):
    for _ in range(3):
        with transaction.atomic():
            wake_on_commit()
    assert woken == [True, True, True]


def test_a_rolled_back_transaction_wakes_nobody_and_does_not_swallow_the_next(woken):
    with pytest.raises(RuntimeError), transaction.atomic():
        wake_on_commit()
        raise RuntimeError("the request failed")
    assert woken == []
    with transaction.atomic():
        wake_on_commit()
    assert woken == [True]


def test_a_rolled_back_savepoint_keeps_the_outer_transactions_wake_up(woken):
    with transaction.atomic():
        wake_on_commit()
        with pytest.raises(RuntimeError), transaction.atomic():
            wake_on_commit()
            raise RuntimeError("a nested step failed")
    assert woken == [True]


def test_outside_a_transaction_it_wakes_at_once(woken):
    wake_on_commit()
    wake_on_commit()
    assert woken == [True, True]
