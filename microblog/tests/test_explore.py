"""Explore: everyone's posts, people to follow, and a search for people."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.selectors import people_search, people_to_follow
from accounts.tests.factories import FollowFactory, UserFactory
from microblog.tests.factories import PostFactory

pytestmark = pytest.mark.django_db

EXPLORE = reverse("timeline:explore")


def usernames(users) -> list[str]:  # type: ignore[no-untyped-def]
    return [user.username for user in users]


# --- people to follow ---------------------------------------------------------------


def test_people_to_follow_leaves_out_me_those_i_follow_the_inactive_and_staff():
    me = UserFactory(username="me")
    followed = UserFactory(username="followed")
    FollowFactory(follower=me, followed=followed)
    UserFactory(username="gone", is_active=False)
    UserFactory(username="admin", is_staff=True)
    UserFactory(username="stranger")

    assert usernames(people_to_follow(viewer=me)) == ["stranger"]


def test_people_to_follow_are_the_most_followed_then_the_newest():
    fans = UserFactory.create_batch(2, is_staff=True)  # staff: never suggested themselves
    quiet_old = UserFactory(username="quiet_old")
    popular = UserFactory(username="popular")
    UserFactory(username="quiet_new")
    for fan in fans:
        FollowFactory(follower=fan, followed=popular)
    FollowFactory(follower=UserFactory(is_active=False), followed=quiet_old)  # does not count

    suggestions = people_to_follow(viewer=None)

    assert usernames(suggestions) == ["popular", "quiet_new", "quiet_old"]
    assert suggestions[0].followers_count == 2


def test_people_to_follow_are_bounded():
    UserFactory.create_batch(8)
    assert len(people_to_follow(viewer=None)) == 5


def test_a_newcomer_without_posts_is_suggested_on_explore(client):
    UserFactory(username="newbie")
    reader = UserFactory(username="reader")
    client.force_login(reader)

    response = client.get(EXPLORE)

    assert usernames(response.context["suggestions"]) == ["newbie"]
    html = response.content.decode()
    assert "People to follow" in html
    assert reverse("accounts:follow", kwargs={"username": "newbie"}) in html


def test_anonymous_visitors_see_people_without_follow_buttons(client):
    UserFactory(username="alice")
    html = client.get(EXPLORE).content.decode()
    assert "@alice" in html
    assert "/u/alice/follow/" not in html


def _queries(client: Client, url: str) -> int:
    client.get(url)  # warm-up: session and last-seen writes happen once
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
@pytest.mark.parametrize("url", [EXPLORE, EXPLORE + "?q=user"], ids=["explore", "search"])
def test_explore_and_search_cost_the_same_queries_however_many_people_and_posts(
    client, django_assert_num_queries, signed_in, url
):
    me = UserFactory()
    if signed_in:
        client.force_login(me)

    def grow(n: int) -> None:
        for _ in range(n):
            person = UserFactory()
            PostFactory(author=person, body=f"hi @{me.username}")
            FollowFactory(followed=person)
            FollowFactory(follower=me, followed=UserFactory())

    grow(2)
    expected = _queries(client, url)
    grow(25)
    with django_assert_num_queries(expected):
        client.get(url)


# --- searching for people ---------------------------------------------------------------


def test_search_matches_usernames_and_full_names_in_any_case_prefix_first():
    UserFactory(username="malice")
    UserFactory(username="Alicia")
    UserFactory(username="bob", first_name="Alice", last_name="Lee")
    UserFactory(username="carol")
    UserFactory(username="alice_gone", is_active=False)

    assert usernames(people_search(query="ALI", viewer=None)) == ["Alicia", "bob", "malice"]
    assert usernames(people_search(query="alice lee", viewer=None)) == ["bob"]


def test_search_wildcards_are_literal():
    UserFactory(username="a_b")
    UserFactory(username="axb")
    assert usernames(people_search(query="a_", viewer=None)) == ["a_b"]
    assert usernames(people_search(query="%", viewer=None)) == []


def test_search_results_say_whom_i_follow(client):
    me, alice = UserFactory(), UserFactory(username="alice")
    FollowFactory(follower=me, followed=alice)
    client.force_login(me)

    html = client.get(EXPLORE, {"q": "alice"}).content.decode()

    assert reverse("accounts:unfollow", kwargs={"username": "alice"}) in html


def test_search_is_paginated_and_keeps_the_query_in_page_links(client):
    for n in range(23):
        UserFactory(username=f"sam{n:02d}")

    first = client.get(EXPLORE, {"q": "sam"})
    second = client.get(EXPLORE, {"q": "sam", "page": 2})

    assert len(first.context["page"].object_list) == 20
    assert 'href="?q=sam&amp;page=2"' in first.content.decode()
    assert len(second.context["page"].object_list) == 3


def test_an_empty_search_says_so(client):
    response = client.get(EXPLORE, {"q": "zzz"})
    assert response.status_code == 200
    assert "Nobody matches “zzz”." in response.content.decode()


def test_a_blank_search_is_plain_explore(client):
    response = client.get(EXPLORE, {"q": "   "})
    assert response.status_code == 200
    assert "suggestions" in response.context


def test_the_query_is_escaped(client):
    html = client.get(EXPLORE, {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_too_long_query_is_a_bad_request_with_the_forms_error():
    response = Client(raise_request_exception=False).get(EXPLORE, {"q": "x" * 101})
    assert response.status_code == 400
    assert "search-form" in response.content.decode()
    assert "Search for at most 100 characters." in response.content.decode()


@pytest.mark.parametrize("query", ["a\x00b", "\x00"], ids=["nul-inside", "nul-only"])
def test_a_nul_in_the_query_is_a_bad_request_at_the_edge(query):
    """No database column holds a NUL: the site refuses it before any view runs."""
    response = Client(raise_request_exception=False).get(EXPLORE, {"q": query})
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


@pytest.mark.parametrize(
    "query_string",
    ["q=%00", "q=%ff%fe", "q=ali&page=-1", "q=ali&page=99999999999999999999", "q[]=x", "q=%F0%9F"],
)
def test_odd_query_strings_never_fail(query_string):
    UserFactory(username="alice")
    response = Client(raise_request_exception=False).get(f"{EXPLORE}?{query_string}")
    assert response.status_code in (200, 400)


def test_searching_finds_yourself_marked_as_you(client):
    me = UserFactory(username="alex")
    client.force_login(me)
    html = client.get(EXPLORE, {"q": "alex"}).content.decode()
    assert '<span class="badge">You</span>' in html
    assert "/u/alex/follow/" not in html
