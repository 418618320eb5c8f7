"""System checks for the framework's configuration.

Mistakes are reported by ``manage.py check`` (and at start-up), not by a
worker at 3 a.m.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from . import queue
from .conf import conf


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
