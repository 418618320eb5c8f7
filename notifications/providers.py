"""The email service providers (ESPs) Anymail ships, as the framework needs to know them.

One table: each ESP's key (as Anymail names its modules, and as a project's
``EMAIL_PROVIDER`` would), the name Anymail gives it in tracking events, what
its tracking webhook needs before it can authenticate a request, the shape of
the body it posts, and whether it takes an idempotency key.

The delivery mailer's backend says which ESP a project sends through;
``NOTIFICATIONS["TRACKING_ESP"]`` names one where the backend cannot (mail
sent over an ESP's SMTP relay, tracked through its webhooks).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings

from .conf import conf


class Body(StrEnum):
    """What an ESP's tracking webhook posts (whatever Content-Type it claims)."""

    OBJECT = "a JSON object"
    ARRAY = "a JSON array"
    OBJECT_OR_ARRAY = "a JSON object or array"
    OBJECT_OR_FORM = "a JSON object or form fields"  # Mailgun: JSON, or its legacy form posts
    FORM = "form fields"  # Mandrill: mandrill_events=<JSON array>


@dataclass(frozen=True)
class Esp:
    key: str
    # The esp_name Anymail's backend and webhook report.
    name: str
    # ANYMAIL settings the webhook cannot authenticate a request without (any one will do).
    signing_settings: tuple[str, ...] = ()
    # ANYMAIL settings of a signature the ESP offers but Anymail does not insist on.
    optional_signing_settings: tuple[str, ...] = ()
    body: Body = Body.OBJECT
    has_tracking_webhook: bool = True
    # The header through which the ESP's API deduplicates sends, when Anymail
    # passes it on unchanged (see docs/notifications.md, "Idempotency").
    idempotency_header: str | None = None


ESPS: dict[str, Esp] = {
    esp.key: esp
    for esp in (
        Esp("amazon_ses", "Amazon SES"),
        Esp("brevo", "Brevo", idempotency_header="idempotencyKey"),
        Esp("mailersend", "MailerSend", signing_settings=("SIGNING_SECRET",)),
        Esp(
            "mailgun",
            "Mailgun",
            # Anymail falls back to the API key (from ANYMAIL, not from MAILERS).
            signing_settings=("WEBHOOK_SIGNING_KEY", "API_KEY"),
            body=Body.OBJECT_OR_FORM,
        ),
        Esp("mailjet", "Mailjet", body=Body.OBJECT_OR_ARRAY),
        Esp("mailtrap", "Mailtrap", optional_signing_settings=("TRACKING_SECRET",)),
        Esp("mandrill", "Mandrill", signing_settings=("WEBHOOK_KEY",), body=Body.FORM),
        Esp("postal", "Postal", signing_settings=("WEBHOOK_KEY",)),
        Esp("postmark", "Postmark"),
        Esp("resend", "Resend", optional_signing_settings=("SIGNING_SECRET",)),
        Esp("scaleway", "Scaleway", has_tracking_webhook=False),
        Esp(
            "sendgrid",
            "SendGrid",
            optional_signing_settings=("TRACKING_WEBHOOK_VERIFICATION_KEY",),
            body=Body.ARRAY,
        ),
        Esp("sparkpost", "SparkPost", body=Body.ARRAY),
        Esp("unisender_go", "Unisender Go", signing_settings=("API_KEY",)),
    )
}

# Anymail's older names of the same ESPs.
_ALIASES = {"sendinblue": "brevo"}


def esp_for_backend(path: str) -> Esp | None:
    """The ESP whose Anymail backend `path` is, or None (SMTP, console, locmem…)."""
    prefix = "anymail.backends."
    if not path.startswith(prefix):
        return None
    module = path.removeprefix(prefix).partition(".")[0]
    return ESPS.get(_ALIASES.get(module, module))


def esp_named(name: str) -> Esp | None:
    """The ESP Anymail calls `name` in its events ("Amazon SES", "SendinBlue"…)."""
    key = name.lower().replace(" ", "_")
    return ESPS.get(_ALIASES.get(key, key))


def delivery_esp() -> Esp | None:
    """The ESP the delivery mailer sends through, or None when it is not an Anymail ESP."""
    mailer = (getattr(settings, "MAILERS", {}) or {}).get(conf.DELIVERY_MAILER) or {}
    return esp_for_backend(str(mailer.get("BACKEND", "")))


def tracking_esp() -> Esp | None:
    """The ESP whose webhooks report on sent mail: TRACKING_ESP, else the delivery mailer's.

    Raises KeyError for a TRACKING_ESP that is not one of ESPS (a system
    check reports it).
    """
    if conf.TRACKING_ESP:
        return ESPS[conf.TRACKING_ESP]
    return delivery_esp()
