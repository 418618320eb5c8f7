"""The delivery engine end to end inside one process: real SMTP sink, real
templates, the worker's task called directly."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from notifications.conf import conf
from notifications.dispatch import (
    notifications_claim_due,
    notifications_release_expired_leases,
    notifications_send,
)
from notifications.enqueue import notification_enqueue
from notifications.models import DeliveryAttempt, Notification
from notifications.tasks import sweep
from notifications.tests.factories import UserFactory
from notifications.tests.testapp.models import Note, Wave
from notifications.types import Category, NotificationType, registry

Status = Notification.Status
pytestmark = pytest.mark.django_db


def test_a_wave_gets_exactly_one_email_with_text_html_and_absolute_links(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    Wave.objects.create(actor=bob, target=alice)

    deliver()

    [received] = smtp_sink.messages
    assert received.envelope_to == ["alice@example.com"]
    assert received.header("Subject") == "bob waved at you"
    text = received.part("text/plain")
    html = received.part("text/html")
    assert "bob waved at you" in text
    assert "http://testserver/people/bob/" in text
    assert 'href="http://testserver/people/bob/"' in html
    assert 'src="https://pictures.example.com/bob.png"' in html
    assert 'style="' in html  # CSS inlined
    assert "@media (prefers-color-scheme: dark)" in html
    row = Notification.objects.get()
    assert row.status == Status.SENT
    assert received.header("X-Notification-ID") == str(row.pk)
    assert received.header("Message-ID") == row.provider_message_id
    assert received.header("List-Unsubscribe").startswith("<http://testserver/")
    assert received.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert [a.outcome for a in row.attempt_log.all()] == [DeliveryAttempt.Outcome.SENT]


def test_email_is_rendered_in_the_recipients_language(outbox_mailers, smtp_sink, bob, deliver):
    chen = UserFactory(username="chen", email="chen@example.com", language="zh-hans")
    Wave.objects.create(actor=bob, target=chen)
    deliver()
    row = Notification.objects.get()
    assert row.language == "zh-hans"
    assert '<html lang="zh-hans">' in row.body_html


def test_a_note_emails_its_recipient_once_with_the_note(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    note = Note.objects.create(author=bob, recipient=alice, body="Lunch at noon?")
    notification_enqueue(  # the same event told twice: its dedupe key makes it one email
        kind="note", recipient=alice, params={"note_id": note.pk}, dedupe_key=f"note:{note.pk}"
    )

    deliver()

    [received] = smtp_sink.messages
    assert received.envelope_to == ["alice@example.com"]
    assert received.header("Subject") == "bob left you a note"
    assert "Lunch at noon?" in received.part("text/plain")
    assert "http://testserver/people/bob/" in received.part("text/html")
    assert Notification.objects.get().kind == "note"


def test_a_deleted_note_cancels_its_email(outbox_mailers, smtp_sink, alice, bob, deliver):
    Note.objects.create(author=bob, recipient=alice, body="never mind").delete()

    deliver()

    row = Notification.objects.get()
    assert row.status == Status.CANCELLED
    assert row.status_reason == "the note was deleted before sending"
    assert smtp_sink.messages == []


def test_a_wave_rolled_back_leaves_no_row(alice, bob):
    with pytest.raises(RuntimeError), transaction.atomic():
        Wave.objects.create(actor=bob, target=alice)
        raise RuntimeError("the request failed")
    assert not Notification.objects.exists()


def test_enqueue_wakes_the_workers_only_after_commit_and_once_per_commit(
    alice, bob, django_capture_on_commit_callbacks, monkeypatch
):
    from notifications import queue

    woken: list[bool] = []
    monkeypatch.setattr(queue, "wake_ups_are_writes", lambda: False)
    monkeypatch.setattr(queue, "wake", lambda **_: woken.append(True) or True)
    with django_capture_on_commit_callbacks(execute=True):
        Wave.objects.create(actor=bob, target=alice)
        Note.objects.create(author=bob, recipient=alice, body="hi")
        assert woken == []  # nothing before the commit
    assert Notification.objects.count() == 2
    assert woken == [True]  # one wake-up per transaction, not one per email

    with django_capture_on_commit_callbacks(execute=True):
        Note.objects.create(author=alice, recipient=bob, body="thanks")
    assert woken == [True, True]  # the next commit wakes again


def test_smtp_451_is_retried_and_sent_on_a_later_attempt(
    outbox_mailers, smtp_sink, alice, bob, deliver, make_due
):
    smtp_sink.handler.responder = lambda envelope: "451 4.3.0 try again later"
    Wave.objects.create(actor=bob, target=alice)

    deliver()

    row = Notification.objects.get()
    assert row.status == Status.QUEUED
    assert row.attempts == 1
    assert "451" in row.last_error
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=60)
    assert deliver() == 0  # not due yet

    smtp_sink.handler.responder = None
    make_due()
    deliver()

    row.refresh_from_db()
    assert row.status == Status.SENT
    assert row.attempts == 2
    assert [a.outcome for a in row.attempt_log.all()] == ["retry", "sent"]
    assert len(smtp_sink.messages) == 1


def test_smtp_550_fails_after_one_attempt(outbox_mailers, smtp_sink, alice, bob, deliver):
    smtp_sink.handler.responder = lambda envelope: "550 5.1.1 no such user"
    Wave.objects.create(actor=bob, target=alice)

    deliver()

    row = Notification.objects.get()
    assert row.status == Status.FAILED
    assert row.attempts == 1
    assert "550" in row.status_reason
    assert [a.outcome for a in row.attempt_log.all()] == ["failed"]


def test_server_down_is_retried_with_growing_delays_then_delivered(
    outbox_mailers, smtp_sink, alice, bob, deliver, make_due
):
    smtp_sink.stop()
    Wave.objects.create(actor=bob, target=alice)
    delays = []
    for _ in range(3):
        before = timezone.now()
        deliver()
        row = Notification.objects.get()
        assert row.status == Status.QUEUED
        delays.append((row.next_attempt_at - before).total_seconds())
        make_due()
    assert delays[0] < delays[1] < delays[2]
    assert row.attempts == 3

    smtp_sink.start()
    deliver()

    row.refresh_from_db()
    assert row.status == Status.SENT
    assert len(smtp_sink.messages) == 1


def test_transient_failures_give_up_after_max_attempts(
    outbox_mailers, smtp_sink, settings, alice, bob, deliver, make_due
):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "MAX_ATTEMPTS": 2}
    smtp_sink.handler.responder = lambda envelope: "451 busy"
    Wave.objects.create(actor=bob, target=alice)
    deliver()
    make_due()
    deliver()
    row = Notification.objects.get()
    assert row.status == Status.FAILED
    assert "gave up after 2 attempts" in row.status_reason


@pytest.fixture
def broken_type():  # type: ignore[no-untyped-def]
    @registry.register
    class Broken(NotificationType):
        key = "test_broken_template"
        category = Category("test", "Test")
        template_prefix = "notifications/tests/does-not-exist"

        def get_context(self, *, notification):  # type: ignore[no-untyped-def]
            return {}

    yield Broken
    registry._types.pop(Broken.key)


def test_a_rendering_error_fails_the_row_at_once(
    outbox_mailers, smtp_sink, alice, broken_type, deliver
):
    notification_enqueue(kind=broken_type.key, recipient=alice, params={})
    deliver()
    row = Notification.objects.get()
    assert row.status == Status.FAILED
    assert "rendering failed" in row.status_reason
    assert "TemplateDoesNotExist" in row.status_reason
    assert smtp_sink.messages == []


def names_in(received) -> set[str]:  # type: ignore[no-untyped-def]
    return set(re.findall(r"waver(\d+)", received.part("text/plain")))


def test_ten_waves_within_a_minute_make_at_most_two_emails_naming_all_ten(
    outbox_mailers, smtp_sink, alice, deliver, make_due
):
    wavers = [UserFactory(username=f"waver{i}") for i in range(10)]
    Wave.objects.create(actor=wavers[0], target=alice)
    deliver()  # the first email goes out at once
    for waver in wavers[1:]:
        Wave.objects.create(actor=waver, target=alice)
    deliver()  # the rest are held until the window ends
    assert len(smtp_sink.messages) == 1
    held = Notification.objects.get(status=Status.QUEUED)
    assert held.next_attempt_at > timezone.now() + timedelta(seconds=500)

    make_due()
    deliver()

    messages = smtp_sink.messages
    assert len(messages) == 2
    assert names_in(messages[0]) | names_in(messages[1]) == {str(i) for i in range(10)}
    assert messages[1].header("Subject") == "waver1, waver2 and 7 others waved at you"


def test_a_wave_taken_back_before_sending_takes_the_waver_off_the_pending_email(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    carol = UserFactory(username="carol")
    Wave.objects.create(actor=bob, target=alice)
    Wave.objects.create(actor=carol, target=alice)
    Wave.objects.filter(actor=bob).delete()

    row = Notification.objects.get()
    assert row.params["actor_ids"] == [carol.pk]
    deliver()
    assert smtp_sink.messages[0].header("Subject") == "carol waved at you"


def test_every_wave_taken_back_cancels_the_pending_email(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    Wave.objects.create(actor=bob, target=alice)
    Wave.objects.filter(actor=bob).delete()

    deliver()

    row = Notification.objects.get()
    assert row.status == Status.CANCELLED
    assert "withdrawn" in row.status_reason
    assert smtp_sink.messages == []


def test_a_wave_taken_back_after_claiming_cancels_at_send_time(
    outbox_mailers, smtp_sink, alice, bob
):
    Wave.objects.create(actor=bob, target=alice)
    claimed = notifications_claim_due(limit=10, worker="test")
    Wave.objects.filter(actor=bob).delete()  # too late to withdraw

    notifications_send(notifications=claimed)

    row = Notification.objects.get()
    assert row.status == Status.CANCELLED
    assert row.status_reason == "the wave was taken back before sending"
    assert smtp_sink.messages == []


def test_a_deleted_recipient_cancels_the_row(outbox_mailers, smtp_sink, alice, bob, deliver):
    Note.objects.create(author=bob, recipient=alice, body="hey")
    alice.delete()
    deliver()
    row = Notification.objects.get()
    assert row.status == Status.CANCELLED
    assert "recipient" in row.status_reason


def test_a_row_claimed_once_cannot_be_claimed_again(alice, bob):
    Wave.objects.create(actor=bob, target=alice)

    first = notifications_claim_due(limit=10, worker="one")
    second = notifications_claim_due(limit=10, worker="two")

    assert [row.pk for row in first] == [Notification.objects.get().pk]
    assert second == []
    row = Notification.objects.get()
    assert row.status == Status.SENDING
    assert row.lease_expires_at > timezone.now()


def test_an_expired_lease_returns_the_row_to_queued_and_it_is_delivered(
    outbox_mailers, smtp_sink, alice, bob, deliver
):
    Wave.objects.create(actor=bob, target=alice)
    [claimed] = notifications_claim_due(limit=10, worker="crashed")
    assert notifications_release_expired_leases() == 0  # lease still valid
    Notification.objects.filter(pk=claimed.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert sweep() == 1

    row = Notification.objects.get()
    assert row.status == Status.QUEUED
    [lost] = DeliveryAttempt.objects.filter(notification=row)
    assert lost.outcome == DeliveryAttempt.Outcome.LOST
    assert "the lease expired" in lost.error and "crashed" in lost.error
    deliver()
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert len(smtp_sink.messages) == 1


def test_a_worker_that_lost_its_lease_cannot_record_an_outcome(
    outbox_mailers, smtp_sink, alice, bob
):
    Wave.objects.create(actor=bob, target=alice)
    [stale] = notifications_claim_due(limit=10, worker="slow")
    Notification.objects.filter(pk=stale.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    notifications_release_expired_leases()
    [fresh] = notifications_claim_due(limit=10, worker="fast")

    notifications_send(notifications=[stale])

    fresh.refresh_from_db()
    assert fresh.status == Status.SENDING
    assert fresh.claimed_by != stale.claimed_by


def test_a_batch_goes_over_one_connection(outbox_mailers, smtp_sink, alice, deliver):
    for i in range(5):
        Note.objects.create(
            author=UserFactory(username=f"writer{i}"), recipient=alice, body=f"#{i}"
        )
    before = smtp_sink.connections
    deliver()
    assert len(smtp_sink.messages) == 5
    assert smtp_sink.connections - before == 1


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_commits_shares_one_pending_wake_up(monkeypatch):
    from notifications import queue, tasks
    from notifications.dispatch import drain

    woken: list[bool] = []
    monkeypatch.setattr(queue, "wake_ups_are_writes", lambda: True)
    monkeypatch.setattr(queue, "wake", lambda **_: woken.append(True) or True)
    fan = UserFactory()
    for _ in range(3):  # three commits
        Wave.objects.create(actor=fan, target=UserFactory())
    assert len(woken) == 1  # the later commits found the first wake-up pending

    monkeypatch.setattr(drain, "notifications_send", lambda **_: None)
    tasks.deliver_due()  # clears the flag before it claims
    Wave.objects.create(actor=fan, target=UserFactory())
    assert len(woken) == 2


@pytest.mark.django_db(transaction=True)
def test_a_wake_up_the_broker_refused_is_not_left_pending(monkeypatch):
    from notifications import queue

    woken: list[bool] = []
    monkeypatch.setattr(queue, "wake_ups_are_writes", lambda: True)
    monkeypatch.setattr(queue, "wake", lambda **_: woken.append(True) or False)
    fan = UserFactory()
    for _ in range(2):
        Wave.objects.create(actor=fan, target=UserFactory())
    assert len(woken) == 2  # each commit tried the broker itself


def test_a_wake_up_that_ran_leaves_no_task_result_and_one_that_failed_does():
    """The outbox says what a wake-up did; django-q2's monitor would otherwise
    prune and insert a task result for every one, in write transactions that
    every request's write waits for on SQLite."""
    from django_q.models import Failure, Success
    from django_q.monitor import save_task
    from django_q.signing import SignedPackage

    from notifications import queue

    broker = queue._broker()
    broker.purge_queue()
    queue.wake()
    [(_ack, package)] = broker.dequeue()
    task = SignedPackage.loads(package)
    assert task["name"] == "notifications.deliver_due"
    assert task["save"] is False

    # What the monitor does with the result (sync: no connection juggling).
    ran = {**task, "sync": True, "success": True, "result": 1, "stopped": timezone.now()}
    save_task(ran, broker)
    assert not Success.objects.exists()
    failed = {**ran, "success": False, "result": "Traceback ..."}
    save_task(failed, broker)
    assert Failure.objects.filter(name="notifications.deliver_due").count() == 1


def test_a_task_stops_claiming_batches_when_its_time_is_up(
    outbox_mailers, smtp_sink, settings, monkeypatch
):
    from notifications import queue, tasks

    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "TASK_SECONDS": 0}
    for name in ("carol", "dave", "erin"):
        Notification.objects.create(
            kind="email", to_address=f"{name}@example.com", message=None, subject=name
        )
    woken = []
    monkeypatch.setattr(queue, "wake", lambda **kw: woken.append(kw))

    handled = tasks.deliver_due(batch_size=1, spread=True)

    assert handled == 1  # one batch, then the budget was spent
    assert woken, "the rest is handed to a new task"


def test_a_sender_whose_domain_is_internationalised_names_it_in_ascii(
    outbox_mailers, smtp_sink, alice, bob, deliver, settings
):
    """The Message-ID and Feedback-ID carry the sender's domain as From does,
    in its ASCII form: a header in Unicode cannot be written, and every email
    would wait for retries that can never succeed."""
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "FROM_EMAIL": "Site <noreply@bücher.example>",
        "FEEDBACK_ID_SENDER": "",
    }
    Wave.objects.create(actor=bob, target=alice)

    deliver()

    [received] = smtp_sink.messages
    assert Notification.objects.get().status == Status.SENT
    assert received.header("From") == "Site <noreply@xn--bcher-kva.example>"
    assert received.header("Message-ID").endswith("@xn--bcher-kva.example>")
    assert received.header("Feedback-ID").endswith(":xn--bcher-kva.example")


def test_a_site_whose_host_is_internationalised_links_to_it_in_ascii(
    outbox_mailers, smtp_sink, alice, bob, deliver, settings
):
    """List-Unsubscribe holds an URI (RFC 2369): the host in its ASCII form,
    as every link is. The name the site signs with stays as people read it."""
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "SITE_URL": "https://bücher.example:8443",
        "SITE_NAME": "",
    }
    Wave.objects.create(actor=bob, target=alice)

    deliver()

    [received] = smtp_sink.messages
    assert received.header("List-Unsubscribe").startswith(
        "<https://xn--bcher-kva.example:8443/notifications/unsubscribe/"
    )
    assert "https://xn--bcher-kva.example:8443/people/bob/" in received.part("text/plain")
    assert conf.SITE_NAME == "bücher.example"


def test_control_characters_in_a_name_do_not_reach_the_subject(
    outbox_mailers, smtp_sink, alice, deliver
):
    """A name set outside the site's forms may hold an escape sequence, or a
    mark that reads the rest backwards (a NUL too, where the database takes
    one: PostgreSQL does not)."""
    mallory = UserFactory(username="mal\x1b[2Jlory\u202e", email="m@example.com")
    Wave.objects.create(actor=mallory, target=alice)

    deliver()

    [received] = smtp_sink.messages
    assert received.header("Subject") == "mal[2Jlory waved at you"
    head = received.raw.split(b"\r\n\r\n")[0]
    assert not any(byte < 32 and byte not in (9, 10, 13) for byte in head)
