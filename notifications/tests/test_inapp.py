"""The in-app channel: items written with the email, coalesced and withdrawn the
same way; the feed, its unread count and reading it; email only if unseen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.channels.inapp import unread_count
from notifications.enqueue import notification_enqueue, notification_withdraw_actor
from notifications.models import InAppItem, Notification, Preference
from notifications.preferences import preference_set
from notifications.tests.factories import UserFactory
from notifications.tests.testapp.models import Note, Wave

pytestmark = pytest.mark.django_db
Status = Notification.Status
Mode = Preference.Mode
IN_APP = Preference.Channel.IN_APP
FEED = reverse("notifications:feed")


def wave(actor, target) -> Wave:  # type: ignore[no-untyped-def]
    return Wave.objects.create(actor=actor, target=target)


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


# --- written with the event -------------------------------------------------------


def test_a_wave_writes_the_email_and_the_in_app_item_together(alice, bob):
    wave(bob, alice)

    [row] = Notification.objects.all()
    [item] = InAppItem.objects.all()
    assert (item.recipient, item.kind, item.category) == (alice, "waved", "waves")
    assert item.params["actor_ids"] == [bob.pk]
    assert item.notification == row
    assert item.read_at is None


def test_a_rolled_back_wave_leaves_neither_email_nor_item(alice, bob):
    with pytest.raises(RuntimeError), transaction.atomic():
        wave(bob, alice)
        raise RuntimeError("the request failed")
    assert not Notification.objects.exists()
    assert not InAppItem.objects.exists()


def test_a_type_that_stays_out_of_the_app_writes_no_item(alice, bob):
    Note.objects.create(author=bob, recipient=alice, body="hi")
    assert Notification.objects.count() == 1
    assert not InAppItem.objects.exists()


def test_a_burst_of_waves_is_one_unread_item_naming_everyone(alice):
    wavers = UserFactory.create_batch(10)
    for waver in wavers:
        wave(waver, alice)

    [item] = InAppItem.objects.all()
    assert item.params["actor_ids"] == [w.pk for w in wavers]


def test_a_new_email_row_still_merges_into_the_unread_item_its_burst_left(alice, bob):
    """Bob's email went out long ago, but alice never opened the app: carol's
    wave starts a new email row, and her item is the one still unread."""
    wave(bob, alice)
    Notification.objects.update(
        status=Status.SENT, sent_at=timezone.now(), created_at=timezone.now() - timedelta(days=1)
    )
    carol = UserFactory(username="carol")

    with CaptureQueriesContext(connection) as queries:
        wave(carol, alice)

    assert Notification.objects.filter(status=Status.QUEUED).get().params["actor_ids"] == [carol.pk]
    [item] = InAppItem.objects.all()
    assert item.params["actor_ids"] == [bob.pk, carol.pk]
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "notifications_inappitem')]
    assert len(inserts) == 1  # tried first, refused by the one-unread-item constraint


def test_a_new_burst_writes_its_item_without_reading_for_one_first(alice, bob):
    with CaptureQueriesContext(connection) as queries:
        wave(bob, alice)
    assert InAppItem.objects.count() == 1
    assert not [q for q in queries if q["sql"].startswith("SELECT") and "inappitem" in q["sql"]]


def test_once_read_the_item_is_closed_and_the_next_wave_starts_a_new_one(alice, bob):
    wave(bob, alice)
    InAppItem.objects.update(read_at=timezone.now())
    carol = UserFactory(username="carol")

    wave(carol, alice)

    newest = InAppItem.objects.get(read_at__isnull=True)
    assert newest.params["actor_ids"] == [carol.pk]
    assert InAppItem.objects.count() == 2


def test_a_wave_taken_back_before_it_is_read_leaves_the_item(alice, bob):
    carol = UserFactory(username="carol")
    wave(bob, alice)
    wave(carol, alice)

    Wave.objects.filter(actor=bob).delete()

    [item] = InAppItem.objects.all()
    assert item.params["actor_ids"] == [carol.pk]
    Wave.objects.filter(actor=carol).delete()
    assert not InAppItem.objects.exists()  # nobody left: the item goes


def test_keys_given_as_text_name_the_same_actor_and_recipient(alice, bob):
    """A caller with keys from a URL or a form ("5") reaches what the event
    with the model's keys (5) wrote: the email row and the item."""
    carol = UserFactory(username="carol")
    for actor in (bob, carol):
        notification_enqueue(kind="waved", recipient=alice, actor_id=str(actor.pk))

    changed = notification_withdraw_actor(
        kind="waved", recipient_id=str(alice.pk), actor_id=carol.pk
    )

    assert changed == 2
    [row] = Notification.objects.all()
    [item] = InAppItem.objects.all()
    assert row.params["actor_ids"] == item.params["actor_ids"] == [bob.pk]


def test_a_wave_taken_back_after_it_was_read_stays_in_the_history(alice, bob):
    wave(bob, alice)
    InAppItem.objects.update(read_at=timezone.now())
    Wave.objects.filter(actor=bob).delete()
    assert InAppItem.objects.count() == 1


def test_turned_off_in_the_app_no_item_is_written_but_the_email_is(alice, bob):
    preference_set(user=alice, category="waves", mode=Mode.OFF, channel=IN_APP)
    wave(bob, alice)
    assert Notification.objects.count() == 1
    assert not InAppItem.objects.exists()


def test_turned_off_by_email_the_item_is_still_written(alice, bob):
    preference_set(user=alice, category="waves", mode=Mode.OFF)
    wave(bob, alice)
    assert InAppItem.objects.count() == 1


# --- the feed and the bell ------------------------------------------------------------


def test_the_feed_lists_items_newest_first_each_linking_to_what_it_is_about(alice, bob):
    carol = UserFactory(username="carol")
    wave(bob, alice)
    InAppItem.objects.update(read_at=timezone.now(), updated_at=timezone.now() - timedelta(1))
    wave(carol, alice)

    page = signed_in(alice).get(FEED)

    assert page.status_code == 200
    entries = page.context["entries"]
    assert [entry.html for entry in entries] == ["carol waved at you", "bob waved at you"]
    assert [entry.url for entry in entries] == ["/people/carol/", "/people/bob/"]
    assert [entry.unread for entry in entries] == [True, False]
    assert 'href="/people/carol/"' in page.content.decode()


# --- items that can no longer be shown -------------------------------------------------


def test_an_item_whose_line_fails_to_render_is_left_out_not_the_page(
    alice, bob, staff_client, monkeypatch
):
    from notifications.tests.testapp.notifications import Waved

    carol = UserFactory(username="carol")
    wave(bob, alice)
    InAppItem.objects.update(read_at=timezone.now())  # bob's item closed: carol's is another
    wave(carol, alice)
    shown = Waved.in_app_url

    def broken_for_bob(self, context):  # type: ignore[no-untyped-def]
        if context["first"]["username"] == "bob":
            raise ValueError("a template error")
        return shown(self, context)

    monkeypatch.setattr(Waved, "in_app_url", broken_for_bob)

    page = signed_in(alice).get(FEED)

    assert [entry.html for entry in page.context["entries"]] == ["carol waved at you"]
    assert staff_client.get(reverse("admin:notifications_inappitem_changelist")).status_code == 200


def test_one_malformed_item_does_not_hide_the_others_of_its_type(alice, bob):
    carol = UserFactory(username="carol")
    wave(bob, alice)
    InAppItem.objects.update(read_at=timezone.now())
    wave(carol, alice)
    InAppItem.objects.filter(read_at__isnull=False).update(params={"actor_ids": ["abc"]})

    page = signed_in(alice).get(FEED)

    assert [entry.html for entry in page.context["entries"]] == ["carol waved at you"]


def test_items_of_a_type_the_project_removed_are_neither_listed_nor_counted(alice, bob):
    wave(bob, alice)
    InAppItem.objects.create(recipient=alice, kind="retired", category="old", params={})

    page = signed_in(alice).get(FEED)

    assert unread_count(user=alice) == 1
    assert len(page.context["entries"]) == 1


def test_an_unread_item_whose_event_is_gone_stops_counting_once_the_feed_is_opened(alice, bob):
    """Its actor's account was deactivated: it can never be shown, so the bell
    must not keep announcing it."""
    wave(bob, alice)
    type(bob).objects.filter(pk=bob.pk).update(is_active=False)
    assert unread_count(user=alice) == 1

    page = signed_in(alice).get(FEED)

    assert page.context["entries"] == []
    assert unread_count(user=alice) == 0
    assert "Nothing here yet" in page.content.decode()


def test_a_page_with_nothing_left_to_show_still_leads_to_the_older_ones(settings, alice):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "FEED_PAGE_SIZE": 2}
    old, *newer = UserFactory.create_batch(3)
    wave(old, alice)
    InAppItem.objects.update(read_at=timezone.now(), updated_at=timezone.now() - timedelta(1))
    for waver in newer:
        wave(waver, alice)
        InAppItem.objects.filter(read_at__isnull=True).update(read_at=timezone.now())
    type(old).objects.filter(pk__in=[w.pk for w in newer]).update(is_active=False)

    page = signed_in(alice).get(FEED).content.decode()

    assert "Nothing here yet" not in page
    assert 'href="?page=2"' in page


def test_the_feed_is_paginated_and_costs_the_same_queries_for_more_items(settings, alice):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "FEED_PAGE_SIZE": 5}
    client = signed_in(alice)

    def queries() -> int:
        client.get(FEED)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(FEED).status_code == 200
        return len(captured)

    for waver in UserFactory.create_batch(2):
        Note.objects.create(author=waver, recipient=alice, body="x")  # no items
        wave(waver, alice)
        InAppItem.objects.update(read_at=timezone.now())
    few = queries()
    for waver in UserFactory.create_batch(12):
        wave(waver, alice)
        InAppItem.objects.update(read_at=timezone.now())
    assert queries() == few
    page = client.get(FEED, {"page": 3})
    assert len(page.context["entries"]) == 4 and page.context["page"].number == 3


def test_someone_elses_feed_is_never_shown(alice, bob):
    wave(alice, bob)
    assert signed_in(alice).get(FEED).context["entries"] == []


def test_the_feed_needs_a_signed_in_person(client):
    response = client.get(FEED)
    assert response.status_code == 302


def test_the_unread_count_is_one_query(alice, bob):
    wave(bob, alice)
    with CaptureQueriesContext(connection) as captured:
        assert unread_count(user=alice) == 1
    assert len(captured) == 1


def test_the_bell_shows_the_count_and_refreshes_itself(alice, bob):
    wave(bob, alice)
    response = signed_in(alice).get(reverse("notifications:count"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="notifications-count"' in body and ">1<" in body
    assert 'hx-get="/notifications/bell/"' in body and 'hx-trigger="every 30s"' in body
    assert Client().get(reverse("notifications:count")).content.strip() == b""


def test_marking_one_read_drops_the_count(alice, bob):
    wave(bob, alice)
    item = InAppItem.objects.get()
    client = signed_in(alice)

    response = client.post(reverse("notifications:item_read", args=[item.pk]))

    assert response.status_code == 302
    assert unread_count(user=alice) == 0


def test_marking_all_read(alice, bob):
    wave(bob, alice)
    Note.objects.create(author=bob, recipient=alice, body="x")
    InAppItem.objects.create(recipient=alice, kind="waved", category="waves", params={})
    response = signed_in(alice).post(reverse("notifications:items_read"))
    assert response.status_code == 302
    assert unread_count(user=alice) == 0


def test_marking_read_is_a_post_with_a_csrf_token_and_only_for_ones_own_items(alice, bob):
    wave(bob, alice)
    item = InAppItem.objects.get()
    url = reverse("notifications:item_read", args=[item.pk])
    assert signed_in(alice).get(url).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(url).status_code == 403
    signed_in(bob).post(url)  # not bob's
    assert unread_count(user=alice) == 1


def test_marking_read_after_the_session_ended_signs_in_and_lands_on_the_feed(alice, bob):
    """Not back at the POST-only URL, where the browser's GET would be a 405."""
    wave(bob, alice)
    url = reverse("notifications:item_read", args=[InAppItem.objects.get().pk])

    for target in (url, reverse("notifications:items_read")):
        response = Client().post(target)
        assert response.status_code == 302
        assert response.url == f"{settings.LOGIN_URL}?next={FEED}"
    assert unread_count(user=alice) == 1


def test_a_category_turned_off_in_the_app_disappears_from_the_feed(alice, bob):
    wave(bob, alice)
    preference_set(user=alice, category="waves", mode=Mode.OFF, channel=IN_APP)
    assert unread_count(user=alice) == 0
    assert signed_in(alice).get(FEED).context["entries"] == []


def test_an_undone_wave_is_left_out_of_the_feed(alice, bob):
    wave(bob, alice)
    InAppItem.objects.update(read_at=timezone.now())
    Wave.objects.all().delete()  # the item was read: it stays, but names nobody
    assert signed_in(alice).get(FEED).context["entries"] == []


# --- email only if unseen ----------------------------------------------------------------


def test_only_if_unseen_the_email_waits_and_reading_the_item_cancels_it(
    alice, bob, outbox_mailers, smtp_sink, deliver, make_due
):
    preference_set(user=alice, category="waves", mode=Mode.UNSEEN)
    before = timezone.now()
    wave(bob, alice)
    row = Notification.objects.get()
    assert row.next_attempt_at >= before + timedelta(seconds=600)

    signed_in(alice).post(reverse("notifications:item_read", args=[InAppItem.objects.get().pk]))
    make_due()
    deliver()

    assert smtp_sink.messages == []
    row.refresh_from_db()
    assert (row.status, row.status_reason) == (
        Status.CANCELLED,
        "seen in the app before the email was due",
    )


def test_only_if_unseen_an_unread_item_lets_the_email_go(
    alice, bob, outbox_mailers, smtp_sink, deliver, make_due
):
    preference_set(user=alice, category="waves", mode=Mode.UNSEEN)
    wave(bob, alice)
    deliver()
    assert smtp_sink.messages == []  # not due yet
    make_due()
    deliver()
    assert len(smtp_sink.messages) == 1


def test_later_waves_join_the_waiting_email(alice, bob, settings):
    preference_set(user=alice, category="waves", mode=Mode.UNSEEN)
    wave(bob, alice)
    wave(UserFactory(username="carol"), alice)
    [row] = Notification.objects.all()
    assert len(row.params["actor_ids"]) == 2


def test_unseen_is_only_offered_where_there_is_something_to_see(alice):
    with pytest.raises(ValueError):
        preference_set(user=alice, category="notes", mode=Mode.UNSEEN)


def test_transactional_mail_never_waits(alice):
    from notifications.enqueue import notification_enqueue

    before = timezone.now()
    row = notification_enqueue(kind="security_alert", recipient=alice)
    assert row is not None and row.next_attempt_at <= before + timedelta(seconds=1)
