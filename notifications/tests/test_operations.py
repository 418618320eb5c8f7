"""notifications_status and /healthz."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from notifications.models import Heartbeat, Notification
from notifications.tasks import sweep

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


def test_status_exit_code_from_the_command_line():
    import subprocess
    import sys

    from tests.support.processes import BASE_DIR

    result = subprocess.run(
        [sys.executable, "manage.py", "notifications_status", "--help"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0


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
