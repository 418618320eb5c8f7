import pytest
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("accounts:signup")
GOOD_PASSWORD = "a-long-unusual-passphrase-42"


def signup_data(**overrides: str) -> dict[str, str]:
    return {
        "username": "newcomer",
        "email": "newcomer@example.com",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
        **overrides,
    }


def test_signup_page_renders(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_signup_creates_the_user_and_logs_them_in(client):
    response = client.post(URL, signup_data())
    assert response.status_code == 302
    assert response.url == reverse("timeline:home")
    user = User.objects.get(username="newcomer")
    assert user.check_password(GOOD_PASSWORD)
    assert client.session["_auth_user_id"] == str(user.pk)


def test_signed_in_user_is_sent_home_from_signup(client):
    client.force_login(UserFactory())
    assert client.get(URL).url == reverse("timeline:home")


@pytest.mark.parametrize(
    "username",
    [
        "with space",
        "new\nline",
        "<script>",
        "x" * 31,
        "ab",
        "",
        "émile",
        "semi;colon",
    ],
    ids=["space", "newline", "script", "31-chars", "too-short", "empty", "non-ascii", "semicolon"],
)
def test_signup_rejects_bad_usernames(client, username):
    response = client.post(URL, signup_data(username=username))
    assert response.status_code == 200
    assert response.context["form"].errors["username"]
    assert not User.objects.exists()


@pytest.mark.parametrize("username", ["abc", "x" * 30, "a.b-c_d", "Mixed.Case-99"])
def test_signup_accepts_good_usernames(client, username):
    response = client.post(URL, signup_data(username=username))
    assert response.status_code == 302
    assert User.objects.filter(username=username).exists()


def test_signup_rejects_username_differing_only_in_case(client):
    UserFactory(username="Taken")
    response = client.post(URL, signup_data(username="tAKEN"))
    assert response.context["form"].errors["username"] == ["That username is taken."]
    assert User.objects.count() == 1


def test_signup_rejects_duplicate_email_case_insensitively(client):
    UserFactory(email="someone@example.com")
    response = client.post(URL, signup_data(email="SomeOne@EXAMPLE.com"))
    assert response.context["form"].errors["email"] == [
        "An account with that email address already exists."
    ]
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("existing", "given"),
    [
        ("alice@bücher.example", "alice@xn--bcher-kva.example"),
        ("alice@xn--bcher-kva.example", "Alice@Bücher.example"),
    ],
)
def test_signup_rejects_the_same_mailbox_with_its_domain_spelled_otherwise(
    client, existing, given
):
    UserFactory(email=existing)
    response = client.post(URL, signup_data(email=given))
    assert response.context["form"].errors["email"] == [
        "An account with that email address already exists."
    ]
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"email": ""},
        {"email": "not-an-email"},
        {"password2": "something-else-entirely"},
        {"password1": "123", "password2": "123"},
        {"password1": "", "password2": ""},
    ],
    ids=["no-email", "bad-email", "mismatch", "weak", "empty"],
)
def test_signup_rejects_bad_email_or_password(client, overrides):
    response = client.post(URL, signup_data(**overrides))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not User.objects.exists()


def test_signup_errors_are_escaped_on_the_page(client):
    response = client.post(URL, signup_data(username="<script>alert(1)</script>"))
    assert b"<script>alert(1)</script>" not in response.content


def test_a_weak_password_is_faulted_under_the_password_not_its_confirmation(client):
    response = client.post(URL, signup_data(password1="password", password2="password"))

    errors = response.context["form"].errors
    assert "password1" in errors and "password2" not in errors
    assert not User.objects.exists()
