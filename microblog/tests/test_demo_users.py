from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Follow, User
from accounts.tests.factories import UserFactory
from microblog.models import Post
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def run() -> str:
    out = StringIO()
    call_command("demo_users", stdout=out)
    return out.getvalue()


def test_demo_users_does_nothing_without_debug(settings):
    settings.DEBUG = False
    output = run()
    assert "does nothing" in output
    assert not User.objects.exists()


def test_demo_users_is_idempotent_with_debug(settings):
    settings.DEBUG = True
    output = run()
    assert "alice" in output
    assert "password" in output
    counts = (User.objects.count(), Post.objects.count(), Follow.objects.count())
    assert counts[0] >= 3 and counts[1] > 0 and counts[2] > 0
    run()
    assert (User.objects.count(), Post.objects.count(), Follow.objects.count()) == counts
    alice = User.objects.get(username="alice")
    assert alice.check_password("microblog-demo")


def test_demo_users_creates_a_staff_account_that_can_use_the_admin(settings, client):
    settings.DEBUG = True
    run()
    staff = User.objects.get(username="staff")
    assert staff.is_staff and staff.is_superuser and staff.is_active
    assert staff.check_password("microblog-demo")

    # Through the admin's own sign-in page, as a person would (and as the
    # throttled sign-in needs: it judges each attempt by its request).
    response = client.post(
        "/admin/login/", {"username": "staff", "password": "microblog-demo", "next": "/admin/"}
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_demo_users_prints_the_staff_login_and_the_admin_url_last(settings):
    settings.DEBUG = True
    settings.SITE_URL = "http://127.0.0.1:8000"
    lines = run().strip().splitlines()
    assert "'microblog-demo'" in "\n".join(lines)
    assert lines[-1] == "  staff (staff and superuser): the admin at http://127.0.0.1:8000/admin/"


def test_demo_users_never_promotes_an_existing_account_named_staff(settings):
    settings.DEBUG = True
    UserFactory(username="Staff")
    output = run()
    assert not User.objects.get(username="Staff").is_staff
    assert "is not staff" in output
    assert User.objects.filter(is_staff=True).count() == 0


def test_demo_users_creates_no_staff_account_without_debug(settings):
    settings.DEBUG = False
    run()
    assert not User.objects.filter(username="staff").exists()


def test_demo_follows_email_nobody_so_a_newcomers_first_follow_is_not_held(settings):
    settings.DEBUG = True
    run()
    assert Follow.objects.count() == 4
    assert not Notification.objects.exists()
