"""The framework's suite runs as a project of its own: contrib auth's User, its
own settings and conftest, and nothing of the project it ships in."""

from __future__ import annotations

import sys

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User


def test_the_suite_runs_on_contrib_auths_user_and_its_own_settings():
    assert get_user_model() is User
    assert settings.SETTINGS_MODULE == "notifications.tests.settings"


def test_nothing_of_the_host_project_is_loaded():
    loaded = {name.split(".")[0] for name in sys.modules}
    assert loaded & {"accounts", "microblog", "tests", "conftest"} == set()
