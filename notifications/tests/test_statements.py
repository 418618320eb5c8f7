"""The statements an event makes in its request, written once (enqueue/statements.py,
sql.py).

They must store and read exactly what the ORM would: the same columns and
converted values, a lost race reported instead of raised, the save signals
sent, and the ORM's own way (with its savepoint) on a database without
``INSERT … ON CONFLICT``.
"""

from __future__ import annotations

from datetime import time

import pytest
from django.db.models import signals
from django.utils import timezone

from notifications import sql
from notifications.enqueue import statements
from notifications.enqueue.rows import build_row
from notifications.models import InAppItem, Notification, Preference, QuietHours
from notifications.preferences import preference_set
from notifications.tests.testapp.models import Wave
from notifications.timing import quiet_hours_set

Status = Notification.Status


def _pending_twin(*, of: Notification, recipient) -> Notification:  # type: ignore[no-untyped-def]
    return build_row(
        kind=of.kind,
        recipient=recipient,
        params={"actor_ids": [0]},
        group_key=of.group_key,
    )


@pytest.fixture(params=["on conflict", "orm"])
def insert_way(request, monkeypatch):  # type: ignore[no-untyped-def]
    """Both ways insert_new stores a row: ON CONFLICT DO NOTHING, and the ORM's."""
    if request.param == "orm":
        monkeypatch.setattr(sql, "_inserts_on_conflict", lambda connection: False)
    return request.param


def test_a_new_row_is_stored_as_the_orm_stores_it(alice, insert_way):
    row = build_row(
        kind="waved", recipient=alice, params={"actor_ids": [7], "note": "héllo"}, group_key="g:1"
    )

    assert sql.insert_new(row) is True

    stored = Notification.objects.get(pk=row.pk)
    assert (stored.kind, stored.to_address, stored.group_key) == ("waved", alice.email, "g:1")
    assert stored.params == {"actor_ids": [7], "note": "héllo"}
    assert stored.status == Status.QUEUED and stored.message_key == row.message_key
    assert stored.created_at == row.created_at and stored.updated_at == row.updated_at
    assert row._state.adding is False


def test_a_second_pending_row_of_a_group_is_refused_not_raised(alice, bob, insert_way):
    Wave.objects.create(actor=bob, target=alice)
    first = Notification.objects.get()

    assert sql.insert_new(_pending_twin(of=first, recipient=alice)) is False

    # The test's transaction goes on: PostgreSQL would refuse this query after
    # a unique violation without a savepoint.
    assert list(Notification.objects.values_list("pk", flat=True)) == [first.pk]


def test_a_repeated_dedupe_key_of_an_item_is_refused(alice, insert_way):
    def item() -> InAppItem:
        return InAppItem(recipient=alice, kind="waved", params={}, dedupe_key="once")

    assert sql.insert_new(item()) is True
    assert sql.insert_new(item()) is False
    assert InAppItem.objects.count() == 1


def test_the_save_signals_are_sent_for_a_stored_row(alice, insert_way):
    seen = []

    def saved(sender, instance, created, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((sender, instance.pk, created))

    signals.post_save.connect(saved, sender=Notification)
    try:
        row = build_row(kind="waved", recipient=alice, params={"actor_ids": [1]})
        sql.insert_new(row)
    finally:
        signals.post_save.disconnect(saved, sender=Notification)

    assert seen == [(Notification, row.pk, True)]


def test_the_recipients_choices_and_quiet_hours_come_in_one_statement(
    alice, django_assert_num_queries
):
    preference_set(user=alice, category="waves", mode="off", channel=Preference.Channel.IN_APP)
    quiet_hours_set(user=alice, start=time(22, 0), end=time(7, 30))

    with django_assert_num_queries(1):
        choices = statements.recipient_choices(
            user_id=alice.pk,
            category="waves",
            channels=["email", "in_app"],
            with_quiet_hours=True,
        )

    assert choices.modes == {"in_app": "off"}  # email never chosen: the caller's default
    assert isinstance(choices.quiet_hours, QuietHours)
    assert (choices.quiet_hours.start, choices.quiet_hours.end) == (time(22, 0), time(7, 30))


def test_no_quiet_hours_read_unless_asked(alice):
    quiet_hours_set(user=alice, start=time(22, 0), end=time(7, 0))

    choices = statements.recipient_choices(
        user_id=alice.pk, category="waves", channels=["email"], with_quiet_hours=False
    )

    assert choices == statements.RecipientChoices(modes={}, quiet_hours=None)


def test_the_wake_up_flag_reads_as_the_model_does(db):
    from notifications.models import WakeUp

    assert statements.wake_up_pending(wake_up_id=1) is None
    WakeUp.objects.create(pk=1, pending=True)
    assert statements.wake_up_pending(wake_up_id=1) is True
    WakeUp.objects.filter(pk=1).update(pending=False)
    assert statements.wake_up_pending(wake_up_id=1) is False


def test_the_recent_rows_read_as_the_orm_reads_them(alice, bob, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "HOURLY_LIMIT": 5}
    Wave.objects.create(actor=bob, target=alice)  # the group's pending row
    sent = build_row(kind="waved", recipient=alice, params={"actor_ids": [3]}, group_key="")
    sql.insert_new(sent)
    Notification.objects.filter(pk=sent.pk).update(status=Status.SENT, sent_at=timezone.now())
    pending = Notification.objects.get(group_key__startswith="waved:")

    found = statements.recent_rows(
        recipient_id=alice.pk, group=pending.group_key, now=timezone.now()
    )

    assert [row.pk for row in found] == [sent.pk, pending.pk]  # newest first
    for row in found:
        orm = Notification.objects.get(pk=row.pk)
        for name in statements._RECENT_COLUMNS:
            assert getattr(row, name) == getattr(orm, name), name
    assert found[0].transactional is False and found[1].params == {"actor_ids": [bob.pk]}


def test_the_unread_item_reads_its_params(alice, bob):
    Wave.objects.create(actor=bob, target=alice)
    item = InAppItem.objects.get()

    found = statements.unread_item(group=item.group_key)

    assert found is not None and (found.pk, found.params) == (item.pk, item.params)
    InAppItem.objects.update(read_at=timezone.now())
    assert statements.unread_item(group=item.group_key) is None


def test_an_outcome_update_stores_what_the_orm_would(alice, bob):
    Wave.objects.create(actor=bob, target=alice)
    row = Notification.objects.get()
    Notification.objects.filter(pk=row.pk).update(status=Status.SENDING, claimed_by="w1")
    sent_at = timezone.now()

    changed = sql.update_where(
        Notification,
        where={"id": row.pk, "status": Status.SENDING, "claimed_by": "w1"},
        values={
            "status": Status.SENT,
            "claimed_by": "",
            "lease_expires_at": None,
            "sent_at": sent_at,
            "headers": {"X-Tag": "ü"},
            "subject": "Bob follows you",
        },
    )

    assert changed == 1
    stored = Notification.objects.get(pk=row.pk)
    assert (stored.status, stored.claimed_by, stored.lease_expires_at) == (Status.SENT, "", None)
    assert (stored.sent_at, stored.headers, stored.subject) == (
        sent_at,
        {"X-Tag": "ü"},
        "Bob follows you",
    )


def test_an_outcome_update_whose_guard_no_longer_holds_changes_nothing(alice, bob):
    Wave.objects.create(actor=bob, target=alice)
    row = Notification.objects.get()
    Notification.objects.filter(pk=row.pk).update(status=Status.SENDING, claimed_by="w2")

    changed = sql.update_where(
        Notification,
        where={"id": row.pk, "status": Status.SENDING, "claimed_by": "w1"},  # w2 took it over
        values={"status": Status.SENT},
    )

    assert changed == 0
    assert Notification.objects.get(pk=row.pk).status == Status.SENDING


def test_the_statuses_written_into_the_coalescing_read_are_the_models():
    import re

    for sql_text in (statements._RECENT_ROWS_SQL, statements._RECENT_ROWS_WITH_CEILING_SQL):
        literals = set(re.findall(r"'([^']*)'", sql_text)) - {""}
        assert literals <= set(statements.STATUSES_WRITTEN)
    assert set(statements.STATUSES_WRITTEN) <= set(Status.values)
