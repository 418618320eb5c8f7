"""Production: secure defaults; refuses to start without a real SECRET_KEY and webhook secret."""

import os

from django.core.exceptions import ImproperlyConfigured

if not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured("Set the SECRET_KEY environment variable in production.")
# With the development default anyone could post forged bounce events to the
# tracking webhooks and have any address suppressed.
if os.environ.get("ANYMAIL_WEBHOOK_SECRET", "change:me") in ("", "change:me"):
    raise ImproperlyConfigured(
        "Set ANYMAIL_WEBHOOK_SECRET (user:password the ESP sends to the webhooks) in production."
    )

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# A load balancer's health probe reaches the web servers over plain HTTP,
# without the proxy's X-Forwarded-Proto: it gets its answer, not a redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# The language cookie is read by the server only, and like the others never
# crosses plain HTTP.
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
