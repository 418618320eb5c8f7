import pytest
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import FollowFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_user_changelist_shows_follower_counts_and_searches(admin_client):
    person = UserFactory(username="findme")
    FollowFactory.create_batch(3, followed=person)
    response = admin_client.get(reverse("admin:accounts_user_changelist"), {"q": "findme"})
    assert response.status_code == 200
    results = list(response.context["cl"].result_list)
    assert [u.username for u in results] == ["findme"]
    assert results[0]._followers_count == 3


def test_user_change_and_add_pages_render(admin_client):
    person = UserFactory()
    assert (
        admin_client.get(reverse("admin:accounts_user_change", args=[person.pk])).status_code == 200
    )
    assert admin_client.get(reverse("admin:accounts_user_add")).status_code == 200


def test_admin_add_user_rejects_username_differing_only_in_case(admin_client):
    UserFactory(username="Dupe")
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "dupe",
            "email": "dupe2@example.com",
            "usable_password": "true",
            "password1": "a-long-passphrase-1",
            "password2": "a-long-passphrase-1",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="dupe2@example.com").exists()


def test_follow_changelist_and_autocomplete(admin_client):
    FollowFactory()
    assert admin_client.get(reverse("admin:accounts_follow_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:accounts_follow_add")).status_code == 200
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "accounts", "model_name": "follow", "field_name": "follower", "term": "u"},
    )
    assert response.status_code == 200
