# ruff: noqa: RUF001 -- Chinese text is written with full-width punctuation.
"""What staff read about an email that has not gone yet: why it waits and until
when, worded from its type and state, in the staff member's language and time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone, translation

from notifications.enqueue import notification_enqueue
from notifications.explain import (
    Cause,
    duration_text,
    kind_label,
    moment_text,
    row_wait,
    wait_cause,
    waiting_filters,
)
from notifications.models import EMAIL_KIND, Notification
from notifications.preferences import preference_set
from notifications.tests.factories import UserFactory
from notifications.tests.testapp.models import Note, Wave
from notifications.tests.testapp.notifications import Waved
from notifications.timing import quiet_hours_set

pytestmark = pytest.mark.django_db
Status = Notification.Status

EVENING = datetime(2027, 3, 2, 19, 55, tzinfo=UTC)


@pytest.fixture
def at_evening():  # type: ignore[no-untyped-def]
    with time_machine.travel(EVENING, tick=False), timezone.override("UTC"):
        yield


def _reason(row: Notification) -> str:
    wait = row_wait(row)
    assert wait is not None
    return wait.text


def _after_an_email_went_out(alice, bob, carol):  # type: ignore[no-untyped-def]
    """bob's wave was emailed at once; carol's, a minute later, waits for more."""
    Wave.objects.create(actor=bob, target=alice)
    Notification.objects.update(status=Status.SENT, sent_at=timezone.now())
    with time_machine.travel(EVENING + timedelta(minutes=1), tick=False):
        Wave.objects.create(actor=carol, target=alice)
    return Notification.objects.get(status=Status.QUEUED)


def test_a_coalescing_email_waits_for_more_of_its_category_until_the_window_ends(
    at_evening, alice, bob
):
    row = _after_an_email_went_out(alice, bob, UserFactory(username="carol"))

    assert wait_cause(row, now=timezone.now()) == Cause.COALESCING
    assert row.next_attempt_at == EVENING + timedelta(minutes=10)
    assert _reason(row) == "Waiting for more waves until 20:05"


def test_a_type_words_what_it_gathers_itself(at_evening, alice, bob, monkeypatch):
    row = _after_an_email_went_out(alice, bob, UserFactory(username="carol"))
    monkeypatch.setattr(Waved, "gathers", "wavers")

    assert _reason(row) == "Waiting for more wavers until 20:05"


def test_the_reason_is_in_the_staff_members_language(at_evening, alice, bob):
    row = _after_an_email_went_out(alice, bob, UserFactory(username="carol"))

    with translation.override("zh-hans"):
        # The test app's category label has no Chinese: the framework's words do.
        assert _reason(row) == "等待更多waves，直到 20:05"


def test_an_email_wanted_only_if_unseen_waits_for_the_in_app_item_to_be_read(
    at_evening, alice, bob
):
    preference_set(user=alice, category="waves", mode="unseen")
    Wave.objects.create(actor=bob, target=alice)
    row = Notification.objects.get()

    assert _reason(row) == (
        "Waiting until 20:05: sent only if the recipient has not read it in the app by then"
    )


def test_an_email_in_the_recipients_quiet_hours_waits_for_them_to_end(at_evening, alice, bob):
    quiet_hours_set(user=alice, start=time(19, 0), end=time(21, 30))
    Note.objects.create(author=bob, recipient=alice, body="Hello")

    assert _reason(Notification.objects.get()) == (
        "Waiting for the recipient's quiet hours to end at 21:30"
    )


def test_a_row_deferred_by_the_worker_for_quiet_hours_says_so_even_after_a_failed_try(
    at_evening, alice
):
    row = notification_enqueue(kind="note", recipient=alice, params={"note_id": 1})
    Notification.objects.filter(pk=row.pk).update(
        attempts=1,
        next_attempt_at=EVENING + timedelta(hours=1),
        status_reason="waiting for the end of the recipient's quiet hours (20:55)",
    )
    row.refresh_from_db()

    assert wait_cause(row, now=timezone.now()) == Cause.QUIET_HOURS


def test_a_retry_says_when_and_which_try_it_will_be(at_evening, alice):
    row = notification_enqueue(kind="note", recipient=alice, params={"note_id": 1})
    Notification.objects.filter(pk=row.pk).update(
        attempts=2, next_attempt_at=EVENING + timedelta(minutes=8)
    )
    row.refresh_from_db()

    assert _reason(row) == "Retrying at 20:03 after a temporary failure (try 3 of 10)"


def test_an_email_scheduled_by_its_sender_says_for_when(at_evening, alice):
    row = notification_enqueue(
        kind="note", recipient=alice, params={"note_id": 1}, send_at=EVENING + timedelta(days=2)
    )

    assert _reason(row) == "Scheduled for March 4 19:55"


def test_a_due_email_says_since_when_it_is_due(at_evening, alice):
    row = notification_enqueue(kind="note", recipient=alice, params={"note_id": 1})

    with time_machine.travel(EVENING + timedelta(minutes=3), tick=False):
        wait = row_wait(row)
    assert wait is not None
    assert wait.cause == Cause.DUE
    assert wait.text == "Due since 19:55: the next worker sends it"


def test_an_email_held_for_the_digest_says_when_the_digest_goes(at_evening, alice, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "DIGEST_HOUR": 8}
    preference_set(user=alice, category="notes", mode="digest")
    row = notification_enqueue(kind="note", recipient=alice, params={"note_id": 1})

    assert row.status == Status.HELD
    wait = row_wait(row)
    assert wait is not None
    assert wait.until == datetime(2027, 3, 3, 8, 0, tzinfo=UTC)
    assert wait.text == (
        "Held for the daily digest at tomorrow 08:00: the recipient gets “Notes” by digest"
    )


def test_the_digest_goes_at_the_recipients_own_hour(at_evening, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "DIGEST_HOUR": 8}
    tokyo = UserFactory(username="tokyo", timezone="Asia/Tokyo")  # 04:55 there
    preference_set(user=tokyo, category="notes", mode="digest")
    row = notification_enqueue(kind="note", recipient=tokyo, params={"note_id": 1})

    wait = row_wait(row)
    assert wait is not None
    assert wait.until == datetime(2027, 3, 2, 23, 0, tzinfo=UTC)  # 08:00 in Tokyo
    assert wait.text.startswith("Held for the daily digest at 23:00:")


def test_an_email_held_by_the_hourly_limit_says_so(at_evening, alice, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "HOURLY_LIMIT": 2}
    for note in range(3):
        notification_enqueue(kind="note", recipient=alice, params={"note_id": note})
    row = Notification.objects.get(status=Status.HELD)

    assert _reason(row) == (
        "Held for the next daily digest: the recipient reached the limit of 2 emails an hour"
    )


def test_sent_and_finished_emails_do_not_wait(at_evening, alice):
    row = notification_enqueue(kind="note", recipient=alice, params={"note_id": 1})
    for status in (Status.SENDING, Status.SENT, Status.FAILED, Status.CANCELLED):
        row.status = status
        assert row_wait(row) is None


def test_the_dashboards_counts_by_cause_agree_with_each_rows_reason(at_evening, alice, bob):
    carol = UserFactory(username="carol")
    _after_an_email_went_out(alice, bob, carol)
    preference_set(user=carol, category="waves", mode="unseen")
    Wave.objects.create(actor=bob, target=carol)
    quiet_hours_set(user=bob, start=time(19, 0), end=time(21, 0))
    notification_enqueue(kind="note", recipient=bob, params={"note_id": 1})
    retry = notification_enqueue(kind="note", recipient=alice, params={"note_id": 2})
    Notification.objects.filter(pk=retry.pk).update(
        attempts=1, next_attempt_at=EVENING + timedelta(minutes=4)
    )
    notification_enqueue(
        kind="note", recipient=alice, params={"note_id": 3}, send_at=EVENING + timedelta(hours=1)
    )

    now = timezone.now()
    by_filter = {
        cause: set(Notification.objects.filter(q).values_list("pk", flat=True))
        for cause, q in waiting_filters(now=now).items()
    }
    by_row: dict[Cause, set[int]] = {cause: set() for cause in by_filter}
    for row in Notification.objects.filter(status=Status.QUEUED):
        by_row[wait_cause(row, now=now)].add(row.pk)
    assert by_filter == by_row
    assert all(by_row.values())


def test_kinds_are_named_as_staff_read_them(monkeypatch):
    assert kind_label("waved") == "Waves"  # no label: the category's
    monkeypatch.setattr(Waved, "label", "Wave")
    assert kind_label("waved") == "Wave"
    assert kind_label(EMAIL_KIND) == "System email"
    assert kind_label("gone_type") == "gone_type"


def test_moments_are_as_short_as_is_clear():
    now = datetime(2027, 3, 2, 19, 55, tzinfo=UTC)
    with timezone.override("UTC"):
        assert moment_text(now + timedelta(minutes=10), now=now) == "20:05"
        assert moment_text(now + timedelta(hours=5), now=now) == "tomorrow 00:55"
        assert moment_text(now - timedelta(hours=20), now=now) == "yesterday 23:55"
        assert moment_text(now + timedelta(days=3), now=now) == "March 5 19:55"
    with timezone.override("Asia/Shanghai"), translation.override("zh-hans"):
        assert moment_text(now + timedelta(days=1), now=now) == "明天 03:55"


def test_durations_carry_their_unit():
    assert duration_text(1) == "1 second"
    assert duration_text(45) == "45 seconds"
    assert duration_text(300) == "5 minutes"
    assert duration_text(3 * 3600) == "3 hours"
    assert duration_text(3 * 86400) == "3 days"
    with translation.override("zh-hans"):
        assert duration_text(300) == "5 分钟"
