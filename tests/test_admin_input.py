"""Hand-made input to the admin, from signed-in staff: a clear 400, never a
server error, on every model's list (microblog.adminsite)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from microblog.adminsite import BoundedInputMixin
from notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client() -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_every_registered_model_admin_bounds_its_input():
    assert admin.site._registry
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, BoundedInputMixin), model


@pytest.mark.parametrize("selected", ["abc", "%FF", "9" * 21, "x" * 100_000])
@pytest.mark.parametrize(
    ("changelist", "action"),
    [
        ("admin:accounts_user_changelist", "delete_selected"),
        ("admin:notifications_notification_changelist", "retry_now"),
    ],
)
def test_an_action_on_a_key_the_list_cannot_hold_is_a_bad_request(
    superuser_client, changelist, action, selected
):
    users = User.objects.count()

    response = superuser_client.post(
        reverse(changelist), {"action": action, "_selected_action": [selected], "post": "yes"}
    )

    assert response.status_code == 400, response.content[:200]
    assert User.objects.count() == users


def test_a_selected_key_longer_than_a_text_key_can_be_is_a_bad_request(superuser_client):
    # django-q2's task results are keyed by 32-character strings.
    response = superuser_client.post(
        reverse("admin:django_q_success_changelist"),
        {"action": "delete_selected", "_selected_action": ["x" * 100_000], "post": "yes"},
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "search", ["a " * 51, "x" * 1001, "%" * 25_001], ids=["51 words", "1001 characters", "%"]
)
@pytest.mark.parametrize(
    "changelist",
    ["admin:accounts_user_changelist", "admin:notifications_notification_changelist"],
)
def test_a_search_too_long_for_the_database_is_a_bad_request(superuser_client, changelist, search):
    response = superuser_client.get(reverse(changelist), {"q": search})
    assert response.status_code == 400


def test_a_long_ordinary_search_still_works(superuser_client):
    Notification.objects.create(kind="email", to_address="someone@example.com")
    response = superuser_client.get(
        reverse("admin:notifications_notification_changelist"), {"q": "someone@example.com " * 10}
    )
    assert response.status_code == 200


def test_cleaning_up_expired_sign_in_attempts_works_from_the_admin(superuser_client):
    old = AccessAttempt.objects.create(
        username="alice",
        ip_address="203.0.113.7",
        failures_since_start=3,
        user_agent="",
        path_info="/",
    )
    AccessAttempt.objects.filter(pk=old.pk).update(attempt_time=timezone.now() - timedelta(days=2))

    response = superuser_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "cleanup_expired_attempts", "_selected_action": [old.pk]},
    )

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(pk=old.pk).exists()


def test_staff_see_whether_signing_in_is_paused_for_an_account_or_an_address(superuser_client):
    from django.test import Client as Browser

    for n in range(10):
        Browser().post(
            reverse("accounts:login"),
            {"username": "carol", "password": "wrong"},
            REMOTE_ADDR=f"198.51.100.{n}",
        )
    for n in range(50):
        Browser().post(
            reverse("accounts:login"),
            {"username": f"guess{n}", "password": "wrong"},
            REMOTE_ADDR="203.0.113.9",
        )
    url = reverse("admin:axes_accessattempt_changelist")

    page = superuser_client.get(url).content.decode()
    paused = superuser_client.get(url, {"paused": "yes"}).content.decode()
    running = superuser_client.get(url, {"paused": "no"}).content.decode()

    assert "Paused for this account" in page and "Paused from this address" in page
    assert "198.51.100.3" in paused and "203.0.113.9" in paused
    assert "198.51.100.3" not in running
