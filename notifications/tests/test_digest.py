"""The daily digest: held notifications, one summary email per person per day,
and the preferences that decide it (checked when a row is written and again
right before it is sent)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django_q.models import Schedule

from notifications.digest import digest_dedupe_key, digests_send
from notifications.models import Notification, Preference
from notifications.preferences import preference_mode, preference_set, preferences_for
from notifications.queue import DIGEST_FUNC, DIGEST_SCHEDULE_NAME
from notifications.queue import schedules_ensure as sweep_schedule_ensure
from notifications.tasks import send_daily_digests
from notifications.tests.factories import UserFactory
from notifications.tests.testapp.models import Note, Wave

Status = Notification.Status
Mode = Preference.Mode
pytestmark = pytest.mark.django_db


def wave(actor, target) -> Wave:  # type: ignore[no-untyped-def]
    return Wave.objects.create(actor=actor, target=target)


# --- held instead of sent ------------------------------------------------------


def test_a_digest_mode_user_gets_no_immediate_email(outbox_mailers, smtp_sink, alice, bob, deliver):
    preference_set(user=alice, category="waves", mode=Mode.DIGEST)

    wave(bob, alice)
    deliver()

    assert smtp_sink.messages == []
    row = Notification.objects.get()
    assert row.status == Status.HELD
    assert "daily digest" in row.status_reason


def test_digest_mode_holds_only_that_category(outbox_mailers, smtp_sink, alice, bob, deliver):
    preference_set(user=alice, category="waves", mode=Mode.DIGEST)

    wave(bob, alice)
    Note.objects.create(author=bob, recipient=alice, body="Coffee?")
    deliver()

    [received] = smtp_sink.messages
    assert received.header("Subject") == "bob left you a note"
    assert Notification.objects.get(kind="waved").status == Status.HELD


def test_a_queued_row_is_held_when_the_recipient_switched_to_digest_before_sending(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    wave(bob, alice)
    assert Notification.objects.get().status == Status.QUEUED

    preference_set(user=alice, category="waves", mode=Mode.DIGEST)
    deliver()

    assert smtp_sink.messages == []
    row = Notification.objects.get()
    assert row.status == Status.HELD
    assert row.claimed_by == "" and row.lease_expires_at is None


def test_a_category_turned_off_after_queueing_is_cancelled_not_sent(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    wave(bob, alice)
    preference_set(user=alice, category="waves", mode=Mode.OFF)

    deliver()

    assert smtp_sink.messages == []
    row = Notification.objects.get()
    assert row.status == Status.CANCELLED
    assert row.status_reason == "recipient turned off waves emails"


# --- the daily digest -----------------------------------------------------------


def test_the_daily_digest_sends_one_email_listing_everything_held(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    carol = UserFactory(username="carol")
    preference_set(user=alice, category="waves", mode=Mode.DIGEST)
    preference_set(user=alice, category="notes", mode=Mode.DIGEST)
    wave(bob, alice)
    wave(carol, alice)
    Note.objects.create(author=carol, recipient=alice, body="Lunch at noon?")
    held = list(Notification.objects.filter(status=Status.HELD).order_by("id"))
    assert len(held) == 3

    assert send_daily_digests() == 1
    deliver()

    [received] = smtp_sink.messages
    assert received.envelope_to == ["alice@example.com"]
    assert received.header("Subject") == "Your daily digest: 3 new notifications"
    text = received.part("text/plain")
    html = received.part("text/html")
    for line in ("bob waved at you", "carol waved at you", "carol left you a note"):
        assert f"- {line}" in text
        assert line in html
    assert "Waves" in text and "Notes" in text
    digest = Notification.objects.get(kind="digest")
    assert digest.status == Status.SENT
    assert digest.dedupe_key == digest_dedupe_key(user_id=alice.pk, day=datetime.now(UTC).date())
    for row in held:
        row.refresh_from_db()
        assert row.status == Status.CANCELLED
        assert row.status_reason == f"included in digest #{digest.pk}"


def test_running_the_daily_digest_twice_still_sends_one_email(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    preference_set(user=alice, category="waves", mode=Mode.DIGEST)
    wave(bob, alice)

    assert send_daily_digests() == 1
    deliver()
    wave(UserFactory(username="carol"), alice)  # held after today's digest
    assert send_daily_digests() == 0
    deliver()

    assert len(smtp_sink.messages) == 1
    assert Notification.objects.filter(kind="digest").count() == 1
    assert Notification.objects.get(status=Status.HELD).params["actor_ids"]


def test_what_is_held_after_todays_digest_goes_out_the_next_day(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    preference_set(user=alice, category="waves", mode=Mode.DIGEST)
    with time_machine.travel(datetime(2026, 3, 2, 8, 0, tzinfo=UTC)):
        wave(bob, alice)
        assert send_daily_digests() == 1
        wave(UserFactory(username="carol"), alice)
    with time_machine.travel(datetime(2026, 3, 3, 8, 0, tzinfo=UTC)):
        assert send_daily_digests() == 1
        deliver()

    assert sorted(
        Notification.objects.filter(kind="digest").values_list("dedupe_key", flat=True)
    ) == [
        f"digest:{alice.pk}:2026-03-02",
        f"digest:{alice.pk}:2026-03-03",
    ]
    assert [m.header("Subject") for m in smtp_sink.messages] == [
        "Your daily digest: 1 new notification",
        "Your daily digest: 1 new notification",
    ]
    assert "carol waved at you" in smtp_sink.messages[-1].part("text/plain")


def test_nothing_held_means_no_digest(outbox_mailers, smtp_sink, alice, bob, deliver):
    preference_set(user=alice, category="waves", mode=Mode.DIGEST)
    wave(bob, UserFactory(username="dora"))  # dora gets emails immediately

    deliver()
    assert send_daily_digests() == 0
    deliver()

    assert [m.envelope_to for m in smtp_sink.messages] == [["dora@example.com"]]
    assert not Notification.objects.filter(kind="digest").exists()


def test_each_person_gets_their_own_digest(outbox_mailers, smtp_sink, alice, bob, deliver):
    dora = UserFactory(username="dora")
    for user in (alice, dora):
        preference_set(user=user, category="waves", mode=Mode.DIGEST)
        wave(bob, user)

    assert digests_send() == 2
    deliver()

    assert sorted(m.envelope_to[0] for m in smtp_sink.messages) == [
        "alice@example.com",
        "dora@example.com",
    ]


def test_an_undone_event_is_left_out_of_the_digest(outbox_mailers, smtp_sink, alice, bob, deliver):
    carol = UserFactory(username="carol")
    preference_set(user=alice, category="waves", mode=Mode.DIGEST)
    wave(bob, alice)
    wave(carol, alice)
    Wave.objects.filter(actor=bob, target=alice).delete()

    send_daily_digests()
    deliver()

    [received] = smtp_sink.messages
    text = received.part("text/plain")
    assert "carol waved at you" in text
    assert "bob" not in text


def test_held_rows_of_a_category_turned_off_since_are_cancelled_not_digested(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    preference_set(user=alice, category="waves", mode=Mode.DIGEST)
    wave(bob, alice)
    preference_set(user=alice, category="waves", mode=Mode.OFF)

    assert send_daily_digests() == 0
    deliver()

    assert smtp_sink.messages == []
    row = Notification.objects.get()
    assert row.status == Status.CANCELLED
    assert row.status_reason == "recipient turned off waves emails"


def test_the_digest_can_be_unsubscribed_in_one_click(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    preference_set(user=alice, category="waves", mode=Mode.DIGEST)
    preference_set(user=alice, category="notes", mode=Mode.DIGEST)
    wave(bob, alice)
    send_daily_digests()
    deliver()

    [received] = smtp_sink.messages
    assert received.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    url = received.header("List-Unsubscribe").strip("<>")
    response = Client().post(
        url.removeprefix("http://testserver"), {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    assert preferences_for(user=alice) == {"waves": Mode.OFF, "notes": Mode.OFF}
    assert preference_mode(user_id=alice.pk, category="digest") == Mode.OFF


def test_the_preferences_page_does_not_offer_the_digest_as_a_category(alice, client):
    client.force_login(alice)
    response = client.get("/notifications/preferences/")
    assert "digest" not in response.context["form"].fields


def test_held_rows_of_a_deleted_recipient_are_cancelled(alice, bob):
    preference_set(user=alice, category="waves", mode=Mode.DIGEST)
    wave(bob, alice)
    row = Notification.objects.get()
    alice.delete()

    assert digests_send() == 0

    row.refresh_from_db()
    assert row.status == Status.CANCELLED
    assert row.status_reason == "the recipient no longer exists"


# --- the schedule -------------------------------------------------------------------


def test_migrate_creates_the_digest_schedule_checking_every_quarter_of_an_hour(settings):
    Schedule.objects.filter(name=DIGEST_SCHEDULE_NAME).delete()

    sweep_schedule_ensure()

    schedule = Schedule.objects.get(name=DIGEST_SCHEDULE_NAME)
    assert schedule.func == DIGEST_FUNC
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        Schedule.MINUTES,
        15,
        -1,
    )


def test_ensuring_the_schedule_again_keeps_one_schedule_and_follows_the_setting(settings):
    sweep_schedule_ensure()
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "DIGEST_CHECK_MINUTES": 5}

    sweep_schedule_ensure()

    assert Schedule.objects.filter(name=DIGEST_SCHEDULE_NAME).count() == 1
    assert Schedule.objects.get(name=DIGEST_SCHEDULE_NAME).minutes == 5


@pytest.mark.parametrize("hour", [-1, 24, "8", 7.5])
def test_a_digest_hour_outside_the_day_is_a_configuration_error(settings, hour):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "DIGEST_HOUR": hour}
    with pytest.raises(ImproperlyConfigured, match="DIGEST_HOUR"):
        sweep_schedule_ensure()


# --- the digest hour, in each recipient's own time -----------------------------------


def test_the_digest_goes_out_at_the_digest_hour_in_each_recipients_own_time_zone(settings, bob):
    """Tokyo is UTC+9, New York UTC-5 in January: at 08:00 in each city, and
    only then, that person's digest is written, once for their day."""
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "DIGEST_HOUR": 8}
    tokyo = UserFactory(username="tokyo", timezone="Asia/Tokyo")
    new_york = UserFactory(username="newyork", timezone="America/New_York")
    for person in (tokyo, new_york):
        preference_set(user=person, category="waves", mode=Mode.DIGEST)
        wave(bob, person)

    def digests_at(hour: int, minute: int = 0) -> set[str]:
        moment = datetime(2027, 1, 14, hour, minute, tzinfo=UTC)
        with time_machine.travel(moment, tick=False):
            digests_send()
        return set(
            Notification.objects.filter(kind="digest").values_list("recipient__username", flat=True)
        )

    assert digests_at(12, 45) == set()  # 07:45 in New York, 21:45 in Tokyo
    assert digests_at(13, 0) == {"newyork"}  # 08:00 in New York
    assert digests_at(13, 15) == {"newyork"}  # one a day
    assert digests_at(22, 45) == {"newyork"}  # 07:45 in Tokyo (Jan 15)
    assert digests_at(23, 0) == {"newyork", "tokyo"}  # 08:00 in Tokyo
    tokyo_digest = Notification.objects.get(kind="digest", recipient=tokyo)
    assert tokyo_digest.dedupe_key.endswith(":2027-01-15")  # Tokyo's own date
    new_york_digest = Notification.objects.get(kind="digest", recipient=new_york)
    assert new_york_digest.dedupe_key.endswith(":2027-01-14")


def test_what_is_held_after_the_digest_hour_waits_for_the_next_days_digest(settings, alice, bob):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "DIGEST_HOUR": 8}
    preference_set(user=alice, category="waves", mode=Mode.DIGEST)
    wave(bob, alice)  # alice lives in UTC (the default time zone)
    with time_machine.travel(datetime(2027, 1, 14, 9, 5, tzinfo=UTC), tick=False):
        assert digests_send() == 0
    with time_machine.travel(datetime(2027, 1, 15, 8, 50, tzinfo=UTC), tick=False):
        assert digests_send() == 1


@pytest.mark.parametrize(
    ("hour", "runs", "written_at"),
    [
        # 2026-03-08 in New York: the clocks skip 02:00-03:00 (at 07:00 UTC).
        # The digest hour is the hour from the jump: one digest, not none.
        (2, [(6, 45), (7, 0), (7, 15), (8, 0)], (7, 0)),
        # 2026-11-01: the clocks show 01:00-02:00 twice (05:00-07:00 UTC).
        # Only the first pass is the digest hour: one digest, in it.
        (1, [(4, 45), (5, 0), (5, 45), (6, 0), (6, 15)], (5, 0)),
    ],
    ids=["skipped hour", "repeated hour"],
)
def test_on_the_days_the_clocks_change_the_digest_goes_out_once_in_its_hour(
    settings, hour, runs, written_at
):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "DIGEST_HOUR": hour}
    new_york = UserFactory(username="newyork", timezone="America/New_York")
    preference_set(user=new_york, category="waves", mode=Mode.DIGEST)
    day = (3, 8) if hour == 2 else (11, 1)
    written = []
    for number, (run_hour, minute) in enumerate(runs):
        fan = UserFactory(username=f"fan{number}")
        wave(fan, new_york)  # something new is held before every run
        moment = datetime(2026, *day, run_hour, minute, tzinfo=UTC)
        with time_machine.travel(moment, tick=False):
            if digests_send():
                written.append((run_hour, minute))

    assert written == [written_at]


def test_the_digest_s_lines_are_written_in_the_recipient_s_time_zone(
    settings, monkeypatch, outbox_mailers, smtp_sink, deliver
):
    """Each line is a held email's subject, rendered when the digest is: in
    the recipient's zone, as the email itself would have been."""
    from notifications.tests.testapp.notifications import NoteLeft

    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "DIGEST_HOUR": None}
    monkeypatch.setattr(NoteLeft, "template_prefix", "testapp/email/clock")  # "{% now "H:i e" %}"
    tokyo = UserFactory(username="tokyo", timezone="Asia/Tokyo")
    preference_set(user=tokyo, category="notes", mode=Mode.DIGEST)
    Note.objects.create(author=UserFactory(username="carol"), recipient=tokyo, body="Hi")

    with time_machine.travel(datetime(2027, 1, 14, 12, 0, tzinfo=UTC), tick=False):
        assert send_daily_digests() == 1
        deliver()

    [received] = smtp_sink.messages
    assert "- 21:00 JST" in received.part("text/plain")
