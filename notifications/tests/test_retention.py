"""Retention: old finished rows and their attempt logs go by default, in batches;
everything still to be sent, the suppression list and the counters stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import Schedule

from notifications import queue, transitions
from notifications.metrics import metrics_exposition
from notifications.models import (
    DeliveryAttempt,
    InAppItem,
    Notification,
    Suppression,
    TrackingEvent,
)
from notifications.retention import purge_finished
from notifications.tasks import purge
from notifications.tests.testapp.models import Wave

Status = Notification.Status
pytestmark = pytest.mark.django_db

LONG_AGO = timedelta(days=31)


def row(address: str, status: str, *, age: timedelta = timedelta(0)) -> Notification:
    """An outbox row in `status`, last changed `age` ago, with one attempt entry."""
    notification = Notification.objects.create(kind="email", to_address=address, status=status)
    DeliveryAttempt.objects.create(notification=notification, outcome="sent")
    moment = timezone.now() - age
    Notification.objects.filter(pk=notification.pk).update(created_at=moment, updated_at=moment)
    return notification


def remaining() -> list[str]:
    return sorted(Notification.objects.values_list("to_address", flat=True))


def test_the_purge_is_scheduled_by_default():
    Schedule.objects.filter(name=queue.PURGE_SCHEDULE_NAME).delete()
    queue.schedules_ensure()
    schedule = Schedule.objects.get(name=queue.PURGE_SCHEDULE_NAME)
    assert schedule.func == "notifications.tasks.purge"
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        Schedule.MINUTES,
        60,
        -1,
    )

    queue.schedules_ensure()  # after every migrate: still one
    assert Schedule.objects.filter(name=queue.PURGE_SCHEDULE_NAME).count() == 1


@pytest.mark.parametrize("off", [0, None])
def test_retention_turned_off_removes_the_schedule_and_keeps_every_row(settings, off):
    queue.schedules_ensure()
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "RETENTION_DAYS": off}
    queue.schedules_ensure()
    assert not Schedule.objects.filter(name=queue.PURGE_SCHEDULE_NAME).exists()
    row("old@example.com", Status.SENT, age=timedelta(days=400))
    assert purge() == 0
    assert remaining() == ["old@example.com"]


def test_old_finished_rows_go_with_their_attempts_and_the_rest_stays():
    for status in (Status.SENT, Status.FAILED, Status.CANCELLED, Status.SUPPRESSED):
        row(f"old-{status}@example.com", status, age=LONG_AGO)
    row("recent-sent@example.com", Status.SENT, age=timedelta(days=29))
    for status in (Status.QUEUED, Status.HELD, Status.SENDING):
        row(f"old-{status}@example.com", status, age=timedelta(days=400))

    assert purge() == 4

    assert remaining() == [
        "old-held@example.com",
        "old-queued@example.com",
        "old-sending@example.com",
        "recent-sent@example.com",
    ]
    assert DeliveryAttempt.objects.count() == 4  # only the kept rows' entries


def test_rows_a_digest_waiting_to_be_sent_folded_in_stay_until_it_is_sent():
    """The digest lists them by id and renders them when it is sent: purged
    first, it would go out empty (it was cancelled as having nothing left)."""
    waiting = row("alice@example.com", Status.QUEUED)
    Notification.objects.filter(pk=waiting.pk).update(kind="digest")
    folded = row("alice@example.com", Status.CANCELLED, age=LONG_AGO)
    Notification.objects.filter(pk=folded.pk).update(
        kind="waved", status_reason=transitions.reason_in_digest(waiting.pk)
    )
    elsewhere = row("bob@example.com", Status.CANCELLED, age=LONG_AGO)
    Notification.objects.filter(pk=elsewhere.pk).update(
        status_reason=transitions.reason_in_digest(987654)  # a digest long gone
    )

    assert purge() == 1

    assert set(Notification.objects.values_list("pk", flat=True)) == {waiting.pk, folded.pk}
    Notification.objects.filter(pk=waiting.pk).update(status=Status.SENT)
    assert purge() == 1  # sent: what it folded in may go
    assert not Notification.objects.filter(pk=folded.pk).exists()


def test_the_kept_days_are_a_setting(settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "RETENTION_DAYS": 7}
    row("eight-days@example.com", Status.SENT, age=timedelta(days=8))
    row("six-days@example.com", Status.SENT, age=timedelta(days=6))
    assert purge() == 1
    assert remaining() == ["six-days@example.com"]


def test_the_purge_deletes_in_bounded_batches():
    for n in range(5):
        row(f"old{n}@example.com", Status.SENT, age=LONG_AGO)
    with CaptureQueriesContext(connection) as queries:
        purged = purge_finished(older_than=timedelta(days=30), batch_size=2)
    assert (purged.notifications, purged.attempts) == (5, 5)
    deletes = [
        q["sql"] for q in queries if q["sql"].startswith('DELETE FROM "notifications_notification"')
    ]
    assert len(deletes) == 3  # 2 + 2 + 1 rows, each batch in its own transaction


def test_a_purge_out_of_time_stops_between_batches():
    row("old@example.com", Status.SENT, age=LONG_AGO)
    assert purge_finished(older_than=timedelta(days=30), max_seconds=0).notifications == 0
    assert remaining() == ["old@example.com"]


def test_counters_do_not_go_back_when_the_rows_they_counted_are_purged(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    Wave.objects.create(actor=bob, target=alice)
    Wave.objects.create(actor=alice, target=bob)
    deliver()
    before, _ = metrics_exposition()
    Notification.objects.update(updated_at=timezone.now() - LONG_AGO)
    Notification.objects.update(created_at=timezone.now() - LONG_AGO)

    assert purge() == 2

    after, _ = metrics_exposition()
    sent = b'notifications_sent_total{kind="waved",provider="smtp"} 2.0'
    assert sent in before
    assert sent in after
    assert b'notifications_outbox_rows{status="sent"} 0.0' in after


def test_old_provider_events_go_but_suppressions_and_their_evidence_stay():
    old = timezone.now() - LONG_AGO

    def event(event_id: str, *, received_at) -> TrackingEvent:  # type: ignore[no-untyped-def]
        return TrackingEvent.objects.create(
            event_id=event_id, esp_name="Mailgun", event_type="bounced", received_at=received_at
        )

    event("old-delivered", received_at=old)
    evidence = event("old-bounce", received_at=old)
    event("recent", received_at=timezone.now())
    Suppression.objects.create(address="gone@example.com", reason="bounced", source_event=evidence)
    Suppression.objects.create(address="manual@example.com", reason="manual", created_at=old)

    assert purge_finished(older_than=timedelta(days=30)).events == 1

    assert sorted(TrackingEvent.objects.values_list("event_id", flat=True)) == [
        "old-bounce",
        "recent",
    ]
    assert Suppression.objects.count() == 2


def test_an_in_app_item_outlives_its_purged_email(alice):
    email = row("alice@example.com", Status.SENT, age=LONG_AGO)
    item = InAppItem.objects.create(recipient=alice, kind="waved", notification=email)
    purge()
    item.refresh_from_db()
    assert item.notification_id is None


def test_the_command_purges_what_retention_allows_by_default(capsys, settings):
    row("old@example.com", Status.SENT, age=LONG_AGO)
    row("new@example.com", Status.SENT)
    call_command("notifications_purge")
    assert remaining() == ["new@example.com"]
    assert "Deleted 1 rows older than 30 days with their 1 attempts" in capsys.readouterr().out

    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "RETENTION_DAYS": None}
    with pytest.raises(CommandError, match="--older-than"):
        call_command("notifications_purge")
    call_command("notifications_purge", "--older-than", "0")
    assert remaining() == []
