"""The framework's settings: one dict, ``settings.NOTIFICATIONS``, read lazily.

Every key has its default here and nowhere else. Values are read at call time,
so tests (and `override_settings`) can change them without reloading modules.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.encoding import iri_to_uri, punycode

DEFAULTS: dict[str, Any] = {
    # False: notification_enqueue writes nothing (events are dropped, not
    # queued). Mail given to Django's mail API is still stored and sent.
    "ENABLED": True,
    # MAILERS alias the worker hands messages to (SMTP or an Anymail ESP).
    "DELIVERY_MAILER": "delivery",
    # Absolute base of every link in an email, without a trailing slash.
    "SITE_URL": "",
    # The name emails sign with; "" means the host name of SITE_URL.
    "SITE_NAME": "",
    # Sender of notification emails; None means settings.DEFAULT_FROM_EMAIL.
    "FROM_EMAIL": None,
    # Tries (including the first) before a transiently failing row is failed.
    "MAX_ATTEMPTS": 10,
    # Exponential backoff: BASE * 2**(attempt-1) seconds, capped, +/- JITTER.
    # With the defaults, ten tries span roughly a day.
    "BACKOFF_BASE": 240,
    "BACKOFF_CAP": 8 * 3600,
    "BACKOFF_JITTER": 0.2,
    # How long a claimed row stays "sending" before another worker may take it.
    "LEASE_SECONDS": 300,
    # Rows claimed and sent over one mailer connection.
    "BATCH_SIZE": 50,
    # Upper bound of batches one deliver_due task sends before it returns.
    "MAX_BATCHES_PER_TASK": 20,
    # deliver_due tasks that drain a large backlog side by side, each with its
    # own mailer connection. None: Q_CLUSTER["workers"] (one per worker of a
    # node); with several nodes, set it to the workers of all nodes together.
    "DELIVERY_TASKS": None,
    # Seconds one deliver_due task goes on claiming new batches; None means a
    # third of Q_CLUSTER["timeout"], so a slow server never gets a task killed.
    "TASK_SECONDS": None,
    # Events of a coalescing type to one recipient within this many seconds
    # share one email.
    "COALESCE_WINDOW": 600,
    # Each worker process watches for rows coming due (a backoff or coalescing
    # window ending) and wakes the workers then; it looks again at least this
    # often (seconds) for rows other processes scheduled. 0 turns it off.
    "WATCH_INTERVAL": 2,
    # Seconds between two runs of the periodic sweep (django-q2 schedules at
    # minute granularity, so values below 60 run every minute).
    "SWEEP_INTERVAL": 60,
    # notifications_status and /healthz: a heartbeat older than this, or a due
    # row waiting longer than this, is unhealthy.
    "HEARTBEAT_MAX_AGE": 300,
    "MAX_DUE_AGE": 900,
    # Hour of the day (0-23) the daily digest goes out, in each recipient's
    # own time zone; the digest job looks for whose hour it is this often.
    # None: every run of the job writes the digests (one per person and day).
    "DIGEST_HOUR": 8,
    "DIGEST_CHECK_MINUTES": 15,
    # "Email only if I haven't seen it in the app": the email waits this many
    # seconds, and is cancelled if the person reads the in-app item first.
    "UNSEEN_DELAY": 600,
    # The in-app feed: items per page, and how often (seconds) an open page
    # refreshes the unread count.
    "FEED_PAGE_SIZE": 20,
    "FEED_POLL_SECONDS": 30,
    # Non-transactional emails one recipient gets per hour at most; further
    # notifications wait for the daily digest. 0 turns the ceiling off.
    "HOURLY_LIMIT": 20,
    # Name of the task queue hook tasks are enqueued under (for q2's admin).
    "TASK_GROUP": "notifications",
    # What runs the three jobs (deliver, sweep, digest): "django_q" (django-q2,
    # with its schedules) or "django_tasks" (Django's tasks framework; the
    # periodic jobs then run from cron: manage.py notifications_sweep and
    # notifications_digest).
    "JOB_BACKEND": "django_q",
    # The TASKS alias jobs are enqueued on when JOB_BACKEND is "django_tasks".
    "TASKS_BACKEND": "default",
    # How the framework reads a recipient (any user model). A dotted path to a
    # callable taking the user; None: the built-in getter (see recipients.py).
    "RECIPIENT_LANGUAGE": None,
    "RECIPIENT_TIMEZONE": None,
    # The ESP whose tracking webhooks report on sent mail (a key of
    # notifications.providers.ESPS, e.g. "mailgun"); None: the delivery
    # mailer's, when it is an Anymail backend. Set it when mail goes out over
    # an ESP's SMTP relay. The system checks then insist on its webhook keys.
    "TRACKING_ESP": None,
    # The sender part of the Feedback-ID header (type:category:sender), which
    # mailbox providers group complaint figures by; "" means the domain of
    # FROM_EMAIL.
    "FEEDBACK_ID_SENDER": "",
    # Most messages per second the delivery mailer is given, across every
    # worker of every node (an ESP's quota); None: no limit. Shared through
    # the database, or through Redis when SEND_RATE_REDIS_URL is set.
    "SEND_RATE": None,
    "SEND_RATE_REDIS_URL": None,
    # Amazon SES through SNS: topics whose messages are accepted (empty: any
    # topic, once the message's signature is verified), and the function that
    # fetches a signing certificate (a callable or a dotted path taking the
    # certificate's https URL and returning its PEM bytes; None: over https).
    "SNS_TOPIC_ARNS": (),
    "SNS_CERTIFICATE_FETCHER": None,
    # The Prometheus endpoint (notifications:metrics) is off (404) until one
    # of these is set: a bearer token Prometheus sends, and/or the client
    # addresses (IPs or CIDR networks) it may come from. Both set: both must pass.
    "METRICS_TOKEN": None,
    "METRICS_ALLOWED_IPS": (),
    # Finished rows (sent, failed, cancelled, suppressed) and their attempt
    # logs are deleted this many days after their last change, by a periodic
    # job; 0 or None keeps them forever. Deleted PURGE_BATCH_SIZE rows per
    # transaction, so no lock is held for long.
    "RETENTION_DAYS": 30,
    "PURGE_BATCH_SIZE": 1000,
}


class NotificationSettings:
    """Attribute access to NOTIFICATIONS with defaults, read at call time."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"unknown notifications setting {name!r}")
        user = getattr(settings, "NOTIFICATIONS", {}) or {}
        value = user.get(name, DEFAULTS[name])
        if name in ("SITE_URL", "SITE_NAME"):
            # A project-wide SITE_URL serves when the framework is not told its own.
            site = str(user.get("SITE_URL") or getattr(settings, "SITE_URL", "") or "")
            site = site.rstrip("/")
            if name == "SITE_NAME":
                return str(value or urlsplit(site).hostname or "")
            return uri_of(site)
        if name == "FROM_EMAIL":
            return value or settings.DEFAULT_FROM_EMAIL
        return value

    def absolute_url(self, path: str) -> str:
        """`path` (already absolute or starting with /) joined to SITE_URL.

        A site served under a prefix (SITE_URL https://example.com/app) whose
        `reverse()` already includes it (FORCE_SCRIPT_NAME "/app") gets the
        prefix once, not twice."""
        if path.startswith(("http://", "https://")):
            return path
        site = self.SITE_URL
        prefix = urlsplit(site).path
        if prefix and (path == prefix or path.startswith(f"{prefix}/")):
            return f"{site.removesuffix(prefix)}{path}"
        return f"{site}{path}"


def uri_of(url: str) -> str:
    """`url` as links and headers carry it: the host in its ASCII form (IDNA),
    the rest percent-encoded. A List-Unsubscribe header holds an URI (RFC
    2369), and a host written in Unicode would reach it as an encoded word no
    mail client reads. An ASCII `url` is returned as it is."""
    if url.isascii():
        return url
    parts = urlsplit(url)
    try:
        host = punycode(parts.hostname or "")
        port = parts.port
    except (UnicodeError, ValueError):
        return iri_to_uri(url)
    netloc = host if port is None else f"{host}:{port}"
    return iri_to_uri(parts._replace(netloc=netloc).geturl())


conf = NotificationSettings()
