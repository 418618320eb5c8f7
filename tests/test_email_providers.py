"""EMAIL_PROVIDER: every ESP Anymail ships, each configured from the environment."""

from __future__ import annotations

import os
import subprocess
import sys

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured

from microblog.settings.providers import (
    ESP_OPTIONS,
    delivery_mailer,
    webhook_settings,
)
from notifications.checks import build_delivery_mailer, check_dkim, check_providers
from notifications.providers import ESPS
from notifications.tests.keys import private_key_pem
from tests.support.processes import BASE_DIR

# The environment an operator sets for each ESP (docs/notifications.md, "Providers").
ENVIRONMENT = {
    "amazon_ses": {"AMAZON_SES_REGION": "eu-west-1"},
    "brevo": {"ESP_API_KEY": "xkeysib-1"},
    "mailersend": {"ESP_API_KEY": "mlsn.1"},
    "mailgun": {"ESP_API_KEY": "key-1", "MAILGUN_SENDER_DOMAIN": "mg.example.com"},
    "mailjet": {"ESP_API_KEY": "public", "MAILJET_SECRET_KEY": "private"},
    "mailtrap": {"ESP_API_KEY": "token"},
    "mandrill": {"ESP_API_KEY": "md-1"},
    "postal": {"ESP_API_KEY": "key", "ESP_API_URL": "https://postal.example.com"},
    "postmark": {"ESP_API_KEY": "server-token", "POSTMARK_MESSAGE_STREAM": "outbound"},
    "resend": {"ESP_API_KEY": "re_1"},
    "scaleway": {"ESP_API_KEY": "secret", "SCALEWAY_PROJECT_ID": "project"},
    "sendgrid": {"ESP_API_KEY": "SG.1"},
    "sparkpost": {"ESP_API_KEY": "key"},
    "unisender_go": {
        "ESP_API_KEY": "key",
        "ESP_API_URL": "https://go1.unisender.ru/ru/transactional/api/v1",
    },
}
VARIABLES = {name for variables in ENVIRONMENT.values() for name in variables} | {
    "DKIM_DOMAIN",
    "DKIM_SELECTOR",
    "DKIM_PRIVATE_KEY",
    "DKIM_PRIVATE_KEY_PATH",
}


@pytest.fixture
def clean_env(monkeypatch):  # type: ignore[no-untyped-def]
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_every_esp_anymail_ships_is_a_provider():
    assert set(ESP_OPTIONS) == set(ESPS) == set(ENVIRONMENT)


@pytest.mark.parametrize("provider", sorted(ENVIRONMENT))
def test_each_provider_builds_its_mailer_from_the_environment(clean_env, settings, provider):
    for name, value in ENVIRONMENT[provider].items():
        clean_env.setenv(name, value)

    mailer = delivery_mailer(environ.Env(), provider)
    settings.MAILERS = {"default": settings.MAILERS["default"], "delivery": mailer}
    backend = build_delivery_mailer()

    assert type(backend).__module__ == f"anymail.backends.{provider}"
    assert backend.esp_name == ESPS[provider].name


def test_an_esp_without_its_credentials_fails_the_check_not_a_send(clean_env, settings):
    settings.MAILERS = {
        "default": settings.MAILERS["default"],
        "delivery": delivery_mailer(environ.Env(), "postmark"),
    }
    assert settings.MAILERS["delivery"]["OPTIONS"] == {}  # an empty key is not passed on
    assert [m.id for m in check_providers()] == ["notifications.E020"]


def test_an_unknown_provider_is_refused_when_settings_load(clean_env):
    with pytest.raises(ImproperlyConfigured, match="EMAIL_PROVIDER='pigeon'"):
        delivery_mailer(environ.Env(), "pigeon")


def test_webhook_keys_come_from_anymail_variables(clean_env):
    clean_env.setenv("ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY", "signing")
    clean_env.setenv("ANYMAIL_POSTAL_WEBHOOK_KEY", "")
    clean_env.setenv("ESP_API_KEY", "api-key")

    assert webhook_settings(environ.Env(), "mailgun") == {"MAILGUN_WEBHOOK_SIGNING_KEY": "signing"}
    # Unisender Go signs its webhooks with the API key.
    assert webhook_settings(environ.Env(), "unisender_go")["UNISENDER_GO_API_KEY"] == "api-key"


def test_smtp_is_dkim_signed_when_the_environment_says_so(clean_env, settings, tmp_path):
    key = tmp_path / "dkim.pem"
    key.write_text(private_key_pem())
    settings.DEBUG = False

    unsigned = delivery_mailer(environ.Env(), "smtp")
    settings.MAILERS = {"default": settings.MAILERS["default"], "delivery": unsigned}
    assert [m.id for m in check_dkim()] == ["notifications.W026"]

    clean_env.setenv("DKIM_DOMAIN", "microblog.example.com")
    clean_env.setenv("DKIM_SELECTOR", "mb2026")
    clean_env.setenv("DKIM_PRIVATE_KEY_PATH", str(key))
    signed = delivery_mailer(environ.Env(), "smtp")
    settings.MAILERS = {"default": settings.MAILERS["default"], "delivery": signed}
    assert build_delivery_mailer().dkim.selector == "mb2026"
    assert check_dkim() == []

    clean_env.delenv("DKIM_PRIVATE_KEY_PATH")
    clean_env.setenv("DKIM_PRIVATE_KEY", private_key_pem().replace("\n", "\\n"))
    settings.MAILERS = {
        "default": settings.MAILERS["default"],
        "delivery": delivery_mailer(environ.Env(), "smtp"),
    }
    assert build_delivery_mailer().dkim.domain == "microblog.example.com"


def test_amazon_ses_with_the_pinned_requirements_passes_the_production_checks():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="microblog.settings.production",
        SECRET_KEY="x7!k2-production-like-secret-for-the-ses-check-5c9f0d3e1b8a6",
        SITE_URL="https://microblog.example.com",
        ALLOWED_HOSTS="microblog.example.com",
        ANYMAIL_WEBHOOK_SECRET="webhook-user:a-long-random-webhook-password",
        EMAIL_PROVIDER="amazon_ses",
        AMAZON_SES_REGION="eu-west-1",
        NOTIFICATIONS_SNS_TOPIC_ARNS="arn:aws:sns:eu-west-1:123456789012:ses-events",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
