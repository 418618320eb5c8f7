"""Sign-in is throttled per account and per client, without revealing accounts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")


def without_csrf_token(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r'value="[A-Za-z0-9]{64}"', "", response.content.decode())


def attempt(client: Client, username: str, password: str, *, ip: str = "203.0.113.7", **extra):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def test_the_eleventh_attempt_within_a_minute_is_refused_even_with_the_right_password():
    UserFactory(username="alice")
    client = Client()
    for _ in range(9):
        assert attempt(client, "alice", "wrong").status_code == 200  # the form again
    assert attempt(client, "alice", "wrong").status_code == 429  # the tenth locks
    response = attempt(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lockout_follows_the_account_whatever_the_case_and_the_address():
    UserFactory(username="alice")
    for number in range(10):
        attempt(Client(), "ALICE" if number % 2 else "alice", "wrong", ip=f"198.51.100.{number}")
    assert attempt(Client(), "Alice", PASSWORD, ip="192.0.2.99").status_code == 429


def test_ten_mistakes_on_one_account_do_not_lock_the_others_signing_in_from_there():
    """A family, an office: one address, several people."""
    UserFactory(username="alice")
    UserFactory(username="carol")
    for _ in range(10):
        attempt(Client(), "carol", "wrong")
    assert attempt(Client(), "carol", PASSWORD).status_code == 429
    assert attempt(Client(), "alice", PASSWORD).status_code == 302


def test_one_client_guessing_many_accounts_is_locked_out_too():
    UserFactory(username="carol")
    client = Client()
    for number in range(50):
        attempt(client, f"victim{number}", "wrong")
    response = attempt(client, "carol", PASSWORD)
    assert response.status_code == 429
    # Carol never typed a wrong password: the page says why she is paused too.
    assert "for this account or from your network" in response.content.decode()
    assert attempt(Client(), "carol", PASSWORD, ip="192.0.2.1").status_code == 302


def test_an_unknown_username_gets_the_same_lockout_page_as_a_real_one():
    UserFactory(username="alice")
    pages = {}
    for username, ip in (("alice", "192.0.2.10"), ("nobody-here", "192.0.2.20")):
        for _ in range(10):
            attempt(Client(), username, "wrong", ip=ip)
        pages[username] = attempt(Client(), username, "wrong", ip=ip)
    assert pages["alice"].status_code == pages["nobody-here"].status_code == 429
    assert without_csrf_token(pages["alice"]) == without_csrf_token(pages["nobody-here"])


def test_signing_in_works_again_after_the_cool_off_and_a_success_clears_the_count():
    UserFactory(username="alice")
    for _ in range(10):
        attempt(Client(), "alice", "wrong")
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert attempt(Client(), "alice", PASSWORD).status_code == 302
        for _ in range(9):
            attempt(Client(), "alice", "wrong")
        assert attempt(Client(), "alice", PASSWORD).status_code == 302


def test_the_admin_sign_in_is_throttled_the_same_way():
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    client = Client()
    admin_login = reverse("admin:login")
    for _ in range(10):
        client.post(admin_login, {"username": "boss", "password": "wrong"})
    response = client.post(admin_login, {"username": "boss", "password": PASSWORD})
    assert response.status_code == 429


def test_a_completed_password_reset_lifts_the_lockout_of_the_account():
    """The lockout page offers a reset: finishing one signs in again."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    alice = UserFactory(username="alice")
    for _ in range(10):
        attempt(Client(), "alice", "wrong")
    assert attempt(Client(), "alice", PASSWORD).status_code == 429

    client = Client()
    uid = urlsafe_base64_encode(force_bytes(alice.pk))
    token = default_token_generator.make_token(alice)
    form_page = client.get(
        reverse("accounts:password_reset_confirm", args=[uid, token]), follow=True
    )
    new = "a-new-and-long-passphrase-42"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )

    assert done.status_code == 302
    assert attempt(Client(), "alice", new).status_code == 302


def test_signing_in_to_one_s_own_account_leaves_the_count_of_another_as_it_was():
    """django-axes' own reset on success cleared every failure from the same
    address: an attacker signing in to their own account between guesses
    could guess another's password for ever."""
    UserFactory(username="victim")
    UserFactory(username="mallory")
    for n in range(9):
        assert attempt(Client(), "victim", f"guess-{n}").status_code == 200
        assert attempt(Client(), "mallory", PASSWORD).status_code == 302
    assert attempt(Client(), "victim", "guess-9").status_code == 429  # the tenth locks
    assert attempt(Client(), "victim", PASSWORD).status_code == 429


def test_a_dotless_i_finds_no_account():
    """PostgreSQL's case-insensitive match takes "al\u0131ce" for "alice": no
    username has a letter outside ASCII, so such a name finds nobody."""
    UserFactory(username="alice")
    client = Client()
    response = attempt(client, "al\u0131ce", PASSWORD)
    assert response.status_code == 200  # the form again
    assert "_auth_user_id" not in client.session


def test_a_dotless_i_counts_against_the_account_it_folds_onto():
    UserFactory(username="alice")
    for n in range(10):
        attempt(Client(), "alice", "wrong", ip=f"198.51.100.{n}")
    assert attempt(Client(), "al\u0131ce", "wrong", ip="192.0.2.6").status_code == 429


def test_behind_a_proxy_the_address_it_appended_is_the_client_s(settings):
    """What the client wrote into X-Forwarded-For is not believed, and honest
    clients, whose header holds only what the proxy appended, are told apart."""
    settings.PROXY_COUNT = 1
    UserFactory(username="carol")
    real = "203.0.113.50"
    for n in range(50):
        attempt(
            Client(),
            f"victim{n}",
            "wrong",
            ip="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"10.9.{n}.1, {real}",
        )
    forged = attempt(
        Client(), "carol", PASSWORD, ip="127.0.0.1", HTTP_X_FORWARDED_FOR=f"10.9.99.1, {real}"
    )
    assert forged.status_code == 429
    honest = attempt(
        Client(), "carol", PASSWORD, ip="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.77"
    )
    assert honest.status_code == 302


@pytest.mark.parametrize(
    ("appended", "another"),
    [
        ("203.0.113.50", "198.51.100.77"),
        ("203.0.113.50:4711", "198.51.100.77:5555"),
        ("[2001:db8:1::50]:4711", "[2001:db8:2::77]:5555"),
        ("2001:db8:1::50", "2001:db8:2::77"),
    ],
)
def test_behind_a_proxy_that_writes_ports_clients_are_still_told_apart(settings, appended, another):
    settings.PROXY_COUNT = 1
    UserFactory(username="carol")
    for n in range(50):
        attempt(Client(), f"v{n}", "wrong", ip="127.0.0.1", HTTP_X_FORWARDED_FOR=appended)
    assert (
        attempt(
            Client(), "carol", PASSWORD, ip="127.0.0.1", HTTP_X_FORWARDED_FOR=appended
        ).status_code
        == 429
    )
    assert (
        attempt(
            Client(), "carol", PASSWORD, ip="127.0.0.1", HTTP_X_FORWARDED_FOR=another
        ).status_code
        == 302
    )


def test_sign_up_is_held_to_a_person_s_pace(settings):
    """Sign-up must say an address is taken; trying addresses by the
    thousand to learn which are is throttled per client."""
    from django.core.cache import cache

    cache.clear()
    UserFactory(username="alice", email="secret.alice@example.com")
    form = {
        "username": "newcomer",
        "email": "secret.alice@example.com",
        "password1": "a-Long-unusual-pass-42",
        "password2": "a-Long-unusual-pass-42",
    }
    for _ in range(20):
        assert (
            Client().post("/accounts/signup/", form, REMOTE_ADDR="198.51.100.1").status_code == 200
        )
    refused = Client().post("/accounts/signup/", form, REMOTE_ADDR="198.51.100.1")
    assert refused.status_code == 429
    assert "already exists" not in refused.content.decode()
    assert Client().post("/accounts/signup/", form, REMOTE_ADDR="198.51.100.2").status_code == 200


def test_an_ipv6_client_is_its_64_network_and_an_ipv4_client_on_a_dual_stack_socket_its_ipv4():
    """A home or host is given a whole /64: rotating through it makes no new client."""
    UserFactory(username="carol")
    for n in range(50):
        attempt(Client(), f"v{n}", "wrong", ip=f"2001:db8:0:1::{n + 1:x}")
    assert attempt(Client(), "carol", PASSWORD, ip="2001:db8:0:1::ffff").status_code == 429
    assert attempt(Client(), "carol", PASSWORD, ip="2001:db8:0:2::1").status_code == 302

    for n in range(50):
        attempt(Client(), f"w{n}", "wrong", ip="::ffff:198.51.100.9")
    assert attempt(Client(), "carol", PASSWORD, ip="::ffff:198.51.100.10").status_code == 302
