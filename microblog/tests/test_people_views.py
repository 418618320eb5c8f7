"""Profile pages: a person with their posts, followers and following."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import FollowFactory, UserFactory
from microblog.tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def test_profile_shows_about_counts_and_posts(client):
    person = UserFactory(about_me="Hello there")
    PostFactory(author=person, body="first post")
    FollowFactory.create_batch(2, followed=person)
    FollowFactory(follower=person)
    response = client.get(person.get_absolute_url())
    assert response.status_code == 200
    assert response.context["person"].followers_count == 2
    assert response.context["person"].following_count == 1
    body = response.content.decode()
    assert "Hello there" in body
    assert "first post" in body
    assert person.avatar_url_large.replace("&", "&amp;") in body


def test_followers_of_deactivated_users_are_not_counted(client):
    person = UserFactory()
    FollowFactory(followed=person, follower=UserFactory(is_active=False))
    response = client.get(person.get_absolute_url())
    assert response.context["person"].followers_count == 0


def test_profile_shows_follow_or_unfollow_button(user_client, user, other):
    page = user_client.get(other.get_absolute_url()).content.decode()
    assert reverse("accounts:follow", kwargs={"username": other.username}) in page
    FollowFactory(follower=user, followed=other)
    page = user_client.get(other.get_absolute_url()).content.decode()
    assert reverse("accounts:unfollow", kwargs={"username": other.username}) in page
    assert "csrfmiddlewaretoken" in page


def test_own_profile_has_no_follow_button(user_client, user):
    page = user_client.get(user.get_absolute_url()).content.decode()
    assert reverse("accounts:follow", kwargs={"username": user.username}) not in page
    assert reverse("accounts:profile_edit") in page


def test_profile_of_unknown_or_deactivated_user_is_not_found(client):
    assert client.get("/u/nobody/").status_code == 404
    gone = UserFactory(is_active=False)
    assert client.get(gone.get_absolute_url()).status_code == 404
    assert client.get(f"/u/{gone.username}/followers/").status_code == 404


def test_not_found_page_uses_the_site_template(client):
    response = client.get("/u/nobody/")
    assert b"Page not found" in response.content


def test_html_in_about_me_and_posts_is_escaped(client):
    person = UserFactory(about_me="<script>alert('about')</script>")
    PostFactory(author=person, body="<img src=x onerror=alert(1)>")
    for url in [person.get_absolute_url(), reverse("timeline:explore")]:
        body = client.get(url).content.decode()
        assert "<script>alert(" not in body
        assert "<img src=x" not in body
    body = client.get(person.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(&#x27;about&#x27;)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body


def test_profile_posts_are_paginated(client):
    person = UserFactory()
    PostFactory.create_batch(25, author=person)
    first = client.get(person.get_absolute_url())
    assert len(first.context["page"].object_list) == 20
    second = client.get(person.get_absolute_url() + "?page=2")
    assert len(second.context["page"].object_list) == 5
    assert client.get(person.get_absolute_url() + "?page=junk").status_code == 200


@pytest.mark.parametrize("showing", ["followers", "following"])
def test_follow_lists_are_paginated_and_show_users(client, showing):
    person = UserFactory()
    for _ in range(22):
        if showing == "followers":
            FollowFactory(followed=person)
        else:
            FollowFactory(follower=person)
    url = reverse(f"timeline:{showing}", kwargs={"username": person.username})
    response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["users"]) == 20
    assert len(client.get(url + "?page=2").context["users"]) == 2


def _count_queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    client.get(url)  # warm-up: session and last-seen writes happen once
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["profile", "followers", "following"])
def test_profile_pages_use_a_constant_number_of_queries(
    user_client, user, django_assert_num_queries, page
):
    person = UserFactory()
    FollowFactory(follower=user, followed=person)

    def grow(n: int) -> None:
        for _ in range(n):
            PostFactory(author=person)
            FollowFactory(followed=person)
            FollowFactory(follower=person)

    grow(3)
    url = reverse(f"timeline:{page}", kwargs={"username": person.username})
    expected = _count_queries(user_client, url)
    grow(27)
    with django_assert_num_queries(expected):
        user_client.get(url)


@pytest.mark.parametrize(
    "path",
    ["/u/%00/", "/u/a%00b/followers/", "/u/a%00b/following/", "/avatars/%00.png"],
)
def test_a_nul_character_in_a_username_is_not_found(client, path):
    assert Client(raise_request_exception=False).get(path).status_code == 404


def test_following_a_username_with_a_nul_character_is_not_found(user_client):
    response = user_client.post("/u/a%00b/follow/")
    assert response.status_code == 404
