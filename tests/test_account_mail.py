"""The site's account mail (password resets, and the notice that a password
was changed) goes through the notifications outbox as transactional mail: sent
by the worker, never unsubscribable, never held."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from microblog.models import Post
from notifications.models import Notification

Status = Notification.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def limit(settings):  # type: ignore[no-untyped-def]
    """An hourly ceiling of 3 notification emails per recipient."""
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "HOURLY_LIMIT": 3}
    return 3


def mention(author, name: str, n: int) -> Post:  # type: ignore[no-untyped-def]
    return Post.objects.create(author=author, body=f"Post {n} for @{name}")


def test_a_password_reset_goes_through_the_outbox_not_the_request(
    outbox_mailers, smtp_sink, alice, deliver
):
    before = smtp_sink.connections
    Client().post(reverse("accounts:password_reset"), {"email": "alice@example.com"})
    row = Notification.objects.get(to_address="alice@example.com")
    assert row.recipient == alice
    assert smtp_sink.connections == before  # the request opened no SMTP connection

    deliver()

    [received] = smtp_sink.messages
    assert received.envelope_to == ["alice@example.com"]
    assert "http://testserver/" in received.part("text/plain")


def test_password_reset_mail_has_no_unsubscribe_headers(outbox_mailers, smtp_sink, alice, deliver):
    Client().post(reverse("accounts:password_reset"), {"email": "alice@example.com"})
    deliver()

    [received] = smtp_sink.messages
    assert received.envelope_to == ["alice@example.com"]
    assert received.header("List-Unsubscribe") is None
    assert received.header("List-Unsubscribe-Post") is None
    assert "unsubscribe" not in received.part("text/plain").lower()


def test_the_ceiling_never_holds_account_mail(limit, outbox_mailers, alice, bob):
    for n in range(3):
        mention(bob, "alice", n)

    Client().post(reverse("accounts:password_reset"), {"email": "alice@example.com"})

    reset = Notification.objects.get(kind="email")
    assert reset.status == Status.QUEUED and reset.transactional


def test_a_password_change_is_told_by_email_in_the_person_s_language_and_zone(
    outbox_mailers, smtp_sink, alice, deliver
):
    """If it was not them, the email is how they find out, and a reset the way back."""
    from accounts.tests.factories import PASSWORD

    alice.language, alice.timezone = "zh-hans", "Asia/Shanghai"
    alice.save()
    client = Client()
    client.force_login(alice)
    new = "a-new-and-long-passphrase-42"

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert response.status_code == 302
    row = Notification.objects.get(to_address="alice@example.com")
    assert row.transactional
    deliver()
    [received] = smtp_sink.messages
    assert received.header("Subject") == "你的 Microblog 密码已更改"
    text = received.part("text/plain")
    assert "Asia/Shanghai" in text
    assert "http://testserver/accounts/password/reset/" in text
    assert received.header("List-Unsubscribe") is None


def test_a_password_set_with_a_reset_link_is_told_by_email_too(outbox_mailers, alice):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    client = Client()
    uid = urlsafe_base64_encode(force_bytes(alice.pk))
    form_page = client.get(
        reverse(
            "accounts:password_reset_confirm",
            args=[uid, default_token_generator.make_token(alice)],
        ),
        follow=True,
    )
    new = "a-new-and-long-passphrase-42"
    client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})

    [row] = Notification.objects.filter(to_address="alice@example.com")
    assert row.subject == "Your Microblog password was changed"


def test_account_mail_links_to_a_host_in_unicode_in_its_ascii_form(outbox_mailers, alice, settings):
    settings.SITE_URL = "https://bücher.example"
    Client().post(reverse("accounts:password_reset"), {"email": "alice@example.com"})

    row = Notification.objects.get(to_address="alice@example.com")
    assert "https://xn--bcher-kva.example/accounts/password/reset/" in row.body_text
    assert "bücher" not in row.body_text
