"""Fixtures of the delivery engine's tests: users, and running the worker inline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from notifications.models import Notification
from notifications.tasks import deliver_due


@pytest.fixture
def alice(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="alice", email="alice@example.com")


@pytest.fixture
def bob(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="bob", email="bob@example.com")


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
