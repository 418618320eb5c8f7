"""The wake-up after commit: after the commit only, once per commit, never swallowed;
inside a request, once its response has been sent."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.http import HttpResponse
from django.test import AsyncClient, RequestFactory, override_settings
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from notifications import queue
from notifications.enqueue import wake_on_commit
from notifications.models import Notification
from notifications.tests.factories import UserFactory
from notifications.tests.testapp.notifications import security_alert_notify

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def woken(monkeypatch):  # type: ignore[no-untyped-def]
    calls: list[bool] = []

    def wake(**_: object) -> bool:
        calls.append(True)
        return True

    wake.woken = calls  # type: ignore[attr-defined]
    monkeypatch.setattr(queue, "wake_ups_are_writes", lambda: False)
    monkeypatch.setattr(queue, "wake", wake)
    yield calls
    # A test that failed inside a request must not leave the next one in it.
    request_finished.send(sender=None)


def test_a_transaction_that_asks_many_times_wakes_once_after_it_commits(woken):
    with transaction.atomic():
        for _ in range(5):
            wake_on_commit()
        assert woken == []
    assert woken == [True]


def test_each_commit_wakes_again(woken):
    for _ in range(3):
        with transaction.atomic():
            wake_on_commit()
    assert woken == [True, True, True]


def test_a_rolled_back_transaction_wakes_nobody_and_does_not_swallow_the_next(woken):
    with pytest.raises(RuntimeError), transaction.atomic():
        wake_on_commit()
        raise RuntimeError("the request failed")
    assert woken == []
    with transaction.atomic():
        wake_on_commit()
    assert woken == [True]


def test_a_rolled_back_savepoint_keeps_the_outer_transactions_wake_up(woken):
    with transaction.atomic():
        wake_on_commit()
        with pytest.raises(RuntimeError), transaction.atomic():
            wake_on_commit()
            raise RuntimeError("a nested step failed")
    assert woken == [True]


def test_outside_a_transaction_it_wakes_at_once(woken):
    wake_on_commit()
    wake_on_commit()
    assert woken == [True, True]


# Inside a request: the wake-up waits until the response has been sent.


def test_inside_a_request_the_wake_up_waits_for_the_response(woken):
    request_started.send(sender=None)
    with transaction.atomic():
        wake_on_commit()
    assert woken == []  # committed, but the response is not sent yet
    request_finished.send(sender=None)
    assert woken == [True]


def test_a_request_that_commits_several_times_wakes_once(woken):
    request_started.send(sender=None)
    for _ in range(3):
        with transaction.atomic():
            wake_on_commit()
    wake_on_commit()  # and once outside a transaction
    request_finished.send(sender=None)
    assert woken == [True]


def test_a_request_that_rolls_back_wakes_nobody_and_the_next_request_does(woken):
    request_started.send(sender=None)
    with pytest.raises(RuntimeError), transaction.atomic():
        wake_on_commit()
        raise RuntimeError("the request failed")
    request_finished.send(sender=None)
    assert woken == []
    request_started.send(sender=None)
    with transaction.atomic():
        wake_on_commit()
    request_finished.send(sender=None)
    assert woken == [True]


def test_a_request_that_never_finished_wakes_the_workers_when_the_next_one_starts(woken):
    request_started.send(sender=None)
    with transaction.atomic():
        wake_on_commit()
    request_started.send(sender=None)  # no request_finished for the first one
    assert woken == [True]
    request_finished.send(sender=None)
    assert woken == [True]


def test_after_a_request_commits_wake_at_once_again(woken):
    request_started.send(sender=None)
    request_finished.send(sender=None)
    with transaction.atomic():
        wake_on_commit()
    assert woken == [True]


@csrf_exempt
def _alert_view(request):  # type: ignore[no-untyped-def]
    user = get_user_model().objects.get(username=request.POST["username"])
    with transaction.atomic():
        security_alert_notify(user=user, what="a new sign-in")
    # Committed: how many wake-ups had happened by then, for the test to read.
    return HttpResponse(f"stored; woken {len(queue.wake.woken)}")  # type: ignore[attr-defined]


urlpatterns = [path("alert/", _alert_view)]


@override_settings(ROOT_URLCONF=__name__)
def test_a_wsgi_server_wakes_the_workers_when_it_closes_the_sent_response(woken):
    """As a WSGI server serves it: the body is written out, then the response
    closed (Django's request_finished); the wake-up comes with the closing."""
    UserFactory(username="ada")
    environ = RequestFactory().post("/alert/", {"username": "ada"}).environ
    statuses: list[str] = []
    response = WSGIHandler()(environ, lambda status, headers: statuses.append(status))
    body = b"".join(response)
    assert (statuses, body) == (["200 OK"], b"stored; woken 0")
    assert Notification.objects.filter(kind="security_alert").count() == 1
    assert woken == []
    response.close()
    assert woken == [True]


@override_settings(ROOT_URLCONF=__name__)
def test_under_asgi_too_the_wake_up_waits_for_the_response(woken):
    """ASGI serves a request across threads and tasks: the request's wake-up
    still waits for its response, and happens once."""
    UserFactory(username="ada")
    response = async_to_sync(AsyncClient().post)("/alert/", {"username": "ada"})
    assert response.content == b"stored; woken 0"
    assert woken == [True]
