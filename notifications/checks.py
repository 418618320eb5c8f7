"""System checks for the framework's configuration.

Mistakes are reported by ``manage.py check`` (and at start-up), not by a
worker at 3 a.m.
"""

from __future__ import annotations

import ipaddress
import warnings
from typing import Any
from urllib.parse import urlsplit

from anymail.utils import UNSET, get_anymail_setting
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.smtp import EmailBackend as SmtpEmailBackend
from django.utils.module_loading import import_string

from . import queue
from .conf import conf
from .providers import ESPS, Esp, tracking_esp


@checks.register(checks.Tags.compatibility, deploy=False)
def check_notifications(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    mailers = getattr(settings, "MAILERS", {}) or {}
    alias = conf.DELIVERY_MAILER
    if alias not in mailers:
        errors.append(
            checks.Error(
                f"NOTIFICATIONS['DELIVERY_MAILER'] is {alias!r}, which is not in MAILERS.",
                hint=f"Add a {alias!r} entry to MAILERS or name an existing alias "
                f"({', '.join(sorted(mailers)) or 'none defined'}).",
                id="notifications.E001",
            )
        )
    elif mailers[alias].get("BACKEND") == "notifications.backends.OutboxEmailBackend":
        errors.append(
            checks.Error(
                f"The delivery mailer {alias!r} is the outbox mailer itself.",
                hint="Point DELIVERY_MAILER at an SMTP or Anymail mailer, or every "
                "delivered email would be stored again instead of sent.",
                id="notifications.E005",
            )
        )

    try:
        backend = queue.job_backend()
    except ImproperlyConfigured as error:
        errors.append(checks.Error(str(error), id="notifications.E008"))
        backend = None
    if backend == queue.DJANGO_Q:
        errors.extend(_check_cluster(queue.cluster_settings()))

    site_url = conf.SITE_URL
    if not site_url:
        errors.append(
            checks.Error(
                "NOTIFICATIONS['SITE_URL'] is not set: links in emails cannot be absolute.",
                hint="Set SITE_URL to the public address, e.g. https://www.example.com.",
                id="notifications.E004",
            )
        )

    for key in ("MAX_ATTEMPTS", "BATCH_SIZE", "LEASE_SECONDS", "COALESCE_WINDOW"):
        value = getattr(conf, key)
        if not isinstance(value, int) or value < (0 if key == "COALESCE_WINDOW" else 1):
            errors.append(
                checks.Error(
                    f"NOTIFICATIONS[{key!r}] must be a positive integer, not {value!r}.",
                    id="notifications.E006",
                )
            )
    return errors


def _check_cluster(cluster: dict[str, Any]) -> list[checks.CheckMessage]:
    """django-q2's settings, as the outbox needs them."""
    errors: list[checks.CheckMessage] = []
    timeout = cluster.get("timeout")
    retry = cluster.get("retry", 60)
    if timeout is not None and retry is not None and retry <= timeout:
        errors.append(
            checks.Error(
                f"Q_CLUSTER['retry'] ({retry}) must be larger than Q_CLUSTER['timeout'] "
                f"({timeout}).",
                hint="Otherwise the broker hands a task that is still running to a second worker.",
                id="notifications.E002",
            )
        )
    if cluster.get("max_attempts", 0) == 0:
        errors.append(
            checks.Error(
                "Q_CLUSTER['max_attempts'] is 0: django-q2 retries a failing task forever.",
                hint="Set it to 1: the outbox retries deliveries itself.",
                id="notifications.E003",
            )
        )
    return errors


@checks.register(checks.Tags.security, deploy=True)
def check_site_url_https(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Run by ``check --deploy``: production links must be https."""
    site_url = conf.SITE_URL
    if site_url and not settings.DEBUG and urlsplit(site_url).scheme != "https":
        return [
            checks.Error(
                f"NOTIFICATIONS['SITE_URL'] ({site_url}) is not https while DEBUG is off.",
                hint="Links in emails would be sent over plain HTTP.",
                id="notifications.E007",
            )
        ]
    return []


# --- Providers: the delivery mailer, the ESP's webhooks, DKIM, the send rate ----


def _delivery_mailer() -> tuple[str, dict[str, Any]] | None:
    alias = conf.DELIVERY_MAILER
    config = (getattr(settings, "MAILERS", {}) or {}).get(alias)
    return (alias, config) if isinstance(config, dict) else None


def build_delivery_mailer() -> Any:
    """An instance of the delivery mailer's backend, built as Django builds it.

    Raises ImproperlyConfigured (Django's InvalidMailer, Anymail's missing
    settings and packages) or ImportError when it cannot be built. Building
    opens no connection.
    """
    found = _delivery_mailer()
    if found is None:
        raise ImproperlyConfigured(f"MAILERS has no {conf.DELIVERY_MAILER!r} entry.")
    alias, config = found
    backend_class = import_string(str(config.get("BACKEND", "")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. Anymail's "SendGrid is no longer supported"
        return backend_class(alias=alias, **(config.get("OPTIONS") or {}))


@checks.register(checks.Tags.compatibility, deploy=False)
def check_providers(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The delivery mailer can be built; with DEBUG off, the ESP's webhooks can authenticate."""
    errors: list[checks.CheckMessage] = []
    if _delivery_mailer() is not None:
        try:
            build_delivery_mailer()
        except (ImproperlyConfigured, ImportError, TypeError, ValueError) as error:
            errors.append(
                checks.Error(
                    f"The delivery mailer {conf.DELIVERY_MAILER!r} cannot be built: {error}",
                    hint="Give its backend the options it requires (see its ESP's "
                    "settings in docs/notifications.md) and install its extra packages.",
                    id="notifications.E020",
                )
            )
    try:
        esp = tracking_esp()
    except KeyError:
        errors.append(
            checks.Error(
                f"NOTIFICATIONS['TRACKING_ESP'] is {conf.TRACKING_ESP!r}, which is not "
                "an ESP Anymail ships.",
                hint=f"One of {', '.join(sorted(ESPS))}, or None.",
                id="notifications.E021",
            )
        )
        esp = None
    if esp is not None and esp.has_tracking_webhook and not settings.DEBUG:
        errors.extend(_check_webhook(esp))
    rate = conf.SEND_RATE
    if rate is not None and (
        isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0
    ):
        errors.append(
            checks.Error(
                f"NOTIFICATIONS['SEND_RATE'] must be a positive number of messages per "
                f"second or None, not {rate!r}.",
                id="notifications.E025",
            )
        )
    elif rate is not None and conf.JOB_BACKEND == queue.DJANGO_Q:
        errors.extend(_check_rate_against_timeout(float(rate)))
    return errors


def _check_rate_against_timeout(rate: float) -> list[checks.CheckMessage]:
    """A batch must be sent within half of q2's timeout, or its task is killed mid-send."""
    from .dispatch.drain import delivery_tasks

    tasks = delivery_tasks()
    batch_seconds = conf.BATCH_SIZE * tasks / rate
    budget = queue.task_timeout() / 2
    if batch_seconds <= budget:
        return []
    fitting = max(1, int(budget * rate / tasks))
    return [
        checks.Warning(
            f"At SEND_RATE {rate:g}/s shared by {tasks} delivery task(s), a batch of "
            f"{conf.BATCH_SIZE} takes about {batch_seconds:.0f} s, more than half of "
            f"Q_CLUSTER['timeout'] ({queue.task_timeout():.0f} s): django-q2 would kill "
            "tasks in the middle of a batch.",
            hint=f"Set NOTIFICATIONS['BATCH_SIZE'] to {fitting} or less, or raise the timeout.",
            id="notifications.W027",
        )
    ]


def _anymail_setting(esp: Esp, name: str) -> Any:
    """An ESP's webhook setting, looked up the way its Anymail view looks it up."""
    try:
        return get_anymail_setting(name.lower(), esp_name=esp.name, allow_bare=True, default=None)
    except ImproperlyConfigured:
        return None


def _check_webhook(esp: Esp) -> list[checks.CheckMessage]:
    """What the chosen ESP's tracking webhook needs before it can tell real events from forged."""
    errors: list[checks.CheckMessage] = []
    if not get_anymail_setting("webhook_secret", default=None):
        errors.append(
            checks.Error(
                f"ANYMAIL['WEBHOOK_SECRET'] is not set: anyone could post {esp.name} "
                "tracking events (and have any address suppressed).",
                hint="Set it to user:password and put the credentials in the webhook URL "
                "configured at the ESP.",
                id="notifications.E022",
            )
        )
    prefix = esp.key.upper()
    if esp.signing_settings and not any(
        _anymail_setting(esp, name) not in (None, "", UNSET) for name in esp.signing_settings
    ):
        names = [f"ANYMAIL['{prefix}_{name}']" for name in esp.signing_settings]
        unset = (
            f"{names[0]} is not set" if len(names) == 1 else f"none of {', '.join(names)} is set"
        )
        errors.append(
            checks.Error(
                f"{esp.name} signs its webhooks, and {unset}: its tracking webhook "
                "refuses every request.",
                hint="Copy the webhook signing key from the ESP's dashboard.",
                id="notifications.E023",
            )
        )
    missing_optional = [
        name for name in esp.optional_signing_settings if not _anymail_setting(esp, name)
    ]
    if missing_optional:
        names = " and ".join(f"ANYMAIL['{prefix}_{name}']" for name in missing_optional)
        errors.append(
            checks.Warning(
                f"{esp.name} can sign its webhooks, and {names} is not set: only the "
                "basic-auth credentials protect its tracking webhook.",
                hint="Set the signing key or secret from the ESP's dashboard.",
                id="notifications.W024",
            )
        )
    if esp.key == "amazon_ses" and not conf.SNS_TOPIC_ARNS:
        # A genuine AWS signature proves only that SNS sent the message, and
        # anyone can create a topic: the topic is what says it is ours.
        errors.append(
            checks.Warning(
                "NOTIFICATIONS['SNS_TOPIC_ARNS'] is empty: the Amazon SES webhook accepts "
                "messages from any SNS topic, so whoever holds its credentials can publish "
                "bounces through a topic of their own.",
                hint="List the ARNs of your SES event topics (env NOTIFICATIONS_SNS_TOPIC_ARNS).",
                id="notifications.W029",
            )
        )
    return errors


@checks.register(checks.Tags.security, deploy=True)
def check_dkim(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Run by ``check --deploy``: mail sent over SMTP in production should carry DKIM."""
    if settings.DEBUG or _delivery_mailer() is None:
        return []
    try:
        mailer = build_delivery_mailer()
    except (ImproperlyConfigured, ImportError, TypeError, ValueError):
        return []  # notifications.E020 says why
    if isinstance(mailer, SmtpEmailBackend) and getattr(mailer, "dkim", None) is None:
        return [
            checks.Warning(
                f"The delivery mailer {conf.DELIVERY_MAILER!r} sends over SMTP without "
                "a DKIM signature of the app's own.",
                hint="Use notifications.dkim.DkimEmailBackend with a domain, selector and "
                "private key (docs/notifications.md, DKIM). If the relay signs with a "
                "signature covering List-Unsubscribe-Post, silence notifications.W026.",
                id="notifications.W026",
            )
        ]
    return []


# --- Operations: the metrics endpoint and retention --------------------------------


@checks.register(checks.Tags.security)
def check_metrics_and_retention(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """A metrics token or allow-list that cannot work, or a retention that is not days."""
    errors: list[checks.CheckMessage] = []
    token = conf.METRICS_TOKEN
    if token is not None and not isinstance(token, str):
        errors.append(
            checks.Error(
                f"NOTIFICATIONS['METRICS_TOKEN'] must be a string, not {type(token).__name__}.",
                id="notifications.E026",
            )
        )
    networks = conf.METRICS_ALLOWED_IPS or ()
    for entry in [networks] if isinstance(networks, str) else networks:
        try:
            ipaddress.ip_network(str(entry).strip(), strict=False)
        except ValueError:
            errors.append(
                checks.Error(
                    f"NOTIFICATIONS['METRICS_ALLOWED_IPS'] has {entry!r}, which is not an "
                    "IP address or a network.",
                    hint="Use addresses or CIDR networks, e.g. ['10.0.0.0/8', '::1'].",
                    id="notifications.E026",
                )
            )
    days = conf.RETENTION_DAYS
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 0):
        errors.append(
            checks.Error(
                f"NOTIFICATIONS['RETENTION_DAYS'] must be a number of days (0 or None: "
                f"keep every row), not {days!r}.",
                id="notifications.E028",
            )
        )
    batch = conf.PURGE_BATCH_SIZE
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        errors.append(
            checks.Error(
                f"NOTIFICATIONS['PURGE_BATCH_SIZE'] must be a positive integer, not {batch!r}.",
                id="notifications.E028",
            )
        )
    return errors
