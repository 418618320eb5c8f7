"""Fixtures of the framework's own suite: people, a real SMTP server, the worker run inline.

This suite runs with its own settings (notifications/pytest.ini), never with
the host project's conftest. A test that needs a service carries its marker,
so a CI pass without that service deselects it; with CI=true a missing
service fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from notifications.models import Notification
from notifications.tasks import deliver_due
from notifications.tests.factories import UserFactory
from notifications.tests.support.smtp import SmtpSink

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

SERVICE_MARKERS = {"require_postgres": "postgres", "require_redis": "redis"}


def require(available: bool, what: str) -> None:
    """Skip a test whose service is missing, but fail in CI: CI never skips silently."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} is not available")


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
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


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
def alice(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="alice", email="alice@example.com")


@pytest.fixture
def bob(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="bob", email="bob@example.com")


@pytest.fixture
def staff_client(db) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def deliver():  # type: ignore[no-untyped-def]
    """Run the worker's task in-process, as qcluster would."""

    def run() -> int:
        return deliver_due()

    return run


@pytest.fixture
def make_due():  # type: ignore[no-untyped-def]
    """Pretend time has passed: every queued row is due now."""

    def run() -> int:
        return Notification.objects.filter(status=Notification.Status.QUEUED).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )

    return run
