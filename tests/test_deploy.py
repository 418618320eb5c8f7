"""Production settings are secure, and the models match their migrations."""

import os
import subprocess
import sys

import pytest

from notifications.tests.keys import private_key_pem
from tests.support.processes import BASE_DIR


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # The browser tests lift Django's async guard for their session; a deploy
    # check must see the environment production would have.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "microblog.settings.production",
    "SECRET_KEY": "x7!k2-production-like-secret-for-the-deploy-check-5c9f0d3e1b8a6",
    "SITE_URL": "https://microblog.example.com",
    "ALLOWED_HOSTS": "microblog.example.com",
    "ANYMAIL_WEBHOOK_SECRET": "webhook-user:a-long-random-webhook-password",
    # Mail goes out over SMTP, signed by the app (DKIM).
    "DKIM_DOMAIN": "microblog.example.com",
    "DKIM_SELECTOR": "mb2026",
    "DKIM_PRIVATE_KEY": private_key_pem().replace("\n", "\\n"),
}


def test_check_deploy_with_production_settings_reports_nothing():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_production_sends_over_smtp_without_dkim():
    unsigned = {name: value for name, value in PRODUCTION.items() if not name.startswith("DKIM_")}
    result = manage("check", "--deploy", **unsigned)
    assert "notifications.W026" in result.stderr + result.stdout


# Which plain-HTTP requests production sends to https (the status code) or
# lets through (None), as SecurityMiddleware decides before any view runs.
PLAIN_HTTP_REDIRECTS = """\
from django.middleware.security import SecurityMiddleware
from django.test import RequestFactory
middleware = SecurityMiddleware(lambda request: None)
factory = RequestFactory(HTTP_HOST="microblog.example.com")
for path in ("/healthz", "/", "/login/"):
    response = middleware.process_request(factory.get(path))
    print(path, response and response.status_code)
"""


def test_the_health_check_answers_plain_http_and_every_page_redirects_to_https():
    result = manage("shell", "-c", PLAIN_HTTP_REDIRECTS, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-4:] == ["/healthz None", "/ 301", "/login/ 301", ""]


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {**PRODUCTION, "SECRET_KEY": ""}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("secret", ["", "change:me"])
def test_production_settings_refuse_the_default_webhook_secret(secret):
    result = manage("check", **{**PRODUCTION, "ANYMAIL_WEBHOOK_SECRET": secret})
    assert result.returncode != 0
    assert "ANYMAIL_WEBHOOK_SECRET" in result.stderr


def test_models_and_migrations_agree():
    result = manage(
        "makemigrations", "--check", "--dry-run", DJANGO_SETTINGS_MODULE="microblog.settings.test"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_warning_of_django_s_is_logged_once_with_debug_on():
    """Django's default console handler printed each one a second time."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, logging; django.setup();"
            " logging.getLogger('django.request').warning('Not Found: /nowhere/')",
        ],
        cwd=BASE_DIR,
        env={
            **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
            "DJANGO_SETTINGS_MODULE": "microblog.settings.base",
            "DEBUG": "true",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stderr.count("Not Found: /nowhere/") == 1, result.stderr


def test_in_production_the_language_cookie_is_secure_http_only_and_same_site():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.LANGUAGE_COOKIE_SECURE,"
        " s.LANGUAGE_COOKIE_HTTPONLY, s.LANGUAGE_COOKIE_SAMESITE)",
        **PRODUCTION,
    )
    assert result.stdout.split()[-3:] == ["True", "True", "Lax"], result.stdout + result.stderr
