"""System checks of the delivery mailer, the chosen ESP's webhook keys, DKIM and the send rate."""

from __future__ import annotations

import pytest

from notifications.checks import check_dkim, check_providers
from notifications.providers import ESPS, delivery_esp, esp_for_backend, tracking_esp

from .keys import private_key_pem

OUTBOX = {"BACKEND": "notifications.backends.OutboxEmailBackend"}

# What each ESP's backend needs to be built (OPTIONS), and its webhook to
# authenticate requests (ANYMAIL): Anymail 15.2's required settings.
ESP_OPTIONS = {
    "amazon_ses": {},
    "brevo": {"api_key": "k"},
    "mailersend": {"api_token": "k"},
    "mailgun": {"api_key": "k"},
    "mailjet": {"api_key": "k", "secret_key": "s"},
    "mailtrap": {"api_token": "k"},
    "mandrill": {"api_key": "k"},
    "postal": {"api_key": "k", "api_url": "https://postal.example.com"},
    "postmark": {"server_token": "k"},
    "resend": {"api_key": "k"},
    "scaleway": {"secret_key": "k", "project_id": "p"},
    "sendgrid": {"api_key": "k"},
    "sparkpost": {"api_key": "k"},
    "unisender_go": {"api_key": "k", "api_url": "https://go1.unisender.ru/ru/transactional/api/v1"},
}
WEBHOOK_KEYS = {
    "WEBHOOK_SECRET": "hook:secret",
    "MAILERSEND_SIGNING_SECRET": "s",
    "MAILGUN_WEBHOOK_SIGNING_KEY": "s",
    "MAILTRAP_TRACKING_SECRET": "s",
    "MANDRILL_WEBHOOK_KEY": "s",
    "POSTAL_WEBHOOK_KEY": "s",
    "RESEND_SIGNING_SECRET": "whsec_c2VjcmV0",
    "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": "s",
    "UNISENDER_GO_API_KEY": "s",
}


def ids(messages) -> list[str]:  # type: ignore[no-untyped-def]
    return [message.id for message in messages]


def use_esp(settings, esp: str, options: dict | None = None) -> None:  # type: ignore[no-untyped-def]
    settings.MAILERS = {
        "default": OUTBOX,
        "delivery": {
            "BACKEND": f"anymail.backends.{esp}.EmailBackend",
            "OPTIONS": ESP_OPTIONS[esp] if options is None else options,
        },
    }


def smtp(**options: str) -> dict:
    return {
        "BACKEND": "notifications.dkim.DkimEmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 25, **options},
    }


@pytest.fixture(autouse=True)
def production(settings):  # type: ignore[no-untyped-def]
    settings.DEBUG = False
    settings.ANYMAIL = dict(WEBHOOK_KEYS)
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "TRACKING_ESP": None, "SEND_RATE": None}


def test_every_esp_anymail_ships_is_known():
    assert set(ESPS) == set(ESP_OPTIONS)
    assert esp_for_backend("anymail.backends.sendinblue.EmailBackend") == ESPS["brevo"]
    assert esp_for_backend("django.core.mail.backends.smtp.EmailBackend") is None


@pytest.mark.parametrize("esp", sorted(ESP_OPTIONS))
def test_each_esp_with_its_settings_passes(settings, esp):
    use_esp(settings, esp)
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "SNS_TOPIC_ARNS": ["arn:aws:sns:eu-west-1:123456789012:ses-events"],
    }

    assert check_providers() == []
    assert delivery_esp() == tracking_esp() == ESPS[esp]


@pytest.mark.parametrize("esp", sorted(set(ESP_OPTIONS) - {"amazon_ses"}))
def test_a_delivery_mailer_missing_its_credentials_cannot_be_built(settings, esp):
    use_esp(settings, esp, options={})

    [error] = check_providers()
    assert error.id == "notifications.E020"
    assert "OPTIONS must define" in error.msg


@pytest.mark.parametrize(
    "mailer",
    [
        {"BACKEND": "anymail.backends.nowhere.EmailBackend"},
        {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": {"hots": "x"}},
        smtp(dkim_domain="x.org"),
    ],
    ids=["not installed", "unknown option", "half a DKIM configuration"],
)
def test_a_delivery_mailer_that_cannot_be_built(settings, mailer):
    settings.MAILERS = {"default": OUTBOX, "delivery": mailer}
    assert ids(check_providers()) == ["notifications.E020"]


def test_an_unknown_tracking_esp(settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "TRACKING_ESP": "pigeon"}
    assert ids(check_providers()) == ["notifications.E021"]


def test_missing_basic_auth_credentials_with_debug_off(settings):
    use_esp(settings, "postmark")
    settings.ANYMAIL = {}
    assert ids(check_providers()) == ["notifications.E022"]
    settings.DEBUG = True
    assert check_providers() == []


@pytest.mark.parametrize(
    ("esp", "key"),
    [
        ("mailersend", "MAILERSEND_SIGNING_SECRET"),
        ("mailgun", "MAILGUN_WEBHOOK_SIGNING_KEY"),
        ("mandrill", "MANDRILL_WEBHOOK_KEY"),
        ("postal", "POSTAL_WEBHOOK_KEY"),
        ("unisender_go", "UNISENDER_GO_API_KEY"),
    ],
)
def test_a_missing_signing_key_fails_with_debug_off(settings, esp, key):
    use_esp(settings, esp)
    settings.ANYMAIL = {name: value for name, value in WEBHOOK_KEYS.items() if name != key}

    [error] = check_providers()
    assert error.id == "notifications.E023"
    assert key in error.msg
    settings.DEBUG = True
    assert check_providers() == []


@pytest.mark.parametrize(
    ("esp", "key"),
    [
        ("mailtrap", "MAILTRAP_TRACKING_SECRET"),
        ("resend", "RESEND_SIGNING_SECRET"),
        ("sendgrid", "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY"),
    ],
)
def test_a_missing_optional_signing_key_is_a_warning(settings, esp, key):
    use_esp(settings, esp)
    settings.ANYMAIL = {name: value for name, value in WEBHOOK_KEYS.items() if name != key}
    assert ids(check_providers()) == ["notifications.W024"]


def test_the_amazon_ses_webhook_accepting_any_sns_topic_is_a_warning(settings):
    """A genuine AWS signature says only that SNS sent the message: anyone
    holding the webhook's credentials could publish through a topic of their own."""
    use_esp(settings, "amazon_ses")
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "SNS_TOPIC_ARNS": []}
    assert ids(check_providers()) == ["notifications.W029"]


def test_the_tracking_esp_of_an_smtp_relay_is_checked(settings):
    settings.MAILERS = {
        "default": OUTBOX,
        "delivery": {**smtp(), "BACKEND": "django.core.mail.backends.smtp.EmailBackend"},
    }
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:secret"}
    assert check_providers() == []
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "TRACKING_ESP": "mailgun"}
    assert ids(check_providers()) == ["notifications.E023"]


@pytest.mark.parametrize("rate", [0, -1, "20", True])
def test_a_nonsense_send_rate(settings, rate):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "SEND_RATE": rate}
    assert "notifications.E025" in ids(check_providers())


def test_sending_over_smtp_without_dkim_is_a_deploy_warning(settings):
    settings.MAILERS = {"default": OUTBOX, "delivery": smtp()}
    assert ids(check_dkim()) == ["notifications.W026"]
    settings.MAILERS = {
        "default": OUTBOX,
        "delivery": {**smtp(), "BACKEND": "django.core.mail.backends.smtp.EmailBackend"},
    }
    assert ids(check_dkim()) == ["notifications.W026"]


def test_smtp_with_dkim_or_an_esp_passes_the_deploy_check(settings):
    settings.MAILERS = {
        "default": OUTBOX,
        "delivery": smtp(
            dkim_domain="example.com", dkim_selector="mail", dkim_private_key=private_key_pem()
        ),
    }
    assert check_dkim() == []
    use_esp(settings, "postmark")
    assert check_dkim() == []


def test_a_send_rate_too_low_for_a_batch_within_the_task_timeout(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 120}
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "SEND_RATE": 1,
        "BATCH_SIZE": 50,
        "DELIVERY_TASKS": 4,
    }
    [warning] = check_providers()
    assert warning.id == "notifications.W027"
    assert "BATCH_SIZE'] to 15" in warning.hint
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "SEND_RATE": 20}
    assert check_providers() == []
