"""notifications_status and /healthz."""

from __future__ import annotations

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
        updated_at=old
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
