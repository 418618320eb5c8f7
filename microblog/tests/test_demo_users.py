from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Follow, User
from microblog.models import Post

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
