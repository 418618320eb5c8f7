"""Password reset requests are throttled per address and per client, without
revealing which addresses have an account."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RESET = reverse("accounts:password_reset")


@pytest.fixture(autouse=True)
def fresh_counts():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def ask(email: str, *, ip: str = "203.0.113.5"):  # type: ignore[no-untyped-def]
    return Client().post(RESET, {"email": email}, REMOTE_ADDR=ip)


def test_the_sixth_request_for_one_address_within_an_hour_is_refused_and_sends_nothing(
    mailoutbox,
):
    UserFactory(email="ada@example.com")
    for number in range(5):
        assert ask("ada@example.com", ip=f"198.51.100.{number}").status_code == 302
    response = ask("ADA@example.com", ip="198.51.100.99")
    assert response.status_code == 429
    assert "Too many reset requests" in response.content.decode()
    assert len(mailoutbox) == 5  # the five allowed emails, no sixth


def test_an_unknown_address_is_throttled_exactly_like_a_known_one():
    UserFactory(email="ada@example.com")
    answers = {}
    for email in ("ada@example.com", "nobody@example.com"):
        answers[email] = [
            ask(email, ip="192.0.2.1" if "ada" in email else "192.0.2.2").status_code
            for _ in range(6)
        ]
    assert answers["ada@example.com"] == answers["nobody@example.com"] == [302] * 5 + [429]


def test_one_client_asking_for_many_addresses_is_refused_after_twenty():
    codes = [ask(f"someone{n}@example.com").status_code for n in range(21)]
    assert codes == [302] * 20 + [429]
    assert ask("someone@example.com", ip="192.0.2.77").status_code == 302  # another client
