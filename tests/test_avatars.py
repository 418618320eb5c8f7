"""Avatars: drawn by the site, no third party asked unless Gravatar is turned on."""

import re
import runpy
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.template.loader import render_to_string
from django.urls import reverse
from PIL import Image

from accounts import avatars
from accounts.notifications import NewFollower, new_follower_context
from accounts.tests.factories import FollowFactory, UserFactory
from microblog.tests.factories import PostFactory

pytestmark = pytest.mark.django_db

BASE_SETTINGS = Path(django_settings.BASE_DIR) / "microblog" / "settings" / "base.py"


@pytest.mark.parametrize(
    ("username", "initials"),
    [
        ("alice", "A"),
        ("bob_lee", "BL"),
        ("mary.jane.watson", "MJ"),
        ("x-9", "X9"),
        ("__", "?"),
        ("élodie", "?"),
    ],
)
def test_initials_are_the_first_letters_of_the_first_two_parts_of_the_username(username, initials):
    assert avatars.avatar_initials(username) == initials


def test_the_colour_depends_on_the_username_in_any_case():
    assert avatars.avatar_colour("Alice") == avatars.avatar_colour("alice")
    assert avatars.avatar_colour("alice") in avatars.PALETTE
    assert len({avatars.avatar_colour(f"user{n}") for n in range(50)}) > 3


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("colour", avatars.PALETTE)
def test_white_initials_are_readable_on_every_palette_colour(colour):
    contrast = (1 + 0.05) / (_luminance(colour) + 0.05)
    assert contrast >= 4.5


@pytest.mark.parametrize(
    ("requested", "drawn"),
    [(1, 32), (48, 48), (80, 96), (256, 256), (10_000, 256), ("junk", 96), (None, 96)],
)
def test_sizes_snap_to_the_few_the_site_draws(requested, drawn):
    assert avatars.avatar_size(requested) == drawn


def test_the_site_serves_a_users_avatar_as_a_cacheable_png(client):
    alice = UserFactory(username="alice")

    response = client.get(alice.avatar_url(48))

    assert alice.avatar_url(48) == "/avatars/alice.png?s=48"
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "max-age" in response["Cache-Control"]
    image = Image.open(BytesIO(response.content))
    assert image.size == (48, 48)
    colour = avatars.avatar_colour("alice")
    assert image.getpixel((1, 1)) == tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


@pytest.mark.parametrize("size", ["", "abc", "-5", "99999999999999999999"])
def test_an_odd_size_still_gets_an_avatar(client, size):
    UserFactory(username="alice")
    assert client.get("/avatars/alice.png", {"s": size}).status_code == 200


def test_no_avatar_for_unknown_or_deactivated_users(client):
    UserFactory(username="gone", is_active=False)
    assert client.get("/avatars/nobody.png").status_code == 404
    assert client.get("/avatars/gone.png").status_code == 404


def _image_sources(html: str) -> list[str]:
    return re.findall(r'<img [^>]*src="([^"]+)"', html)


def test_pages_show_only_avatars_served_by_the_site(user_client, user):
    friend = UserFactory(username="friend")
    FollowFactory(follower=user, followed=friend)
    FollowFactory(follower=friend, followed=user)
    PostFactory(author=friend)
    PostFactory(author=user)
    urls = [
        reverse("timeline:home"),
        reverse("timeline:explore"),
        friend.get_absolute_url(),
        reverse("timeline:followers", kwargs={"username": user.username}),
    ]
    for url in urls:
        response = user_client.get(url)
        html = response.content.decode()
        sources = _image_sources(html)
        assert sources, url
        assert all(src.startswith("/avatars/") for src in sources), (url, sources)
        assert "gravatar" not in html
        assert "gravatar" not in response["Content-Security-Policy"]


def test_gravatar_is_used_only_when_turned_on(settings):
    alice = UserFactory(username="alice", email="Alice@Example.com")
    settings.AVATARS_GRAVATAR = True
    assert alice.avatar_url(80).startswith("https://www.gravatar.com/avatar/")
    assert "s=80" in alice.avatar_url(80)
    settings.AVATARS_GRAVATAR = False
    assert alice.avatar_url(80) == "/avatars/alice.png?s=96"


@pytest.mark.parametrize(("env", "allowed"), [("false", False), ("true", True)])
def test_the_content_security_policy_allows_gravatar_only_when_it_is_on(monkeypatch, env, allowed):
    monkeypatch.setenv("AVATARS_GRAVATAR", env)
    configured = runpy.run_path(str(BASE_SETTINGS))
    assert configured["AVATARS_GRAVATAR"] is allowed
    assert ("https://www.gravatar.com" in configured["SECURE_CSP"]["img-src"]) is allowed


def _new_follower_html() -> str:
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    context = new_follower_context(followers=[bob], recipient=alice)
    return render_to_string("accounts/email/new_follower.html", {**context, "recipient": alice})


def test_an_email_shows_the_sites_avatar_with_the_initials_as_its_fallback():
    html = _new_follower_html()

    [img] = re.findall(r"<img [^>]*>", html)
    assert 'src="http://testserver/avatars/bob.png?s=96"' in img
    assert 'alt="B"' in img
    assert f"background-color: {avatars.avatar_colour('bob')}" in img
    assert "gravatar" not in html


def test_an_email_shows_gravatars_picture_when_it_is_on(settings):
    settings.AVATARS_GRAVATAR = True
    html = _new_follower_html()

    [img] = re.findall(r"<img [^>]*>", html)
    assert 'src="https://www.gravatar.com/avatar/' in img


def test_a_preview_of_made_up_people_draws_their_initials_without_an_image():
    html = render_to_string("accounts/email/new_follower.html", NewFollower().sample_context())

    assert "<img" not in html
    assert re.search(r'<div class="avatar" aria-hidden="true" style="[^"]*">B</div>', html)
