import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import FollowFactory, UserFactory
from microblog.models import Post
from microblog.selectors import timeline_explore, timeline_home
from microblog.services import post_create
from microblog.tests.factories import PostFactory

pytestmark = pytest.mark.django_db

HOME = reverse("timeline:home")
EXPLORE = reverse("timeline:explore")


def test_post_create_strips_the_body():
    post = post_create(author=UserFactory(), body="  hello world \n")
    assert post.body == "hello world"


@pytest.mark.parametrize("body", ["", "   ", "\n\t  \n"], ids=["empty", "spaces", "whitespace"])
def test_post_create_rejects_empty_bodies(body):
    with pytest.raises(ValidationError) as error:
        post_create(author=UserFactory(), body=body)
    assert error.value.message_dict["body"] == ["Write something before posting."]
    assert not Post.objects.exists()


def test_post_create_accepts_280_and_rejects_281_characters():
    author = UserFactory()
    assert post_create(author=author, body="x" * 280).body == "x" * 280
    with pytest.raises(ValidationError) as error:
        post_create(author=author, body="y" * 281)
    assert "at most 280 characters" in error.value.message_dict["body"][0]
    assert Post.objects.count() == 1


def test_home_timeline_has_own_and_followed_posts_newest_first():
    me, friend, stranger = UserFactory(), UserFactory(), UserFactory()
    FollowFactory(follower=me, followed=friend)
    FollowFactory(follower=UserFactory(), followed=me)  # a follower must not duplicate my posts
    mine = PostFactory(author=me)
    theirs = PostFactory(author=friend)
    PostFactory(author=stranger)
    assert list(timeline_home(user=me)) == [theirs, mine]


def test_timelines_hide_posts_of_deactivated_users():
    me = UserFactory()
    gone = UserFactory(is_active=False)
    FollowFactory(follower=me, followed=gone)
    PostFactory(author=gone)
    visible = PostFactory()
    assert list(timeline_home(user=me)) == []
    assert list(timeline_explore()) == [visible]


def test_home_requires_login(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_home_posts_and_redirects(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(HOME, {"body": "  my first post  "})
    assert response.status_code == 302
    assert response.url == HOME
    assert Post.objects.get().body == "my first post"
    page = client.get(HOME).content.decode()
    assert "my first post" in page
    assert "Your post is live." in page


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "Write something before posting."),
        ("   \n  ", "Write something before posting."),
        ("z" * 281, "A post can have at most 280 characters (it has 281)."),
    ],
    ids=["empty", "whitespace", "281-chars"],
)
def test_home_rejects_bad_posts(client, body, error):
    client.force_login(UserFactory())
    response = client.post(HOME, {"body": body})
    assert response.status_code == 200
    assert response.context["form"].errors["body"] == [error]
    assert not Post.objects.exists()


def test_home_post_requires_csrf_token():
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    assert client.post(HOME, {"body": "hi"}).status_code == 403
    assert not Post.objects.exists()


def test_explore_is_public_and_paginated(client):
    PostFactory.create_batch(23)
    response = client.get(EXPLORE)
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 20
    assert len(client.get(EXPLORE + "?page=2").context["page"].object_list) == 3
    assert client.get(EXPLORE + "?page=999").status_code == 200


def test_posts_are_escaped_on_timelines(client):
    user = UserFactory()
    client.force_login(user)
    PostFactory(author=user, body="<b>bold</b> & <script>x()</script>")
    for url in [HOME, EXPLORE]:
        body = client.get(url).content.decode()
        assert "<script>x()" not in body
        assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;x()&lt;/script&gt;" in body


@pytest.mark.parametrize("url", [HOME, EXPLORE])
def test_timelines_use_a_constant_number_of_queries(client, django_assert_num_queries, url):
    user = UserFactory()
    client.force_login(user)

    def grow(n: int) -> None:
        for _ in range(n):
            author = UserFactory()
            FollowFactory(follower=user, followed=author)
            PostFactory(author=author)

    grow(3)
    client.get(url)  # warm-up: session and last-seen writes happen once
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    grow(27)
    with django_assert_num_queries(len(queries)):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 20


def test_post_admin_pages(admin_client):
    post = PostFactory(body="searchable words")
    changelist = admin_client.get(reverse("admin:microblog_post_changelist"), {"q": "searchable"})
    assert changelist.status_code == 200
    assert list(changelist.context["cl"].result_list) == [post]
    assert (
        admin_client.get(reverse("admin:microblog_post_change", args=[post.pk])).status_code == 200
    )


def test_a_post_has_a_page_of_its_own_that_every_post_links_to(client):
    """Where a mention leads: still the post after its author wrote twenty more."""
    alice = UserFactory(username="alice")
    post = PostFactory(author=UserFactory(username="bob"), body="hello @alice")
    for n in range(25):
        PostFactory(author=post.author, body=f"later {n}")

    page = client.get(f"/p/{post.pk}/")

    assert page.status_code == 200
    content = page.content.decode()
    assert "hello" in content and f'href="{alice.get_absolute_url()}"' in content
    assert "More from @bob" in content
    profile = client.get("/u/bob/").content.decode()
    assert f'href="/p/{Post.objects.order_by("-id")[0].pk}/"' in profile


def test_the_page_of_an_unknown_post_or_of_a_deactivated_author_is_404(client):
    post = PostFactory(author=UserFactory(username="gone", is_active=False))
    assert client.get(f"/p/{post.pk}/").status_code == 404
    assert client.get("/p/999999/").status_code == 404
