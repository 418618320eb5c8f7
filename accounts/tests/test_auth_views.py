import re

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_login_with_username_in_any_case(client):
    UserFactory(username="Marie")
    response = client.post(reverse("accounts:login"), {"username": "marie", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("timeline:home")


def test_login_with_wrong_password_shows_an_error(client):
    user = UserFactory()
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": "wrong"}
    )
    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    # Usernames ignore case here (Django's message says both may not).
    assert error.endswith("The password is case-sensitive; the username is not.")


def test_logout_is_a_post_and_goes_to_explore(user_client):
    assert user_client.get(reverse("accounts:logout")).status_code == 405
    response = user_client.post(reverse("accounts:logout"))
    assert response.url == reverse("timeline:explore")
    assert user_client.get(reverse("timeline:home")).status_code == 302


def test_home_redirects_anonymous_to_login(client):
    response = client.get(reverse("timeline:home"))
    assert response.url == f"{reverse('accounts:login')}?next=/"


def test_password_change(user_client, user):
    url = reverse("accounts:password_change")
    assert user_client.get(url).status_code == 200
    response = user_client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase-7",
            "new_password2": "another-long-passphrase-7",
        },
    )
    assert response.url == reverse("accounts:password_change_done")
    user.refresh_from_db()
    assert user.check_password("another-long-passphrase-7")
    assert user_client.get(response.url).status_code == 200


def test_password_reset_sends_one_email_with_a_working_link(client):
    user = UserFactory(email="reset.me@example.com")
    response = client.post(reverse("accounts:password_reset"), {"email": "RESET.me@example.com"})
    assert response.url == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert message.subject == "Reset your Microblog password"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body)
    assert link is not None
    form_page = client.get(link.group(1), follow=True)
    assert form_page.context["validlink"] is True
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "brand-new-passphrase-9", "new_password2": "brand-new-passphrase-9"},
    )
    assert done.url == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("brand-new-passphrase-9")


def test_password_reset_for_unknown_email_sends_nothing(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_password_reset_with_a_bad_token_shows_the_expired_page(client):
    response = client.get(
        reverse("accounts:password_reset_confirm", kwargs={"uidb64": "MQ", "token": "bad-token"})
    )
    assert response.status_code == 200
    assert response.context["validlink"] is False


@pytest.mark.parametrize(
    "name",
    ["accounts:password_reset_done", "accounts:password_reset_complete", "accounts:login"],
)
def test_auth_pages_render(client, name):
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("template", ["400.html", "500.html"])
def test_error_templates_render_without_a_request(template):
    html = render_to_string(template)
    assert "<title>" in html


@pytest.mark.parametrize("template", ["403.html", "403_csrf.html", "404.html", "405.html"])
def test_error_templates_render_with_a_request(rf, template):
    html = render_to_string(template, request=rf.get("/"))
    assert "<title>" in html
