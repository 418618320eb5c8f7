"""The site with the in-app channel and local time: follows and mentions in the
feed, the bell on every page, time zones on the profile, quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Follow, User
from accounts.services import follow_create, follow_delete
from accounts.tests.factories import PASSWORD, UserFactory
from microblog.services import post_create
from notifications.models import InAppItem, Notification
from notifications.timing import quiet_hours_set

pytestmark = pytest.mark.django_db
Status = Notification.Status
LATE_IN_BERLIN = datetime(2027, 1, 14, 22, 30, tzinfo=UTC)


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_a_follow_shows_in_the_feed_linking_to_the_followers_profile(alice, bob):
    follow_create(follower=bob, followed=alice)

    page = signed_in(alice).get(reverse("notifications:feed"))

    [entry] = page.context["entries"]
    assert entry.html == "bob is now following you!"
    assert entry.url == reverse("timeline:profile", kwargs={"username": "bob"})


def test_several_followers_share_one_item_linking_to_the_followers_list(alice):
    for fan in UserFactory.create_batch(3):
        follow_create(follower=fan, followed=alice)
    [entry] = signed_in(alice).get(reverse("notifications:feed")).context["entries"]
    assert "and 1 other are now following you" in entry.html
    assert entry.url == reverse("timeline:followers", kwargs={"username": "alice"})


def test_an_unfollow_before_it_is_read_withdraws_the_follower(alice, bob):
    carol = UserFactory(username="carol")
    follow_create(follower=bob, followed=alice)
    follow_create(follower=carol, followed=alice)
    follow_delete(follower=bob, followed=alice)
    [item] = InAppItem.objects.all()
    assert item.params["actor_ids"] == [carol.pk]


def test_a_mention_shows_in_the_feed_linking_to_the_post(alice, bob):
    post = post_create(author=bob, body="lunch @alice?")
    [entry] = signed_in(alice).get(reverse("notifications:feed")).context["entries"]
    assert entry.html == "bob mentioned you: “lunch @alice?”"
    assert entry.url == f"/p/{post.pk}/"


def test_every_page_has_the_bell_with_the_unread_count(alice, bob):
    follow_create(follower=bob, followed=alice)
    for url in ("/", "/explore/", reverse("accounts:profile_edit")):
        body = signed_in(alice).get(url).content.decode()
        assert 'class="notifications-bell has-unread"' in body
        assert 'class="notifications-count"' in body
    assert "notifications-bell" not in Client().get("/explore/").content.decode()


def test_the_bell_costs_the_same_queries_whatever_the_number_of_items(alice):
    client = signed_in(alice)
    client.get("/explore/")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("notifications:count"))
        return len(captured)

    few = queries()
    for fan in UserFactory.create_batch(5):
        follow_create(follower=fan, followed=alice)
        InAppItem.objects.update(read_at=None)
    assert queries() == few


# --- time zones ---------------------------------------------------------------------


def test_the_profile_page_sets_the_time_zone(user_client, user):
    response = user_client.post(
        reverse("accounts:profile_edit"),
        {"about_me": "", "language": "en", "timezone": "Asia/Tokyo"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.timezone == "Asia/Tokyo"


def test_an_unknown_time_zone_is_a_form_error(user_client, user):
    response = user_client.post(
        reverse("accounts:profile_edit"),
        {"about_me": "", "language": "en", "timezone": "Mars/Olympus_Mons"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["timezone"]
    user.refresh_from_db()
    assert user.timezone == ""


def test_signing_up_keeps_the_browsers_time_zone_when_it_is_a_real_one(client):
    data = {
        "username": "newbie",
        "email": "newbie@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    client.post(reverse("accounts:signup"), {**data, "timezone": "America/Sao_Paulo"})
    assert User.objects.get(username="newbie").timezone == "America/Sao_Paulo"
    Client().post(
        reverse("accounts:signup"),
        {**data, "username": "other", "email": "o@example.com", "timezone": "Nowhere/Land"},
    )
    assert User.objects.get(username="other").timezone == ""


def test_pages_show_times_in_the_readers_time_zone(bob):
    tokyo = UserFactory(username="tokyo", timezone="Asia/Tokyo")
    with time_machine.travel(datetime(2027, 1, 14, 23, 30, tzinfo=UTC), tick=False):
        Follow.objects.create(follower=bob, followed=tokyo)
        page = signed_in(tokyo).get(reverse("notifications:feed"))
    assert 'datetime="2027-01-15T08:30:00+09:00"' in page.content.decode()


# --- quiet hours ----------------------------------------------------------------------


def test_a_time_zone_the_system_no_longer_knows_reads_as_the_sites(bob):
    """As an old alias is, once a system moves it out of its time zone data
    (US/Pacific-New went so): a name no system has stands for it here."""
    User.objects.filter(pk=bob.pk).update(timezone="Mars/Olympus_Mons")
    bob.refresh_from_db()
    client = Client()
    client.force_login(bob)

    assert str(bob.time_zone) == "UTC"
    assert client.get("/").status_code == 200


def test_quiet_hours_hold_a_follow_email_but_never_a_password_reset(
    outbox_mailers, smtp_sink, bob, deliver
):
    berliner = UserFactory(username="berliner", timezone="Europe/Berlin")
    quiet_hours_set(user=berliner, start=time(22, 0), end=time(7, 0))
    with time_machine.travel(LATE_IN_BERLIN, tick=False):
        follow_create(follower=bob, followed=berliner)
        Client().post(reverse("accounts:password_reset"), {"email": berliner.email})
        deliver()

    [received] = smtp_sink.messages
    assert "password" in received.header("Subject").lower()
    follow_row = Notification.objects.get(kind="new_follower")
    assert follow_row.status == Status.QUEUED
    assert follow_row.next_attempt_at == datetime(2027, 1, 15, 6, 0, tzinfo=UTC)  # 07:00 Berlin
