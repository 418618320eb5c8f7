"""The delivery mailer EMAIL_PROVIDER names, and the ESPs' webhook keys, from the environment.

Every ESP takes its main credential (API key, server token, API token or
secret key) from ESP_API_KEY and its API address, where it has one, from
ESP_API_URL; the few other settings an ESP has come from variables named as
Anymail names the setting (MAILJET_SECRET_KEY, SCALEWAY_PROJECT_ID…). Webhook
keys go to the ANYMAIL dict, which is what Anymail's webhook views read: each
from ANYMAIL_<setting>, e.g. ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY. The table
is in docs/notifications.md ("Providers").

An empty variable is never set: an empty signing key would let anyone forge a
signature, and an empty API key should fail the delivery-mailer check rather
than every send.
"""

from __future__ import annotations

from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

SMTP_BACKEND = "notifications.dkim.DkimEmailBackend"

# EMAIL_PROVIDER -> {backend option: environment variable}. The first entry
# is the main credential; every ESP but Amazon SES also takes api_url from
# ESP_API_URL (required for Postal and Unisender Go, which have no default).
ESP_OPTIONS: dict[str, dict[str, str]] = {
    "amazon_ses": {
        # Credentials come from boto3's own sources (AWS_ACCESS_KEY_ID and
        # AWS_SECRET_ACCESS_KEY, an instance or task role…).
        "configuration_set_name": "AMAZON_SES_CONFIGURATION_SET_NAME",
        "message_tag_name": "AMAZON_SES_MESSAGE_TAG_NAME",
    },
    "brevo": {"api_key": "ESP_API_KEY"},
    "mailersend": {"api_token": "ESP_API_KEY", "batch_send_mode": "MAILERSEND_BATCH_SEND_MODE"},
    "mailgun": {"api_key": "ESP_API_KEY", "sender_domain": "MAILGUN_SENDER_DOMAIN"},
    "mailjet": {"api_key": "ESP_API_KEY", "secret_key": "MAILJET_SECRET_KEY"},
    "mailtrap": {"api_token": "ESP_API_KEY", "sandbox_id": "MAILTRAP_SANDBOX_ID"},
    "mandrill": {"api_key": "ESP_API_KEY"},
    "postal": {"api_key": "ESP_API_KEY"},
    "postmark": {"server_token": "ESP_API_KEY", "message_stream": "POSTMARK_MESSAGE_STREAM"},
    "resend": {"api_key": "ESP_API_KEY"},
    "scaleway": {
        "secret_key": "ESP_API_KEY",
        "project_id": "SCALEWAY_PROJECT_ID",
        "region": "SCALEWAY_REGION",
    },
    "sendgrid": {"api_key": "ESP_API_KEY"},
    "sparkpost": {"api_key": "ESP_API_KEY", "subaccount": "SPARKPOST_SUBACCOUNT"},
    "unisender_go": {"api_key": "ESP_API_KEY"},
}
PROVIDERS = ("smtp", *ESP_OPTIONS)

# ANYMAIL settings the tracking webhooks read (signing keys and secrets),
# each from the environment variable ANYMAIL_<name>.
WEBHOOK_SETTINGS = (
    "MAILERSEND_SIGNING_SECRET",
    "MAILGUN_WEBHOOK_SIGNING_KEY",
    "MAILTRAP_TRACKING_SECRET",
    "MANDRILL_WEBHOOK_KEY",
    "MANDRILL_WEBHOOK_URL",
    "POSTAL_WEBHOOK_KEY",
    "RESEND_SIGNING_SECRET",
    "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY",
    "UNISENDER_GO_API_KEY",
)


def _given(env: environ.Env, name: str) -> str:
    return str(env(name, default="") or "").strip()


def smtp_mailer(env: environ.Env, url: str) -> dict[str, Any]:
    """SMTP from an EMAIL_URL, DKIM-signed when DKIM_DOMAIN, _SELECTOR and a key are given."""
    config = environ.Env.email_url_config(url)
    options: dict[str, Any] = {
        "host": config["EMAIL_HOST"],
        "port": config["EMAIL_PORT"],
        "username": config.get("EMAIL_HOST_USER") or "",
        "password": config.get("EMAIL_HOST_PASSWORD") or "",
        "use_tls": bool(config.get("EMAIL_USE_TLS", False)),
        "use_ssl": bool(config.get("EMAIL_USE_SSL", False)),
        "timeout": env.int("EMAIL_TIMEOUT", default=20),
    }
    dkim = {
        "dkim_domain": _given(env, "DKIM_DOMAIN"),
        "dkim_selector": _given(env, "DKIM_SELECTOR"),
        # PEM text; a literal "\n" stands for a line break (one-line variables).
        "dkim_private_key": _given(env, "DKIM_PRIVATE_KEY").replace("\\n", "\n"),
        "dkim_private_key_path": _given(env, "DKIM_PRIVATE_KEY_PATH"),
    }
    options.update({name: value for name, value in dkim.items() if value})
    return {"BACKEND": SMTP_BACKEND, "OPTIONS": options}


def delivery_mailer(env: environ.Env, provider: str) -> dict[str, Any]:
    """MAILERS["delivery"] for EMAIL_PROVIDER `provider`."""
    if provider == "smtp":
        return smtp_mailer(env, env("EMAIL_URL", default="smtp://127.0.0.1:1025"))
    if provider not in ESP_OPTIONS:
        raise ImproperlyConfigured(
            f"EMAIL_PROVIDER={provider!r} is not one of: {', '.join(PROVIDERS)}."
        )
    options: dict[str, Any] = {
        option: value
        for option, variable in ESP_OPTIONS[provider].items()
        if (value := _given(env, variable))
    }
    if provider == "amazon_ses" and (region := _given(env, "AMAZON_SES_REGION")):
        options["client_params"] = {"region_name": region}
    elif provider != "amazon_ses" and (api_url := _given(env, "ESP_API_URL")):
        options["api_url"] = api_url
    return {"BACKEND": f"anymail.backends.{provider}.EmailBackend", "OPTIONS": options}


def webhook_settings(env: environ.Env, provider: str) -> dict[str, Any]:
    """The ANYMAIL entries the tracking webhooks read, from ANYMAIL_<name> variables."""
    found = {name: value for name in WEBHOOK_SETTINGS if (value := _given(env, f"ANYMAIL_{name}"))}
    if provider == "unisender_go" and (api_key := _given(env, "ESP_API_KEY")):
        # Unisender Go signs its webhooks with the API key.
        found.setdefault("UNISENDER_GO_API_KEY", api_key)
    return found
