"""The outbox admin, dashboard and previews: for staff only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from notifications.admin.records import PreferenceAdmin
from notifications.models import Notification, Preference, Suppression
from notifications.preferences import preference_set
from notifications.tests.factories import UserFactory
from notifications.tests.testapp.models import Wave

pytestmark = pytest.mark.django_db
Status = Notification.Status


@pytest.fixture
def user_client():  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(UserFactory(username="mallory"))
    return client


@pytest.fixture
def sent_row(outbox_mailers, smtp_sink, alice, bob, deliver):  # type: ignore[no-untyped-def]
    Wave.objects.create(actor=bob, target=alice)
    deliver()
    return Notification.objects.get()


@pytest.fixture
def viewer_client():  # type: ignore[no-untyped-def]
    """Staff who may only look at the outbox."""
    from django.contrib.auth.models import Permission

    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_notification"))
    client = Client()
    client.force_login(viewer)
    return client


PAGES = [
    "admin:notifications_notification_changelist",
    "admin:notifications_dashboard",
    "admin:notifications_preview",
    "admin:notifications_suppression_changelist",
    "admin:notifications_trackingevent_changelist",
    "admin:notifications_preference_changelist",
]


@pytest.mark.parametrize("name", PAGES)
def test_staff_see_the_page(staff_client, sent_row, name):
    assert staff_client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_non_staff_are_refused(user_client, name):
    response = user_client.get(reverse(name))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_detail_page_shows_the_html_in_a_sandboxed_iframe(staff_client, sent_row):
    response = staff_client.get(
        reverse("admin:notifications_notification_change", args=[sent_row.pk])
    )
    body = response.content.decode()
    assert response.status_code == 200
    html_url = reverse("admin:notifications_notification_html", args=[sent_row.pk])
    assert f'<iframe sandbox="" src="{html_url}"' in body
    assert "List-Unsubscribe" in body
    assert "bob waved at you" in body


def test_the_email_html_is_served_for_framing_under_its_own_policy(staff_client, sent_row):
    response = staff_client.get(
        reverse("admin:notifications_notification_html", args=[sent_row.pk])
    )
    assert response.status_code == 200
    assert response.content.startswith(b"<!DOCTYPE html>")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    policy = response["Content-Security-Policy"]
    assert "sandbox" in policy
    assert "default-src 'none'" in policy
    assert "style-src 'unsafe-inline'" in policy


def test_the_email_html_is_not_for_non_staff(user_client, sent_row):
    url = reverse("admin:notifications_notification_html", args=[sent_row.pk])
    assert user_client.get(url).status_code == 302


def test_preview_html_of_each_type_and_language(staff_client):
    for key in ("waved", "note", "security_alert", "digest"):
        for code in ("en", "zh-hans"):
            url = reverse("admin:notifications_preview_html", args=[key, code])
            response = staff_client.get(url)
            assert response.status_code == 200
            assert b"<html" in response.content


def test_preview_html_of_an_unknown_type_is_404(staff_client):
    url = reverse("admin:notifications_preview_html", args=["nope", "en"])
    assert staff_client.get(url).status_code == 404


def test_the_dashboard_draws_the_hourly_chart(staff_client, sent_row):
    body = staff_client.get(reverse("admin:notifications_dashboard")).content.decode()
    assert '<rect class="bar-sent"' in body
    assert "style=" not in body.split('<div id="content-main"')[1]


def test_the_preview_renders_every_type_in_every_language(staff_client):
    body = staff_client.get(reverse("admin:notifications_preview")).content.decode()
    for key in ("waved", "note", "security_alert", "digest"):
        assert f"{key} · English" in body
        assert f"{key} · 简体中文" in body
    assert "bob, carol and 2 others waved at you" in body  # from a sample context
    assert "Security alert: a new sign-in" in body  # from sample params
    assert "errornote" not in body


def _action(client, action, rows):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("admin:notifications_notification_changelist"),
        {"action": action, "_selected_action": [row.pk for row in rows]},
    )


def test_retry_now_requeues_a_failed_row(staff_client, sent_row):
    Notification.objects.filter(pk=sent_row.pk).update(status=Status.FAILED, attempts=10)
    _action(staff_client, "retry_now", [sent_row])
    sent_row.refresh_from_db()
    assert sent_row.status == Status.QUEUED
    assert sent_row.attempts == 0


def test_cancel_only_touches_rows_not_yet_claimed(staff_client, sent_row, alice):
    queued = Notification.objects.create(kind="email", to_address="x@example.com")
    _action(staff_client, "cancel", [sent_row, queued])
    sent_row.refresh_from_db()
    queued.refresh_from_db()
    assert sent_row.status == Status.SENT
    assert queued.status == Status.CANCELLED


def test_resend_as_new_queues_a_copy(staff_client, sent_row, deliver, smtp_sink):
    _action(staff_client, "resend_as_new", [sent_row])
    copy = Notification.objects.exclude(pk=sent_row.pk).get()
    assert copy.status == Status.QUEUED
    deliver()
    assert len(smtp_sink.messages) == 2


def test_staff_can_add_a_suppression(staff_client):
    response = staff_client.post(
        reverse("admin:notifications_suppression_add"),
        {"address": "gone@example.com", "reason": "manual", "note": "asked by phone"},
    )
    assert response.status_code == 302
    assert Suppression.objects.filter(address="gone@example.com").exists()


def test_view_only_staff_get_no_actions(viewer_client, sent_row):
    response = viewer_client.get(reverse("admin:notifications_notification_changelist"))
    assert response.status_code == 200
    assert "retry_now" not in response.text
    Notification.objects.filter(pk=sent_row.pk).update(status=Status.FAILED)
    _action(viewer_client, "retry_now", [sent_row])
    sent_row.refresh_from_db()
    assert sent_row.status == Status.FAILED


def test_transactional_bodies_are_for_superusers_only(viewer_client, staff_client, alice):
    row = Notification.objects.create(
        kind="email",
        transactional=True,
        to_address="alice@example.com",
        subject="Reset your password",
        body_text="https://example.com/reset/secret-token/",
        body_html="<p>secret-token</p>",
    )
    change = reverse("admin:notifications_notification_change", args=[row.pk])
    html = reverse("admin:notifications_notification_html", args=[row.pk])

    assert "secret-token" not in viewer_client.get(change).text
    assert viewer_client.get(html).status_code == 403
    assert "secret-token" in staff_client.get(change).text
    assert staff_client.get(html).status_code == 200


def test_a_suppression_added_in_another_case_is_a_form_error(staff_client):
    Suppression.objects.create(address="foo@example.com", reason="bounced")
    response = staff_client.post(
        reverse("admin:notifications_suppression_add"),
        {"address": "Foo@Example.com", "reason": "manual", "note": ""},
    )
    assert response.status_code == 200
    assert "already suppressed" in response.text
    assert Suppression.objects.count() == 1


def test_a_suppression_added_by_staff_is_stored_lower_cased(staff_client):
    staff_client.post(
        reverse("admin:notifications_suppression_add"),
        {"address": " Bar@Example.com ", "reason": "manual", "note": "asked by phone"},
    )
    assert Suppression.objects.get().address == "bar@example.com"


# --- a project's own user model ---------------------------------------------------


def test_preferences_are_searched_by_the_user_models_username_and_email_fields(
    staff_client, alice, bob
):
    preference_set(user=alice, category="waves", mode=Preference.Mode.OFF)
    preference_set(user=bob, category="waves", mode=Preference.Mode.OFF)
    url = reverse("admin:notifications_preference_changelist")

    by_username = staff_client.get(url, {"q": "alice"}).context["cl"].result_list
    by_email = staff_client.get(url, {"q": "bob@example"}).context["cl"].result_list

    assert [row.user for row in by_username] == [alice]
    assert [row.user for row in by_email] == [bob]


def test_preference_search_follows_username_field_and_email_field(monkeypatch, rf):
    from django.contrib import admin
    from django.contrib.auth.models import User

    monkeypatch.setattr(User, "USERNAME_FIELD", "email")
    monkeypatch.setattr(User, "EMAIL_FIELD", "last_name")
    model_admin = PreferenceAdmin(Preference, admin.site)

    assert model_admin.get_search_fields(rf.get("/")) == ("user__email", "user__last_name")
