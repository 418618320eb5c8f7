"""Local time: emails written in the recipient's time zone, and quiet hours that
hold notification email (never transactional mail) until they end."""

from __future__ import annotations

from datetime import UTC, datetime, time
from types import SimpleNamespace

import pytest
import time_machine
from django.utils import timezone

from notifications.enqueue import notification_enqueue
from notifications.models import Notification
from notifications.rendering import render_type
from notifications.tests.factories import UserFactory
from notifications.tests.testapp.models import Wave
from notifications.timing import quiet_hours_set
from notifications.types import Category

pytestmark = pytest.mark.django_db
Status = Notification.Status

# 23:30 in Berlin (UTC+1 in January): inside quiet hours 22:00-07:00.
LATE_IN_BERLIN = datetime(2027, 1, 14, 22, 30, tzinfo=UTC)
SEVEN_IN_BERLIN = datetime(2027, 1, 15, 6, 0, tzinfo=UTC)


@pytest.fixture
def berliner(db):  # type: ignore[no-untyped-def]
    user = UserFactory(username="berliner", timezone="Europe/Berlin")
    quiet_hours_set(user=user, start=time(22, 0), end=time(7, 0))
    return user


def test_an_email_is_written_in_the_recipients_time_zone(db):
    clock = SimpleNamespace(
        template_prefix="testapp/email/clock", category=Category("clock", "Clock", True)
    )
    tokyo = UserFactory(username="tokyo", timezone="Asia/Tokyo")
    with time_machine.travel(datetime(2027, 1, 14, 12, 0, tzinfo=UTC), tick=False):
        rendered = render_type(kind=clock, context={}, language="en", recipient=tokyo)
    assert rendered.subject == "21:00 JST"
    assert "It is 21:00 JST where you are." in rendered.body_text


def test_a_notification_during_quiet_hours_is_due_when_they_end(berliner, bob):
    with time_machine.travel(LATE_IN_BERLIN, tick=False):
        Wave.objects.create(actor=bob, target=berliner)
    row = Notification.objects.get()
    assert row.status == Status.QUEUED
    assert row.next_attempt_at == SEVEN_IN_BERLIN


def test_outside_quiet_hours_it_is_due_at_once(berliner, bob):
    noon = datetime(2027, 1, 14, 11, 0, tzinfo=UTC)
    with time_machine.travel(noon, tick=False):
        Wave.objects.create(actor=bob, target=berliner)
    assert Notification.objects.get().next_attempt_at == noon


def test_a_row_that_comes_due_inside_quiet_hours_is_deferred_not_sent(
    bob, outbox_mailers, smtp_sink, deliver
):
    sleeper = UserFactory(username="sleeper", timezone="Europe/Berlin")
    Wave.objects.create(actor=bob, target=sleeper)  # before any quiet hours were set
    quiet_hours_set(user=sleeper, start=time(22, 0), end=time(7, 0))
    Notification.objects.update(next_attempt_at=LATE_IN_BERLIN)

    with time_machine.travel(LATE_IN_BERLIN, tick=False):
        deliver()

    assert smtp_sink.messages == []
    row = Notification.objects.get()
    assert (row.status, row.attempts, row.next_attempt_at) == (Status.QUEUED, 0, SEVEN_IN_BERLIN)
    assert "quiet hours" in row.status_reason

    with time_machine.travel(SEVEN_IN_BERLIN, tick=False):
        deliver()
    assert len(smtp_sink.messages) == 1


def test_transactional_mail_is_never_held_by_quiet_hours(
    berliner, outbox_mailers, smtp_sink, deliver
):
    with time_machine.travel(LATE_IN_BERLIN, tick=False):
        row = notification_enqueue(kind="security_alert", recipient=berliner)
        assert row is not None and row.next_attempt_at == timezone.now()
        deliver()
    assert len(smtp_sink.messages) == 1


@pytest.mark.parametrize(
    ("start", "end", "utc", "until"),
    [
        (time(22, 0), time(7, 0), datetime(2027, 1, 14, 23, 30, tzinfo=UTC), (1, 15, 7)),
        (time(22, 0), time(7, 0), datetime(2027, 1, 15, 5, 0, tzinfo=UTC), (1, 15, 7)),
        (time(22, 0), time(7, 0), datetime(2027, 1, 15, 12, 0, tzinfo=UTC), None),
        (time(13, 0), time(15, 0), datetime(2027, 1, 15, 13, 0, tzinfo=UTC), (1, 15, 15)),
    ],
)
def test_quiet_spans_are_read_in_the_recipients_zone_and_may_cross_midnight(
    db, start, end, utc, until
):
    from notifications.timing import recipient_quiet_until

    user = UserFactory(timezone="Europe/Berlin")
    quiet_hours_set(user=user, start=start, end=end)
    found = recipient_quiet_until(recipient=user, now=utc)
    if until is None:
        assert found is None
    else:
        month, day, hour = until
        assert (found.month, found.day, found.hour, found.minute) == (month, day, hour, 0)
        assert str(found.tzinfo) == "Europe/Berlin"


# --- clock changes ---------------------------------------------------------------------
# New York: on 2026-03-08 the clocks go from 02:00 EST to 03:00 EDT (07:00 UTC);
# on 2026-11-01 they go back from 02:00 EDT to 01:00 EST (06:00 UTC), so
# 01:00-02:00 happens twice.


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "start", "end", "now", "until"),
    [
        # Ends in the repeated hour, now in its second pass: the second 01:30.
        (
            "America/New_York",
            time(22),
            time(1, 30),
            _utc(2026, 11, 1, 6, 15),
            _utc(2026, 11, 1, 6, 30),
        ),
        # Ends in it, now in its first pass: the first 01:30.
        (
            "America/New_York",
            time(22),
            time(1, 30),
            _utc(2026, 11, 1, 5, 15),
            _utc(2026, 11, 1, 5, 30),
        ),
        # Ends in the skipped hour: when the clocks jump past 02:30 (03:00 EDT).
        (
            "America/New_York",
            time(1, 30),
            time(2, 30),
            _utc(2026, 3, 8, 6, 45),
            _utc(2026, 3, 8, 7, 0),
        ),
        # Lord Howe moves its clocks by half an hour (02:00 -> 02:30 on 2026-10-04).
        (
            "Australia/Lord_Howe",
            time(1, 30),
            time(2, 15),
            _utc(2026, 10, 3, 15, 10),
            _utc(2026, 10, 3, 15, 30),
        ),
        # An ordinary night across both changes.
        ("America/New_York", time(22), time(7), _utc(2026, 11, 1, 4, 0), _utc(2026, 11, 1, 12, 0)),
        ("America/New_York", time(22), time(7), _utc(2026, 3, 8, 4, 0), _utc(2026, 3, 8, 11, 0)),
    ],
)
def test_quiet_hours_end_when_the_recipients_clock_reaches_their_end_across_a_clock_change(
    db, zone, start, end, now, until
):
    from notifications.timing import recipient_quiet_until

    user = UserFactory(timezone=zone)
    quiet_hours_set(user=user, start=start, end=end)

    # In UTC: Python never finds an ambiguous local time equal to another zone's.
    assert recipient_quiet_until(recipient=user, now=now).astimezone(UTC) == until


def test_an_email_held_by_quiet_hours_ending_in_the_repeated_hour_is_deferred_once(
    bob, outbox_mailers, smtp_sink, deliver
):
    """Its end used to be read as the first 01:30, already past during the
    second: the worker deferred it "until then" again and again."""
    user = UserFactory(username="nyc", timezone="America/New_York")
    quiet_hours_set(user=user, start=time(22), end=time(1, 30))
    with time_machine.travel(_utc(2026, 11, 1, 6, 15), tick=False):
        Wave.objects.create(actor=bob, target=user)
        deliver()
        row = Notification.objects.get()
        assert (row.status, row.next_attempt_at) == (Status.QUEUED, _utc(2026, 11, 1, 6, 30))
    with time_machine.travel(_utc(2026, 11, 1, 6, 31), tick=False):
        deliver()
    assert len(smtp_sink.messages) == 1
