"""Preferences, the suppression list, and what they let the worker send."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from notifications.models import Notification, Preference, QuietHours, Suppression
from notifications.preferences import (
    DIGEST_CATEGORY,
    UnknownCategory,
    preference_set,
    preferences_for,
    send_time_stop,
)
from notifications.suppression import (
    is_suppressed,
    suppression_add,
    suppression_for,
    suppression_remove,
)
from notifications.types import registry

pytestmark = pytest.mark.django_db

Mode = Preference.Mode
Status = Notification.Status


def block(notification):  # type: ignore[no-untyped-def]
    """What the worker's check right before sending says about `notification`."""
    return send_time_stop(notification=notification, address=notification.to_address)


Reason = Suppression.Reason


# The test app's categories: two a recipient chooses for, one transactional.
WAVES, NOTES, ACCOUNT = "waves", "notes", "account"


def notification_for(user, *, category: str = WAVES, transactional: bool = False, **fields):  # type: ignore[no-untyped-def]
    defaults = {
        "kind": "waved" if not transactional else "email",
        "category": category,
        "transactional": transactional,
        "recipient": user,
        "to_address": user.email,
    }
    return Notification.objects.create(**{**defaults, **fields})


# --- Preferences -------------------------------------------------------------


def test_every_registered_category_defaults_to_immediately(alice) -> None:
    modes = preferences_for(user=alice)

    assert modes == {WAVES: Mode.IMMEDIATELY, NOTES: Mode.IMMEDIATELY}
    assert ACCOUNT not in modes


def test_preference_set_stores_one_row_per_category(alice) -> None:
    preference_set(user=alice, category=WAVES, mode=Mode.DIGEST)
    preference_set(user=alice, category=WAVES, mode=Mode.OFF)

    assert Preference.objects.get(user=alice, category=WAVES).mode == Mode.OFF
    assert preferences_for(user=alice) == {
        **preferences_for(user=alice),
        WAVES: Mode.OFF,
        NOTES: Mode.IMMEDIATELY,
    }


@pytest.mark.parametrize("category", ["no_such_category", ACCOUNT])
def test_preference_set_refuses_unknown_and_transactional_categories(alice, category) -> None:
    with pytest.raises(UnknownCategory):
        preference_set(user=alice, category=category, mode=Mode.OFF)
    assert not Preference.objects.exists()


def test_preference_set_refuses_an_unknown_mode(alice) -> None:
    with pytest.raises(ValueError, match="mode"):
        preference_set(user=alice, category=WAVES, mode="weekly")


# --- The preferences page ------------------------------------------------------


def test_preferences_page_requires_login(client) -> None:
    response = client.get(reverse("notifications:preferences"))

    assert response.status_code == 302
    assert "next=" in response["Location"]


def test_preferences_page_offers_every_non_transactional_category(alice, client) -> None:
    client.force_login(alice)

    response = client.get(reverse("notifications:preferences"))

    assert response.status_code == 200
    form = response.context["form"]
    expected = [
        c.key for c in registry.categories() if not c.transactional and c.key != DIGEST_CATEGORY
    ]
    email_fields = [name for name in form.fields if name in expected]
    assert email_fields == expected
    assert expected == [WAVES, NOTES]
    assert ACCOUNT not in form.fields
    # Waves reach the app too: "only if unseen" is offered, and an in-app choice.
    assert [value for value, _ in form.fields[WAVES].choices] == [
        "immediately",
        "digest",
        "unseen",
        "off",
    ]
    assert [value for value, _ in form.fields[f"{WAVES}__in_app"].choices] == ["on", "off"]
    assert [value for value, _ in form.fields[NOTES].choices] == ["immediately", "digest", "off"]
    assert f"{NOTES}__in_app" not in form.fields
    content = response.content.decode()
    assert "Daily digest" in content
    assert "password resets, are not notifications" in content


def test_preferences_page_shows_the_current_choices(alice, client) -> None:
    preference_set(user=alice, category=NOTES, mode=Mode.DIGEST)
    client.force_login(alice)

    response = client.get(reverse("notifications:preferences"))

    assert response.context["form"][NOTES].value() == Mode.DIGEST


def test_saving_preferences_stores_them_and_redirects_with_a_message(alice, client) -> None:
    client.force_login(alice)
    choices = dict.fromkeys(preferences_for(user=alice), Mode.IMMEDIATELY)
    choices.update(waves=Mode.OFF, notes=Mode.DIGEST)

    response = client.post(reverse("notifications:preferences"), choices)

    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:preferences")
    assert preferences_for(user=alice)[WAVES] == Mode.OFF
    assert preferences_for(user=alice)[NOTES] == Mode.DIGEST
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Your notification preferences were saved."
    ]


def test_an_invalid_choice_saves_nothing(alice, client) -> None:
    client.force_login(alice)

    response = client.post(reverse("notifications:preferences"), {WAVES: "off", NOTES: "weekly"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Preference.objects.exists()


def test_quiet_hours_are_saved_changed_and_cleared_through_the_page(alice, client) -> None:
    client.force_login(alice)
    choices = dict.fromkeys(preferences_for(user=alice), Mode.IMMEDIATELY)
    url = reverse("notifications:preferences")

    assert (
        client.post(url, {**choices, "quiet_start": "22:00", "quiet_end": "07:00"}).status_code
        == 302
    )
    quiet = QuietHours.objects.get(user=alice)
    assert (quiet.start.isoformat(), quiet.end.isoformat()) == ("22:00:00", "07:00:00")

    client.post(url, {**choices, "quiet_start": "23:30", "quiet_end": "06:15"})
    quiet.refresh_from_db()
    assert (quiet.start.isoformat(), quiet.end.isoformat()) == ("23:30:00", "06:15:00")

    client.post(url, {**choices, "quiet_start": "", "quiet_end": ""})
    assert not QuietHours.objects.filter(user=alice).exists()


@pytest.mark.parametrize("start, end", [("22:00", ""), ("", "07:00")], ids=["no-end", "no-start"])
def test_quiet_hours_need_both_ends_and_nothing_is_saved_without(alice, client, start, end):
    client.force_login(alice)
    choices = dict.fromkeys(preferences_for(user=alice), Mode.OFF)

    response = client.post(
        reverse("notifications:preferences"), {**choices, "quiet_start": start, "quiet_end": end}
    )

    assert response.status_code == 200
    assert "Give both a start and an end for quiet hours." in response.content.decode()
    # Said at the box left empty, inside the quiet hours, not atop the form.
    assert set(response.context["form"].errors) == {"quiet_end" if start else "quiet_start"}
    assert not QuietHours.objects.exists()
    assert not Preference.objects.exists()


# --- The suppression list ------------------------------------------------------


def test_suppression_add_is_idempotent_and_lower_cases() -> None:
    first = suppression_add(address=" Gone@Example.COM ", reason=Reason.COMPLAINED)
    again = suppression_add(address="gone@example.com", reason=Reason.COMPLAINED)

    assert first.pk == again.pk
    assert Suppression.objects.get().address == "gone@example.com"


def test_a_stronger_reason_replaces_a_weaker_one_but_not_the_reverse() -> None:
    suppression_add(address="a@example.com", reason=Reason.UNSUBSCRIBED)
    assert suppression_add(address="a@example.com", reason=Reason.BOUNCED).reason == Reason.BOUNCED
    assert (
        suppression_add(address="a@example.com", reason=Reason.COMPLAINED).reason == Reason.BOUNCED
    )
    assert Suppression.objects.count() == 1


def test_suppression_is_matched_case_insensitively() -> None:
    Suppression.objects.create(address="Typed.By@Hand.example", reason=Reason.MANUAL)

    assert suppression_for(address="typed.by@hand.example") is not None
    assert is_suppressed(address="TYPED.BY@HAND.EXAMPLE")
    assert suppression_add(address="typed.by@hand.example", reason=Reason.BOUNCED).reason == (
        Reason.MANUAL
    )
    assert Suppression.objects.count() == 1


def test_suppression_remove() -> None:
    suppression_add(address="back@example.com", reason=Reason.BOUNCED)

    assert suppression_remove(address="Back@Example.com") == 1
    assert not is_suppressed(address="back@example.com")
    assert suppression_remove(address="back@example.com") == 0


@pytest.mark.parametrize(
    ("reason", "blocks_transactional"),
    [
        (Reason.BOUNCED, True),
        (Reason.MANUAL, True),
        (Reason.COMPLAINED, False),
        (Reason.UNSUBSCRIBED, False),
    ],
)
def test_which_reasons_stop_transactional_mail(reason, blocks_transactional) -> None:
    suppression_add(address="x@example.com", reason=reason)

    assert is_suppressed(address="x@example.com")
    assert is_suppressed(address="x@example.com", transactional=True) is blocks_transactional


# --- What the worker may send --------------------------------------------------


def test_nothing_blocks_a_wanted_notification(alice) -> None:
    assert block(notification_for(alice)) is None


def test_a_category_turned_off_cancels(alice) -> None:
    preference_set(user=alice, category=WAVES, mode=Mode.OFF)

    stop = block(notification_for(alice))
    status, reason = stop.status, stop.reason

    assert status == Status.CANCELLED
    assert WAVES in reason
    assert block(notification_for(alice, category=NOTES)) is None


def test_digest_mode_holds_the_row_for_the_digest(alice) -> None:
    preference_set(user=alice, category=WAVES, mode=Mode.DIGEST)

    stop = block(notification_for(alice))
    status, reason = stop.status, stop.reason
    assert status == Status.HELD
    assert "digest" in reason


@pytest.mark.parametrize("reason", list(Reason))
def test_a_suppressed_address_is_suppressed(alice, reason) -> None:
    suppression_add(address="ALICE@example.com", reason=reason)

    stop = block(notification_for(alice))
    status, why = stop.status, stop.reason

    assert status == Status.SUPPRESSED
    assert reason in why


def test_the_address_on_the_row_is_what_counts(alice) -> None:
    suppression_add(address="old-address@example.com", reason=Reason.BOUNCED)

    assert block(notification_for(alice)) is None
    blocked = notification_for(alice, to_address="Old-Address@example.com")
    assert block(blocked).status == Status.SUPPRESSED


def test_transactional_mail_ignores_preferences(alice) -> None:
    preference_set(user=alice, category=WAVES, mode=Mode.OFF)
    reset = notification_for(alice, category=WAVES, transactional=True)

    assert block(reset) is None


@pytest.mark.parametrize("reason", [Reason.COMPLAINED, Reason.UNSUBSCRIBED])
def test_transactional_mail_still_reaches_complained_and_unsubscribed_addresses(
    alice, reason
) -> None:
    suppression_add(address=alice.email, reason=reason)
    reset = notification_for(alice, category="", transactional=True)

    assert block(reset) is None


@pytest.mark.parametrize("reason", [Reason.BOUNCED, Reason.MANUAL])
def test_transactional_mail_is_not_sent_to_a_bounced_or_staff_suppressed_address(
    alice, reason
) -> None:
    suppression_add(address=alice.email.upper(), reason=reason)
    reset = notification_for(alice, category="", transactional=True)

    assert block(reset).status == Status.SUPPRESSED


def test_mail_without_a_recipient_account_is_checked_against_suppressions_only() -> None:
    report = Notification.objects.create(
        kind="email", transactional=True, to_address="ops@example.com"
    )
    assert block(report) is None

    suppression_add(address="ops@example.com", reason=Reason.BOUNCED)
    assert block(report).status == Status.SUPPRESSED


def test_only_if_unseen_needs_the_app_turned_on(alice, client) -> None:
    """Nothing would ever be seen in the app: every email would wait, then go."""
    client.force_login(alice)
    choices = dict.fromkeys(preferences_for(user=alice), Mode.IMMEDIATELY)

    response = client.post(
        reverse("notifications:preferences"),
        {**choices, WAVES: Mode.UNSEEN, f"{WAVES}__in_app": "off"},
    )

    assert response.status_code == 200
    assert "needs the app turned on" in response.content.decode()
    assert not Preference.objects.exists()


def test_the_page_names_the_time_zone_quiet_hours_are_in(alice, client) -> None:
    client.force_login(alice)
    page = client.get(reverse("notifications:preferences")).content.decode()
    from notifications.recipients import recipient_timezone

    assert f"in your own time zone ({recipient_timezone(alice).key})" in page
