"""@mentions in posts link to the mentioned person's profile."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from microblog.mentions import linked_mentions, mentioned_usernames
from microblog.selectors import mentionable_users
from microblog.tests.factories import PostFactory

pytestmark = pytest.mark.django_db

ALICE = {"alice": "Alice"}


def test_a_mention_of_a_known_user_links_to_their_profile_as_written():
    html = linked_mentions("Lunch, @ALICE?", ALICE)
    assert html == 'Lunch, <a class="mention" href="/u/Alice/">@ALICE</a>?'


def test_a_mention_of_anyone_else_stays_plain_text():
    assert linked_mentions("hi @nobody and @al", ALICE) == "hi @nobody and @al"


def test_an_email_address_is_not_a_mention():
    assert linked_mentions("write to bob@alice.com", ALICE) == "write to bob@alice.com"


def test_a_full_stop_after_a_mention_is_not_part_of_the_link():
    html = linked_mentions("Thanks @alice.", ALICE)
    assert html == 'Thanks <a class="mention" href="/u/Alice/">@alice</a>.'


def test_html_around_a_mention_is_escaped_and_line_breaks_kept():
    html = linked_mentions('<b onclick="x()">@alice</b>\r\n<script>', ALICE)
    assert html == (
        "&lt;b onclick=&quot;x()&quot;&gt;"
        '<a class="mention" href="/u/Alice/">@alice</a>'
        "&lt;/b&gt;<br>&lt;script&gt;"
    )


def test_mentioned_usernames_are_lower_cased_once_each_in_order():
    assert mentioned_usernames("@Bob @alice. @BOB @al x@carol") == ["bob", "alice"]


def test_mentionable_users_are_the_active_mentioned_ones():
    UserFactory(username="Alice")
    UserFactory(username="sleeper", is_active=False)
    posts = [PostFactory(body="hi @alice"), PostFactory(body="@sleeper @ghost")]
    assert mentionable_users(posts=posts) == {"alice": "Alice"}


def test_timelines_and_profiles_link_mentions(user_client, user):
    UserFactory(username="alice")
    post = PostFactory(author=user, body="Coffee with @alice and @ghost <i>now</i>")
    for url in [
        reverse("timeline:home"),
        reverse("timeline:explore"),
        post.author.get_absolute_url(),
    ]:
        html = user_client.get(url).content.decode()
        assert '<a class="mention" href="/u/alice/">@alice</a> and @ghost &lt;i&gt;now' in html


def test_linking_mentions_costs_the_same_queries_however_many_posts_mention(
    client, django_assert_num_queries
):
    for n in range(3):
        UserFactory(username=f"friend{n}")
    PostFactory(body="hello @friend0")
    with CaptureQueriesContext(connection) as one_mention:
        client.get(reverse("timeline:explore"))
    for n in range(20):
        PostFactory(body=f"hi @friend{n % 3} and @friend{(n + 1) % 3}")
    with django_assert_num_queries(len(one_mention)):
        html = client.get(reverse("timeline:explore")).content.decode()
    assert html.count('class="mention"') == 2 * 20  # the 20 newest posts, two mentions each
