"""The jobs on Django's own tasks framework (NOTIFICATIONS["JOB_BACKEND"] = "django_tasks").

Deliveries are enqueued as ``deliver_due_job`` on the TASKS backend; the
periodic jobs run from cron as management commands, since ``django.tasks``
has no scheduler. Django's ImmediateBackend runs each task as it is enqueued,
so what a worker would do happens inside the test; django-q2 is never asked.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.tasks.base import TaskResultStatus
from django.tasks.signals import task_finished
from django_q.models import Schedule

from notifications import queue
from notifications.models import Heartbeat, Notification, Preference
from notifications.preferences import preference_set
from notifications.tasks import daily_digest_job, deliver_due_job, sweep_job
from notifications.tests.testapp.models import Wave

pytestmark = pytest.mark.django_db
Status = Notification.Status
IMMEDIATE = {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}


@pytest.fixture
def django_tasks(settings, monkeypatch):  # type: ignore[no-untyped-def]
    """Jobs on django.tasks (the immediate backend), and django-q2 out of the picture."""
    import django_q.tasks

    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "JOB_BACKEND": "django_tasks"}
    settings.TASKS = {"default": IMMEDIATE}

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("django-q2 was asked to run a job")

    monkeypatch.setattr(django_q.tasks, "async_task", refuse)


@pytest.fixture
def finished():  # type: ignore[no-untyped-def]
    """The results of the tasks that ran, in order."""
    results = []

    def record(sender, task_result, **kwargs):  # type: ignore[no-untyped-def]
        results.append(task_result)

    task_finished.connect(record, dispatch_uid="notifications.tests.finished_tasks")
    yield results
    task_finished.disconnect(dispatch_uid="notifications.tests.finished_tasks")


def ran(results) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(result.task.name, result.status) for result in results]


def test_an_enqueued_notification_is_delivered_at_commit_by_the_deliver_job(
    django_tasks,
    finished,
    outbox_mailers,
    smtp_sink,
    alice,
    bob,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        Wave.objects.create(actor=bob, target=alice)
        assert finished == []  # nothing runs before the commit

    assert ran(finished) == [("deliver_due_job", TaskResultStatus.SUCCESSFUL)]
    assert finished[0].return_value == 1
    [received] = smtp_sink.messages
    assert received.header("Subject") == "bob waved at you"
    assert Notification.objects.get().status == Status.SENT


def test_the_jobs_go_to_the_tasks_backend_named_in_the_settings(
    django_tasks, settings, finished, outbox_mailers, smtp_sink, alice, bob
):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"},
        "mail": IMMEDIATE,
    }
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "TASKS_BACKEND": "mail"}
    Wave.objects.create(actor=bob, target=alice)

    assert queue.wake() is True

    assert [result.backend for result in finished] == ["mail"]
    assert len(smtp_sink.messages) == 1


def test_the_sweep_command_finds_rows_whose_wake_up_was_lost_and_delivers_them(
    django_tasks, finished, outbox_mailers, smtp_sink, alice, bob
):
    Wave.objects.create(actor=bob, target=alice)  # its wake-up never comes: no commit here
    out = StringIO()

    call_command("notifications_sweep", stdout=out)

    assert out.getvalue().strip() == "Sweep done: 1 due row(s) found."
    assert ran(finished) == [("deliver_due_job", TaskResultStatus.SUCCESSFUL)]
    assert len(smtp_sink.messages) == 1
    assert Heartbeat.objects.filter(name=Heartbeat.SWEEP).exists()


def test_the_digest_command_writes_the_digests_and_the_deliver_job_sends_them(
    django_tasks,
    finished,
    outbox_mailers,
    smtp_sink,
    alice,
    bob,
    django_capture_on_commit_callbacks,
):
    preference_set(user=alice, category="waves", mode=Preference.Mode.DIGEST)
    Wave.objects.create(actor=bob, target=alice)
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("notifications_digest", stdout=out)

    assert out.getvalue().strip() == "Wrote 1 daily digest(s)."
    assert ran(finished) == [("deliver_due_job", TaskResultStatus.SUCCESSFUL)]
    [received] = smtp_sink.messages
    assert received.header("Subject") == "Your daily digest: 1 new notification"


def test_each_of_the_three_jobs_runs_as_a_django_task(
    django_tasks, finished, outbox_mailers, smtp_sink, alice, bob
):
    preference_set(user=alice, category="waves", mode=Preference.Mode.DIGEST)
    Wave.objects.create(actor=bob, target=alice)

    assert daily_digest_job.enqueue().return_value == 1
    assert sweep_job.enqueue().return_value == 1  # the digest row is due
    assert deliver_due_job.enqueue(spread=False).return_value == 0  # the sweep sent it

    assert [name for name, _ in ran(finished)] == [
        "daily_digest_job",
        "deliver_due_job",  # woken by the sweep
        "sweep_job",
        "deliver_due_job",
    ]
    assert {status for _, status in ran(finished)} == {TaskResultStatus.SUCCESSFUL}
    assert len(smtp_sink.messages) == 1


def test_no_django_q_schedule_is_made_when_cron_runs_the_periodic_jobs(django_tasks):
    Schedule.objects.all().delete()

    queue.schedules_ensure()

    assert not Schedule.objects.exists()
    assert queue.schedules_tables_ready("default") is False
    assert queue.broker_ping() is True
