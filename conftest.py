"""Fixtures shared by the project's suite.

The notifications framework's own suite (notifications/tests) runs apart, with
its own settings and conftest; this one serves accounts, microblog and tests/.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from notifications.models import Notification
from notifications.tasks import deliver_due
from notifications.tests.support.smtp import SmtpSink
from tests.support.processes import ManagedProcess

# Never collected with the project's settings, even by `pytest .`: the framework's
# suite has settings of its own (notifications/pytest.ini).
collect_ignore = ["notifications"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(autouse=True)
def _a_fresh_cache() -> Iterator[None]:
    """The sign-up and password-reset throttles count in the cache: no test
    starts with another's counts."""
    cache.clear()
    yield
    cache.clear()


def require(available: bool, what: str) -> None:
    """Skip a test whose service is missing, but fail in CI: CI never skips silently."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} is not available")


# Tests that need a service carry its marker, so a CI pass without that service
# deselects them (-m "not postgres") instead of skipping them.
SERVICE_MARKERS = {"require_postgres": "postgres", "require_redis": "redis"}


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    for item in items:
        for fixture, marker in SERVICE_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def require_postgres(db) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection

    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL=postgres://...)")


@pytest.fixture
def require_redis() -> None:
    require(bool(settings.REDIS_URL) and _port_open("127.0.0.1", 6379), "Redis (REDIS_URL)")


@pytest.fixture
def require_chromium() -> None:
    require(Path("/usr/bin/chromium").exists(), "Chromium at /usr/bin/chromium")


@pytest.fixture
def outbox_mailers(settings, smtp_sink):  # type: ignore[no-untyped-def]
    """Restore the real mailers (Django's test runner swaps them all for locmem).

    "default" is the outbox; "delivery" talks SMTP to the test's sink.
    """
    settings.MAILERS = {
        "default": {"BACKEND": "notifications.backends.OutboxEmailBackend"},
        "delivery": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": smtp_sink.port, "timeout": 5},
        },
    }
    return settings.MAILERS


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    path = tmp_path / "proc"
    path.mkdir()
    return path


@pytest.fixture
def qcluster(transactional_db, smtp_sink, run_dir):  # type: ignore[no-untyped-def]
    """Start real `manage.py qcluster` processes delivering to the test's sink.

    Call the fixture's value to start one (optionally with extra env); every
    process started is stopped, with its whole process group, at teardown.
    """
    started: list[ManagedProcess] = []

    def start(env: dict[str, str] | None = None) -> ManagedProcess:
        process = ManagedProcess(
            ["qcluster"],
            run_dir / f"qcluster-{len(started)}.log",
            env={"EMAIL_URL": smtp_sink.url, **(env or {})},
        ).start()
        started.append(process)
        return process

    yield start
    for process in started:
        # Every row is in the database: a SIGKILL loses nothing, and waiting
        # for a graceful qcluster shutdown would add seconds to every test.
        process.kill()


@pytest.fixture
def user(db):  # type: ignore[no-untyped-def]
    return UserFactory()


@pytest.fixture
def other(db):  # type: ignore[no-untyped-def]
    return UserFactory()


@pytest.fixture
def user_client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="alice", email="alice@example.com")


@pytest.fixture
def bob(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="bob", email="bob@example.com")


@pytest.fixture
def deliver():  # type: ignore[no-untyped-def]
    """Run the notification worker's task in-process, as qcluster would."""

    def run() -> int:
        return deliver_due()

    return run


@pytest.fixture
def make_due():  # type: ignore[no-untyped-def]
    """Pretend time has passed: every queued outbox row is due now."""

    def run() -> int:
        return Notification.objects.filter(status=Notification.Status.QUEUED).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )

    return run
