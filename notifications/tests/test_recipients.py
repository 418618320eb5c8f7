"""How the framework reads a recipient of any user model: the address through the
model's EMAIL_FIELD, the language and time zone through getters a project names
in NOTIFICATIONS (here: the test app's Profile), with defaults for the rest."""

from __future__ import annotations

import zoneinfo
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.core.mail import send_mail

from notifications.enqueue import build_row
from notifications.models import Notification
from notifications.recipients import (
    recipient_address,
    recipient_can_receive,
    recipient_language,
    recipient_timezone,
    user_with_address,
)
from notifications.tests.factories import UserFactory
from notifications.tests.testapp.models import Wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def default_getters(settings):  # type: ignore[no-untyped-def]
    """The framework's own getters: no RECIPIENT_LANGUAGE / RECIPIENT_TIMEZONE."""
    notifications = dict(settings.NOTIFICATIONS)
    notifications.pop("RECIPIENT_LANGUAGE")
    notifications.pop("RECIPIENT_TIMEZONE")
    settings.NOTIFICATIONS = notifications


# --- language -----------------------------------------------------------------------


def test_the_configured_getter_gives_the_language_from_the_profile():
    chen = UserFactory(username="chen", language="zh-hans")

    assert recipient_language(chen) == "zh-hans"
    assert build_row(kind="waved", recipient=chen).language == "zh-hans"


def test_a_getter_with_no_answer_falls_back_to_the_sites_language(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    no_profile = UserFactory(username="plain")
    blank = UserFactory(username="blank", language="")

    assert recipient_language(no_profile) == "zh-hans"
    assert recipient_language(blank) == "zh-hans"


def test_the_email_is_rendered_in_the_language_the_getter_gives(
    outbox_mailers, smtp_sink, bob, deliver
):
    chen = UserFactory(username="chen", language="zh-hans")
    Wave.objects.create(actor=bob, target=chen)

    deliver()

    assert '<html lang="zh-hans">' in smtp_sink.messages[0].part("text/html")


def test_the_default_getter_gives_the_sites_language_to_a_model_without_one(
    default_getters, settings
):
    settings.LANGUAGE_CODE = "zh-hans"
    chen = UserFactory(username="chen", language="en")  # on the profile, which is not asked

    assert not hasattr(chen, "language")
    assert recipient_language(chen) == "zh-hans"


def test_the_default_getter_reads_a_language_attribute_when_the_model_has_one(default_getters):
    assert recipient_language(SimpleNamespace(language="zh-hans")) == "zh-hans"
    assert recipient_language(SimpleNamespace(language="")) == "en"


def test_no_recipient_reads_in_the_sites_language():
    assert recipient_language(None) == "en"


# --- time zone ------------------------------------------------------------------------


def test_the_configured_getter_gives_the_time_zone_from_the_profile():
    chen = UserFactory(username="chen", timezone="Asia/Shanghai")

    assert recipient_timezone(chen) == zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("given", ["", "Not/A_Zone"])
def test_a_missing_or_unknown_time_zone_falls_back_to_the_sites(settings, given):
    settings.TIME_ZONE = "Europe/Paris"
    user = UserFactory(username="someone", timezone=given)

    assert recipient_timezone(user) == zoneinfo.ZoneInfo("Europe/Paris")


def test_the_default_getter_gives_the_sites_time_zone_to_a_model_without_one(
    default_getters, settings
):
    settings.TIME_ZONE = "Europe/Paris"
    user = UserFactory(username="someone", timezone="Asia/Shanghai")  # not asked

    assert recipient_timezone(user) == zoneinfo.ZoneInfo("Europe/Paris")
    assert recipient_timezone(SimpleNamespace(timezone="Asia/Tokyo")) == zoneinfo.ZoneInfo(
        "Asia/Tokyo"
    )


# --- address --------------------------------------------------------------------------


@pytest.fixture
def email_in_last_name(monkeypatch):  # type: ignore[no-untyped-def]
    """A user model whose EMAIL_FIELD is not "email" (contrib auth's model, re-pointed)."""
    monkeypatch.setattr(User, "EMAIL_FIELD", "last_name")


def test_the_address_comes_from_the_user_models_email_field(email_in_last_name):
    user = UserFactory(username="ada", email="not-this@example.com", last_name="ada@example.org")

    assert recipient_address(user) == "ada@example.org"
    assert build_row(kind="note", recipient=user).to_address == "ada@example.org"
    assert user_with_address("ADA@example.org") == user
    assert user_with_address("not-this@example.com") is None


def test_an_email_is_sent_to_the_address_in_the_email_field(
    email_in_last_name, outbox_mailers, smtp_sink, bob, deliver
):
    ada = UserFactory(username="ada", email="", last_name="ada@example.org")
    Wave.objects.create(actor=bob, target=ada)

    deliver()

    assert smtp_sink.messages[0].envelope_to == ["ada@example.org"]


def test_a_user_without_an_address_gets_no_notification(bob):
    nobody = UserFactory(username="nobody", email="")

    Wave.objects.create(actor=bob, target=nobody)

    assert recipient_address(nobody) == ""
    assert not recipient_can_receive(nobody)
    assert not Notification.objects.exists()


def test_a_user_model_without_an_email_field_sends_mail_api_messages_and_searches_by_name(
    monkeypatch, outbox_mailers, admin_client, bob
):
    """Its users get no notification email; mail sent through Django's API to
    an address is still stored for delivery, and staff search by username."""
    monkeypatch.setattr(User, "EMAIL_FIELD", "contact_address")  # no such field

    assert user_with_address("bob@example.com") is None
    assert send_mail("Hello", "Body", None, ["someone@example.org"]) == 1
    [row] = Notification.objects.all()
    assert (row.to_address, row.recipient) == ("someone@example.org", None)
    for model in ("preference", "inappitem", "notification"):
        page = admin_client.get(f"/admin/notifications/{model}/", {"q": "bob"})
        assert page.status_code == 200, model


def test_an_inactive_user_cannot_receive(alice):
    alice.is_active = False

    assert not recipient_can_receive(alice)
    assert not recipient_can_receive(None)
