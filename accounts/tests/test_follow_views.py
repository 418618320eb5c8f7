import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Follow
from accounts.tests.factories import FollowFactory, UserFactory

pytestmark = pytest.mark.django_db


def follow_url(user, action: str = "follow") -> str:  # type: ignore[no-untyped-def]
    return reverse(f"accounts:{action}", kwargs={"username": user.username})


def test_follow_creates_a_follow_and_redirects_to_the_profile(user_client, user, other):
    response = user_client.post(follow_url(other))
    assert response.status_code == 302
    assert response.url == other.get_absolute_url()
    assert Follow.objects.filter(follower=user, followed=other).exists()
    page = user_client.get(response.url)
    assert f"You are following {other.username}." in page.content.decode()


def test_follow_is_idempotent(user_client, user, other):
    user_client.post(follow_url(other))
    response = user_client.post(follow_url(other))
    assert response.status_code == 302
    assert Follow.objects.filter(follower=user, followed=other).count() == 1


def test_unfollow_is_idempotent(user_client, user, other):
    FollowFactory(follower=user, followed=other)
    for _ in range(2):
        response = user_client.post(follow_url(other, "unfollow"))
        assert response.status_code == 302
    assert not Follow.objects.exists()


def test_follow_redirects_to_a_safe_next(user_client, other):
    response = user_client.post(follow_url(other), {"next": "/explore/?page=2"})
    assert response.url == "/explore/?page=2"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_follow_ignores_an_unsafe_next(user_client, other, target):
    response = user_client.post(follow_url(other), {"next": target})
    assert response.url == other.get_absolute_url()


@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_get_is_not_allowed(user_client, other, action):
    response = user_client.get(follow_url(other, action))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert b"only accepts a form submission" in response.content
    assert not Follow.objects.exists()


@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_missing_csrf_token_is_forbidden(user, other, action):
    FollowFactory(follower=user, followed=other)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(follow_url(other, action))
    assert response.status_code == 403
    assert Follow.objects.filter(follower=user, followed=other).count() == 1


def test_follow_with_csrf_token_from_the_page_works(user, other):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get(other.get_absolute_url())
    token = page.context["csrf_token"]
    response = client.post(follow_url(other), {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    assert Follow.objects.filter(follower=user, followed=other).exists()


@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_self_follow_is_a_bad_request(user_client, user, action):
    response = user_client.post(follow_url(user, action))
    assert response.status_code == 400
    assert b"yourself" in response.content
    assert not Follow.objects.exists()


@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_unknown_user_is_not_found(user_client, action):
    response = user_client.post(reverse(f"accounts:{action}", kwargs={"username": "nobody"}))
    assert response.status_code == 404


@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_deactivated_user_is_not_found(user_client, action):
    gone = UserFactory(is_active=False)
    response = user_client.post(follow_url(gone, action))
    assert response.status_code == 404
    assert not Follow.objects.exists()


@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_anonymous_is_sent_to_login_and_back_to_the_profile(client, other, action):
    response = client.post(follow_url(other, action))
    assert response.status_code == 302
    login = reverse("accounts:login")
    assert response.url == f"{login}?next={other.get_absolute_url()}"
    assert not Follow.objects.exists()


def test_username_lookup_ignores_case(user_client, user):
    target = UserFactory(username="CamelCase")
    response = user_client.post(reverse("accounts:follow", kwargs={"username": "camelcase"}))
    assert response.status_code == 302
    assert Follow.objects.filter(follower=user, followed=target).exists()
