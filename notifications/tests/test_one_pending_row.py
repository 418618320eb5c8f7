"""One pending row per group, held by the database (enqueue/coalesce.py).

Two transactions that both find no pending row for a recipient both try to
start one; the database lets only the first in, and the second merges its
actor into the winner instead of making a second email.
"""

from __future__ import annotations

import importlib

import pytest
from django.db import IntegrityError, transaction

from notifications.models import Notification
from notifications.tests.factories import UserFactory
from notifications.tests.testapp.models import Wave

Status = Notification.Status
# The module, not the function of the same name that enqueue/__init__.py exports.
coalescing = importlib.import_module("notifications.enqueue.coalesce")


def test_the_database_refuses_a_second_pending_row_in_a_group(alice, bob):
    Wave.objects.create(actor=bob, target=alice)
    first = Notification.objects.get()
    assert first.status == Status.QUEUED and first.attempts == 0

    twin = Notification(
        kind=first.kind,
        recipient=alice,
        to_address=first.to_address,
        group_key=first.group_key,
        params=first.params,
        language=first.language,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save(force_insert=True)


def test_a_row_that_was_tried_no_longer_blocks_a_new_pending_row(alice, bob):
    Wave.objects.create(actor=bob, target=alice)
    Notification.objects.update(attempts=1)  # a retry is not pending: nothing joins it

    Wave.objects.create(actor=UserFactory(username="carol"), target=alice)

    assert Notification.objects.count() == 2


def test_the_loser_of_a_race_merges_into_the_winners_row(monkeypatch, alice, bob):
    Wave.objects.create(actor=bob, target=alice)
    carol = UserFactory(username="carol")

    # The race: carol's transaction read the recipient's rows before bob's
    # committed, so it saw no pending row and tries to start its own.
    real_recent_rows = coalescing.recent_rows
    reads = []

    def stale_first_read(**kwargs):  # type: ignore[no-untyped-def]
        reads.append(kwargs)
        return [] if len(reads) == 1 else real_recent_rows(**kwargs)

    monkeypatch.setattr(coalescing, "recent_rows", stale_first_read)
    Wave.objects.create(actor=carol, target=alice)

    [row] = Notification.objects.all()
    assert row.params["actor_ids"] == [bob.pk, carol.pk]
    assert len(reads) == 2  # refused once by the database, then merged
