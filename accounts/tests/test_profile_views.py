import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_edit_profile_requires_login(client):
    response = client.get(reverse("accounts:profile_edit"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_edit_profile_saves_about_and_language(user_client, user):
    response = user_client.post(
        reverse("accounts:profile_edit"), {"about_me": "  I like tea. ", "language": "zh-hans"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.about_me, user.language) == ("I like tea.", "zh-hans")


@pytest.mark.parametrize(
    "data",
    [{"about_me": "x" * 501, "language": "en"}, {"about_me": "", "language": "xx"}],
    ids=["about-too-long", "unknown-language"],
)
def test_edit_profile_rejects_bad_input(user_client, user, data):
    response = user_client.post(reverse("accounts:profile_edit"), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    user.refresh_from_db()
    assert user.language == "en"


def test_language_switch_is_stored_on_the_signed_in_user(user_client, user):
    response = user_client.post(
        reverse("accounts:language_set"), {"language": "zh-hans", "next": "/explore/"}
    )
    assert response.status_code == 302
    assert response.url == "/explore/"
    user.refresh_from_db()
    assert user.language == "zh-hans"
    page = user_client.get("/explore/")
    assert page.headers["Content-Language"] == "zh-hans"


def test_language_switch_for_anonymous_sets_the_cookie(client):
    response = client.post(reverse("accounts:language_set"), {"language": "zh-hans"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_language_switch_ignores_unknown_language(user_client, user):
    user_client.post(reverse("accounts:language_set"), {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"


def test_language_switch_is_post_only(client):
    assert client.get(reverse("accounts:language_set")).status_code == 405


def test_last_seen_is_recorded_on_a_visit(user_client, user):
    assert user.last_seen is None
    user_client.get(reverse("timeline:explore"))
    user.refresh_from_db()
    assert user.last_seen is not None


def test_staff_find_the_admin_in_the_site_navigation(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert 'href="/admin/">Admin</a>' in client.get(reverse("timeline:explore")).text


def test_other_users_see_no_admin_link(user_client):
    assert 'href="/admin/"' not in user_client.get(reverse("timeline:explore")).text


def test_a_too_long_about_me_is_explained_in_the_persons_words(user_client, user):
    user.language = "zh-hans"
    user.save(update_fields=["language"])

    with translation.override("en"):  # the page switches to Chinese; the next test must not
        response = user_client.post(
            reverse("accounts:profile_edit"), {"about_me": "x" * 600, "language": "zh-hans"}
        )

    assert response.status_code == 200
    assert "个人简介最多 500 个字符" in response.content.decode()
    assert "确保" not in response.content.decode()  # Django's "ensure this value"
