"""notifications_status and /healthz."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

import notifications
from notifications.models import Heartbeat, Notification
from notifications.tasks import sweep
from notifications.tests.support.database import current_database_url

# The directory holding the notifications package: a process started there imports it.
PACKAGE_PARENT = Path(notifications.__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db


def test_status_is_healthy_after_a_sweep(capsys):
    sweep()
    call_command("notifications_status")
    out = capsys.readouterr().out
    assert "queued" in out
    assert "Healthy" in out


def test_status_is_unhealthy_when_every_email_of_the_hour_failed(capsys):
    sweep()
    for name in ("a", "b", "c"):
        Notification.objects.create(
            kind="email", to_address=f"{name}@example.com", status=Notification.Status.FAILED
        )

    with pytest.raises(CommandError) as raised:
        call_command("notifications_status")

    assert raised.value.returncode == 1
    assert "3 emails failed in the last hour and none was sent" in capsys.readouterr().err


def test_status_counts_waiting_rows_apart_from_the_due_backlog(capsys, alice):
    sweep()
    Notification.objects.create(
        kind="note",
        recipient=alice,
        to_address="alice@example.com",
        group_key="note:1",
        next_attempt_at=timezone.now() + timedelta(minutes=5),
    )
    call_command("notifications_status")
    out = capsys.readouterr().out
    assert "Due now: 0, oldest due row waiting: -" in out
    assert "Waiting, not due yet: 1 (coalescing 1), next due at" in out
    assert "Healthy" in out


def test_status_fails_without_a_heartbeat():
    with pytest.raises(CommandError) as error:
        call_command("notifications_status")
    assert error.value.returncode == 1


def test_status_fails_with_a_stale_heartbeat():
    Heartbeat.objects.create(name="sweep", seen_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(CommandError):
        call_command("notifications_status")


def test_status_fails_when_due_rows_wait_too_long(capsys):
    sweep()
    Notification.objects.create(
        kind="email",
        to_address="x@example.com",
        next_attempt_at=timezone.now() - timedelta(hours=1),
    )
    with pytest.raises(CommandError):
        call_command("notifications_status")
    assert "oldest due row" in capsys.readouterr().err


def _status_process() -> subprocess.CompletedProcess[str]:
    """`django-admin notifications_status` in a process of its own, on the test database."""
    return subprocess.run(
        [sys.executable, "-m", "django", "notifications_status"],
        cwd=PACKAGE_PARENT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "notifications.tests.settings",
            "DATABASE_URL": current_database_url(),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.django_db(transaction=True)
def test_status_exit_code_from_the_command_line():
    unhealthy = _status_process()
    assert unhealthy.returncode == 1, unhealthy.stderr
    assert "Unhealthy" in unhealthy.stderr

    sweep()  # writes the heartbeat a running worker would
    healthy = _status_process()
    assert healthy.returncode == 0, healthy.stderr
    assert "Healthy" in healthy.stdout


@pytest.mark.django_db(transaction=True)
def test_purge_and_retry_commands():
    old = timezone.now() - timedelta(days=100)
    Notification.objects.create(kind="email", to_address="a@example.com", status="sent")
    Notification.objects.create(kind="email", to_address="b@example.com", status="sent")
    Notification.objects.create(kind="email", to_address="c@example.com", status="queued")
    Notification.objects.filter(to_address__in=["a@example.com", "c@example.com"]).update(
        created_at=old, updated_at=old
    )
    call_command("notifications_purge", "--older-than", "90")
    assert sorted(Notification.objects.values_list("to_address", flat=True)) == [
        "b@example.com",
        "c@example.com",
    ]

    Notification.objects.filter(to_address="b@example.com").update(status="failed", attempts=10)
    call_command("notifications_retry", "--hours", "1")
    retried = Notification.objects.get(to_address="b@example.com")
    assert (retried.status, retried.attempts) == ("queued", 0)


def test_healthz_is_ok_when_database_and_broker_answer():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "broker": True}


def test_healthz_is_503_when_the_broker_is_down(require_redis, monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "REDIS", "redis://127.0.0.1:1/0")
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] is False


def test_status_json_has_the_text_figures_under_stable_keys(capsys, alice):
    sweep()
    Notification.objects.create(
        kind="email", to_address="a@example.com", status="sent", sent_at=timezone.now()
    )
    Notification.objects.create(
        kind="email",
        to_address="b@example.com",
        next_attempt_at=timezone.now() - timedelta(seconds=30),
    )
    Notification.objects.create(
        kind="note",
        recipient=alice,
        to_address="alice@example.com",
        group_key="note:1",
        next_attempt_at=timezone.now() + timedelta(minutes=5),
    )
    call_command("notifications_status", "--json")
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {
        "healthy", "problems", "counts", "due", "oldest_due_age_seconds", "waiting", "held",
        "last_hour", "last_success_at", "heartbeat_age_seconds",
    }  # fmt: skip
    assert document["healthy"] is True
    assert document["problems"] == []
    assert document["counts"]["queued"] == 2
    assert document["counts"]["sent"] == 1
    assert set(document["counts"]) == {s.value for s in Notification.Status}
    assert document["due"] == 1
    assert 30 <= document["oldest_due_age_seconds"] < 60
    assert document["waiting"]["total"] == 1
    assert document["waiting"]["by_cause"]["coalescing"] == 1
    assert document["waiting"]["next_due_at"].endswith("+00:00")
    assert document["held"] == {"total": 0, "by_cause": {"digest": 0, "hourly_limit": 0}}
    assert document["last_hour"] == {"sent": 1, "failed": 0}
    assert document["last_success_at"] is not None
    assert document["heartbeat_age_seconds"] < 5


def test_status_json_without_a_heartbeat_says_why_and_exits_1(capsys):
    with pytest.raises(CommandError) as error:
        call_command("notifications_status", "--json")
    assert error.value.returncode == 1
    document = json.loads(capsys.readouterr().out)
    assert document["healthy"] is False
    assert document["heartbeat_age_seconds"] is None
    assert document["oldest_due_age_seconds"] is None
    assert document["last_success_at"] is None
    assert "no worker heartbeat" in document["problems"][0]
