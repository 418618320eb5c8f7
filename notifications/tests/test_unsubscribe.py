"""One-click unsubscribe: signed per-recipient, per-category links."""

from __future__ import annotations

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse, set_script_prefix

from notifications.conf import conf
from notifications.models import Preference
from notifications.preferences import preferences_for
from notifications.tokens import (
    BadUnsubscribeToken,
    make_unsubscribe_token,
    read_unsubscribe_token,
    unsubscribe_url,
)

pytestmark = pytest.mark.django_db

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def mail_client() -> Client:
    """A mail client or a person's browser: no session, CSRF checks enforced."""
    return Client(enforce_csrf_checks=True)


def url_for(token: str) -> str:
    return reverse("notifications:unsubscribe", kwargs={"token": token})


def test_unsubscribe_url_is_absolute_and_names_recipient_and_category(alice) -> None:
    url = unsubscribe_url(user_id=alice.pk, category="waves")

    assert url.startswith("http://testserver/notifications/unsubscribe/")
    token = url.removeprefix("http://testserver").split("/")[-2]
    assert read_unsubscribe_token(token) == (alice.pk, "waves")


def test_a_site_served_under_a_prefix_has_it_once_in_its_links(alice, settings) -> None:
    """SITE_URL names the prefix, and reverse() includes it too (a site run
    with FORCE_SCRIPT_NAME): the link has it once. A path written by hand
    gets it from SITE_URL."""
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "SITE_URL": "https://example.com/app"}
    set_script_prefix("/app/")
    try:
        url = unsubscribe_url(user_id=alice.pk, category="waves")
    finally:
        set_script_prefix("/")

    assert url.startswith("https://example.com/app/notifications/unsubscribe/")
    assert conf.absolute_url("/news/") == "https://example.com/app/news/"
    assert conf.absolute_url("/app") == "https://example.com/app"
    assert conf.absolute_url("/apple/") == "https://example.com/app/apple/"


def test_tokens_differ_per_recipient_and_category(alice, bob) -> None:
    tokens = {
        make_unsubscribe_token(user_id=alice.pk, category="waves"),
        make_unsubscribe_token(user_id=alice.pk, category="notes"),
        make_unsubscribe_token(user_id=bob.pk, category="waves"),
    }
    assert len(tokens) == 3


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        signing.dumps([1, "waves"]),  # signed, but not with the unsubscribe salt
        signing.dumps([1, "waves"], salt="notifications.unsubscribe", key="another-secret"),
        signing.dumps({"user": 1}, salt="notifications.unsubscribe"),  # ours, wrong shape
    ],
)
def test_reading_a_foreign_or_malformed_token_raises(token: str) -> None:
    with pytest.raises(BadUnsubscribeToken):
        read_unsubscribe_token(token)


def test_one_click_post_unsubscribes_without_login_or_csrf_token(alice, mail_client) -> None:
    Preference.objects.create(user=alice, category="notes", mode=Preference.Mode.DIGEST)
    url = unsubscribe_url(user_id=alice.pk, category="waves")

    response = mail_client.post(url, ONE_CLICK)

    assert response.status_code == 200
    assert b"You are unsubscribed" in response.content
    modes = preferences_for(user=alice)
    assert modes["waves"] == Preference.Mode.OFF
    assert modes["notes"] == Preference.Mode.DIGEST  # untouched


def test_post_without_form_data_unsubscribes_too(alice, mail_client) -> None:
    """The confirmation page's button posts to the same URL."""
    response = mail_client.post(unsubscribe_url(user_id=alice.pk, category="notes"))

    assert response.status_code == 200
    assert preferences_for(user=alice)["notes"] == Preference.Mode.OFF


def test_unsubscribing_twice_is_harmless(alice, mail_client) -> None:
    url = unsubscribe_url(user_id=alice.pk, category="waves")

    assert mail_client.post(url, ONE_CLICK).status_code == 200
    assert mail_client.post(url, ONE_CLICK).status_code == 200
    assert Preference.objects.filter(user=alice, category="waves").count() == 1


def test_get_shows_a_confirmation_and_changes_nothing(alice, mail_client) -> None:
    url = unsubscribe_url(user_id=alice.pk, category="waves")

    response = mail_client.get(url)

    assert response.status_code == 200
    assert b'method="post"' in response.content
    assert reverse("notifications:preferences").encode() in response.content
    assert not Preference.objects.exists()
    assert preferences_for(user=alice)["waves"] == Preference.Mode.IMMEDIATELY


def test_get_after_unsubscribing_says_so(alice, mail_client) -> None:
    url = unsubscribe_url(user_id=alice.pk, category="waves")
    mail_client.post(url, ONE_CLICK)

    response = mail_client.get(url)

    assert b"already unsubscribed" in response.content


def _tampered(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("damage", ["tampered", "truncated", "garbage"])
def test_a_damaged_token_is_refused_and_changes_nothing(alice, mail_client, method, damage) -> None:
    token = make_unsubscribe_token(user_id=alice.pk, category="waves")
    bad = {
        "tampered": _tampered(token),
        "truncated": token[: len(token) // 2],
        "garbage": "hello",
    }[damage]

    response = getattr(mail_client, method)(url_for(bad), ONE_CLICK)

    assert response.status_code == 400
    assert b"not valid" in response.content
    assert not Preference.objects.exists()


def test_a_token_for_a_category_no_longer_registered_is_refused(alice, mail_client) -> None:
    response = mail_client.post(
        unsubscribe_url(user_id=alice.pk, category="retired_category"), ONE_CLICK
    )

    assert response.status_code == 400
    assert not Preference.objects.exists()


def test_a_token_for_an_unknown_user_is_refused(mail_client) -> None:
    response = mail_client.post(unsubscribe_url(user_id=987654, category="waves"), ONE_CLICK)

    assert response.status_code == 400
    assert not Preference.objects.exists()


def test_a_key_is_signed_as_the_user_model_s_key_field_reads_it(alice) -> None:
    """Here keys are numbers: "5" is signed as 5. (A UUID or text key is signed
    as its text: test_blank_project, with such user models.)"""
    as_text = make_unsubscribe_token(user_id=str(alice.pk), category="waves")

    assert read_unsubscribe_token(as_text) == (alice.pk, "waves")
    assert as_text == make_unsubscribe_token(user_id=alice.pk, category="waves")


@pytest.mark.parametrize("key", ["ada", ""])
def test_a_key_this_user_model_cannot_hold_is_refused(key: str, mail_client) -> None:
    """A signed token naming a text key, here where keys are numbers: 400, not 500."""
    token = signing.dumps([key, "waves"], salt="notifications.unsubscribe")

    for method in (mail_client.get, mail_client.post):
        assert method(url_for(token)).status_code == 400
    assert not Preference.objects.exists()


def test_one_users_token_cannot_unsubscribe_another(alice, bob, mail_client) -> None:
    alices = make_unsubscribe_token(user_id=alice.pk, category="waves")
    bobs = make_unsubscribe_token(user_id=bob.pk, category="waves")
    # Bob's payload with Alice's timestamp and signature.
    forged = ":".join([bobs.split(":")[0], *alices.split(":")[1:]])

    assert mail_client.post(url_for(forged), ONE_CLICK).status_code == 400
    assert mail_client.post(url_for(alices), ONE_CLICK).status_code == 200

    assert preferences_for(user=alice)["waves"] == Preference.Mode.OFF
    assert preferences_for(user=bob)["waves"] == Preference.Mode.IMMEDIATELY


def test_signed_in_as_someone_else_still_unsubscribes_the_tokens_recipient(
    alice, bob, client
) -> None:
    """The token, not the session, says whose preference changes."""
    client.force_login(bob)

    client.post(unsubscribe_url(user_id=alice.pk, category="waves"), ONE_CLICK)

    assert preferences_for(user=alice)["waves"] == Preference.Mode.OFF
    assert preferences_for(user=bob)["waves"] == Preference.Mode.IMMEDIATELY
