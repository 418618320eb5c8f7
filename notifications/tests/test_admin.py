"""The outbox admin, dashboard and previews: for staff only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.admin.records import PreferenceAdmin
from notifications.models import InAppItem, Notification, Preference, Suppression
from notifications.preferences import preference_set
from notifications.tasks import sweep
from notifications.tests.factories import UserFactory
from notifications.tests.testapp.models import Wave
from notifications.tests.testapp.notifications import NoteLeft

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
    "admin:notifications_quiethours_changelist",
    "admin:notifications_inappitem_changelist",
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


def test_a_sample_that_does_not_render_says_so_in_both_preview_pages(staff_client, monkeypatch):
    """A type whose sample does not render (say, get_context reads params it
    has no sample_params for): the list shows the error, its HTML page too."""

    def broken(self):  # type: ignore[no-untyped-def]
        raise KeyError("topic")

    monkeypatch.setattr(NoteLeft, "sample_context", broken)

    page = staff_client.get(reverse("admin:notifications_preview")).content.decode()
    html = staff_client.get(reverse("admin:notifications_preview_html", args=["note", "en"]))

    assert "KeyError" in page
    assert html.status_code == 200
    assert "This preview could not be rendered." in html.content.decode()
    assert "KeyError: &#x27;topic&#x27;" in html.content.decode()


def test_without_translation_the_previews_are_in_the_site_s_one_language(staff_client, settings):
    settings.USE_I18N = False

    body = staff_client.get(reverse("admin:notifications_preview")).content.decode()
    chinese = reverse("admin:notifications_preview_html", args=["note", "zh-hans"])

    assert reverse("admin:notifications_preview_html", args=["note", "en"]) in body
    assert chinese not in body
    assert staff_client.get(chinese).status_code == 404


def test_the_dashboard_draws_the_hourly_chart(staff_client, sent_row):
    body = staff_client.get(reverse("admin:notifications_dashboard")).content.decode()
    assert '<rect class="bar-sent"' in body
    assert "style=" not in body.split('<div id="content-main"')[1]


def test_the_preview_renders_every_type_in_every_language(staff_client):
    body = staff_client.get(reverse("admin:notifications_preview")).content.decode()
    for label in ("Waves", "Notes", "Account", "Daily digest"):
        assert f"{label} · English" in body
        assert f"{label} · 简体中文" in body
    assert "bob, carol and 2 others waved at you" in body  # from a sample context
    assert "Security alert: a new sign-in" in body  # from sample params
    assert "errornote" not in body
    # Types with the in-app channel (waves) show their feed line too, in each language.
    assert body.count('class="notification-in-app"') == 2


def test_staff_see_a_users_in_app_items(staff_client, sent_row, alice):
    body = staff_client.get(
        reverse("admin:notifications_inappitem_changelist"), {"q": alice.email}
    ).content.decode()
    assert "bob waved at you" in body


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


def test_an_action_says_how_many_rows_their_status_left_as_they_were(staff_client, sent_row):
    """A copy of a row still queued or being sent would reach the person
    twice: only finished rows are resent, and the rest are counted."""
    queued = Notification.objects.create(kind="email", to_address="x@example.com")

    _action(staff_client, "resend_as_new", [sent_row, queued])
    retried = _action(staff_client, "retry_now", [sent_row])

    assert Notification.objects.count() == 3  # one copy: of the sent row
    # The first action's messages wait (its redirect was not followed).
    said = [str(message) for message in retried.wsgi_request._messages]
    rechecked = (
        " Each is checked against its recipient's preferences and the suppression list "
        "again before it is sent, and may be cancelled or held for that."
    )
    assert said == [
        "1 new email queued." + rechecked,
        "1 left as it was: the action does not apply to its status.",
        "0 emails queued for retry." + rechecked,
        "1 left as it was: the action does not apply to its status.",
    ]


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


@pytest.mark.parametrize("address", ["not an email", "two@example.com, three@example.com"])
def test_a_suppression_of_something_that_is_not_an_address_is_a_form_error(
    staff_client, address
):
    response = staff_client.post(
        reverse("admin:notifications_suppression_add"),
        {"address": address, "reason": "manual", "note": ""},
    )
    assert response.status_code == 200
    assert "Enter a valid email address." in response.text
    assert "password resets included" in response.text  # what a staff entry blocks
    assert not Suppression.objects.exists()


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


# --- what staff read, and where they find it ----------------------------------------


@pytest.fixture
def waiting_row(alice, bob):  # type: ignore[no-untyped-def]
    """A second wave inside the coalescing window of an email already sent."""
    Wave.objects.create(actor=bob, target=alice)
    Notification.objects.update(status=Status.SENT, subject="bob waved at you")
    Wave.objects.create(actor=UserFactory(username="carol"), target=alice)
    return Notification.objects.get(status=Status.QUEUED)


def test_the_outbox_lists_type_labels_subjects_and_why_a_row_waits(staff_client, waiting_row):
    response = staff_client.get(reverse("admin:notifications_notification_changelist"))
    page = response.text

    assert response.context["title"] == "Outbox"
    assert ">Waves<" in page and ">waved<" not in page
    assert "bob waved at you" in page  # the sent row's subject
    assert "written when sent" in page  # the waiting row's, not written yet
    assert "Waiting for more waves until" in page


def test_the_outbox_filters_by_type_label_and_by_due(staff_client, waiting_row):
    url = reverse("admin:notifications_notification_changelist")
    filters = staff_client.get(url).text.split('id="changelist-filter"')[1]
    assert filters.count(">Waves</a>") == 1  # once, however many rows it has

    later = staff_client.get(url, {"due": "later"}).context["cl"].result_list
    due = staff_client.get(url, {"due": "now"}).context["cl"].result_list
    waves = staff_client.get(url, {"kind": "waved"}).context["cl"].result_list
    assert [row.pk for row in later] == [waiting_row.pk]
    assert list(due) == []
    assert len(waves) == 2


def test_a_rows_page_has_no_save_buttons_but_its_actions_work(staff_client, waiting_row):
    url = reverse("admin:notifications_notification_change", args=[waiting_row.pk])
    page = staff_client.get(url).text

    assert 'name="_save"' not in page and 'name="_continue"' not in page
    assert "Why it waits" in page and "Waiting for more waves until" in page
    assert "retry_now" in page  # the actions, on the row's own page

    response = staff_client.post(
        url,
        {
            "CHANGE_FORM-action": "retry_now",
            "_selected_action": [waiting_row.pk],
            "CHANGE_FORM-select_across": "0",
        },
    )
    assert response.status_code == 302
    waiting_row.refresh_from_db()
    assert waiting_row.next_attempt_at <= timezone.now()


def test_a_row_cannot_be_edited_by_posting_its_form(staff_client, waiting_row):
    url = reverse("admin:notifications_notification_change", args=[waiting_row.pk])
    response = staff_client.post(url, {"to_address": "mallory@example.com", "_save": "Save"})

    assert response.status_code == 403
    waiting_row.refresh_from_db()
    assert waiting_row.to_address == "alice@example.com"


def test_the_dashboard_is_healthy_when_the_workers_report(staff_client, waiting_row):
    sweep()
    page = staff_client.get(reverse("admin:notifications_dashboard")).text

    assert "delivery-health-ok" in page
    assert "Delivery is healthy" in page
    assert "none: nothing is due" in page  # not a blank
    # Waiting rows are counted apart from the due backlog.
    assert _figure(page, "Due now, for the workers to send") == "0 emails"
    assert _figure(page, "Waiting, not due yet") == "1 email"
    assert _figure(page, "for more events to join them in one email") == "1 email"


def test_the_dashboard_warns_when_every_email_of_the_hour_failed(staff_client, waiting_row):
    sweep()
    for name in ("a", "b", "c"):
        Notification.objects.create(
            kind="email", to_address=f"{name}@example.com", status=Notification.Status.FAILED
        )
    page = staff_client.get(reverse("admin:notifications_dashboard")).text

    assert "Delivery needs attention." in page
    assert "3 emails failed in the last hour and none was sent" in page
    assert "Delivery is healthy" not in page

    Notification.objects.create(
        kind="email",
        to_address="d@example.com",
        status=Notification.Status.SENT,
        sent_at=timezone.now(),
    )
    assert "Delivery is healthy" in staff_client.get(reverse("admin:notifications_dashboard")).text


def test_the_dashboard_warns_when_no_worker_has_reported(staff_client, waiting_row):
    page = staff_client.get(reverse("admin:notifications_dashboard")).text

    assert "delivery-health-warning" in page
    assert "Delivery needs attention." in page
    assert "No worker has reported yet" in page
    assert "Delivery is healthy" not in page


def test_the_dashboard_warns_about_a_late_backlog(staff_client, waiting_row):
    sweep()
    Notification.objects.filter(pk=waiting_row.pk).update(
        next_attempt_at=timezone.now() - timedelta(hours=1)
    )
    page = staff_client.get(reverse("admin:notifications_dashboard")).text

    assert "1 email is due and has waited 60 minutes (the limit is 15 minutes)" in page


def test_the_dashboard_in_chinese(staff_client, waiting_row):
    sweep()
    page = staff_client.get(
        reverse("admin:notifications_dashboard"), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).text

    assert "投递正常" in page
    assert "无：没有到期的邮件" in page  # noqa: RUF001


@pytest.mark.parametrize("name", ["admin:notifications_dashboard", "admin:notifications_preview"])
def test_the_staff_pages_have_the_admins_breadcrumb_bar_and_a_title(staff_client, name):
    page = staff_client.get(reverse(name)).text
    crumbs = page.split('<ol class="breadcrumbs">')[1].split("</ol>")[0]

    assert reverse("admin:index") in crumbs
    assert reverse("admin:app_list", args=["notifications"]) in crumbs
    assert reverse("admin:notifications_notification_changelist") in crumbs
    assert 'aria-current="page"' in crumbs
    assert "<title>" in page and "|" in page.split("<title>")[1].split("</title>")[0]


def test_the_outbox_and_the_notifications_section_link_to_the_dashboard_and_previews(
    staff_client,
):
    outbox = staff_client.get(reverse("admin:notifications_notification_changelist")).text
    section = staff_client.get(reverse("admin:app_list", args=["notifications"])).text
    tools = outbox.split('class="object-tools"')[1].split("</ul>")[0]

    for page in (tools, section):
        assert reverse("admin:notifications_dashboard") in page
        assert reverse("admin:notifications_preview") in page


def test_staff_who_may_not_see_the_outbox_get_no_links_to_its_pages(db):
    from django.template.loader import render_to_string

    html = render_to_string("admin/notifications/staff_links.html", {"perms": {}})
    assert "href" not in html


def _figure(page: str, label: str) -> str:
    """The value beside `label` in one of the dashboard's tables."""
    row = page.split(f">{label}<")[1].split("</tr>")[0]
    return row.split("<td>")[1].split("<")[0].strip()


def test_the_dashboard_lists_the_waiting_emails_that_go_out_next(staff_client, waiting_row):
    page = staff_client.get(reverse("admin:notifications_dashboard")).text
    coming_up = page.split('class="module coming-up"')[1].split("</table>")[0]

    assert reverse("admin:notifications_notification_change", args=[waiting_row.pk]) in coming_up
    assert "Waves → alice@example.com" in coming_up
    assert "Waiting for more waves until" in coming_up


def test_the_outbox_search_says_what_it_finds_and_keeps_its_accessible_name(staff_client):
    body = staff_client.get(reverse("admin:notifications_notification_changelist")).content.decode()
    assert "message ID is found at once; part of an address searches every email" in body
    # aria-describedby on the search box would leave the admin's icon-only
    # label as its only name (axe: label-title-only).
    assert 'aria-describedby="searchbar_helptext"' not in body


@pytest.mark.parametrize("term", ["ALICE@Bücher.example", "alice@xn--bcher-kva.example"])
def test_an_address_is_found_in_either_spelling_of_its_domain(staff_client, term):
    """Staff paste the ASCII form from a provider's report, or the person's own."""
    row = Notification.objects.create(
        kind="note", category="notes", to_address="alice@bücher.example"
    )
    entry = Suppression.objects.create(address="alice@xn--bcher-kva.example", reason="bounced")

    outbox = staff_client.get(reverse("admin:notifications_notification_changelist"), {"q": term})
    suppressed = staff_client.get(
        reverse("admin:notifications_suppression_changelist"), {"q": term}
    )

    assert reverse("admin:notifications_notification_change", args=[row.pk]) in outbox.text
    assert reverse("admin:notifications_suppression_change", args=[entry.pk]) in suppressed.text


def test_a_superuser_deletes_a_user_whose_feed_has_items(admin_client, alice, bob):
    """Items go with their person; a record nobody could delete made the
    admin refuse to delete every user who had ever been waved at."""
    from notifications.tests.testapp.models import Wave

    Wave.objects.create(actor=bob, target=alice)
    url = reverse("admin:auth_user_delete", args=[alice.pk])

    confirm = admin_client.get(url)
    deleted = admin_client.post(url, {"post": "yes"})

    assert "Cannot delete" not in confirm.text
    assert deleted.status_code == 302
    assert not InAppItem.objects.exists()
    assert not type(alice).objects.filter(pk=alice.pk).exists()


def test_staff_filter_in_app_items_by_type_name_and_by_read(staff_client, alice, bob):
    from notifications.tests.testapp.models import Wave

    Wave.objects.create(actor=bob, target=alice)
    url = reverse("admin:notifications_inappitem_changelist")

    page = staff_client.get(url).text
    unread = staff_client.get(url, {"read": "no"}).text
    read = staff_client.get(url, {"read": "yes"}).text

    assert "?kind=waved" in page and ">Waves<" in page  # the type's name, not its key
    assert ">Unread<" in page and ">Read<" in page
    assert "1 in-app notification" in unread
    assert "0 in-app notifications" in read


def test_an_attempt_log_line_reads_in_the_staff_members_language():
    from django.utils import translation

    from notifications.models import DeliveryAttempt

    row = Notification.objects.create(kind="email", to_address="a@example.com")
    attempt = DeliveryAttempt.objects.create(notification=row, outcome="sent")

    with translation.override("zh-hans"):
        line = str(attempt)

    assert line.startswith("已发送") and "sent" not in line
