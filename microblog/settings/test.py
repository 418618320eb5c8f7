"""Test settings: the base settings, made fast and hermetic.

django-q2 reads Q_CLUSTER once at import, so the test broker is chosen here
(REDIS_URL set: Redis, otherwise the ORM broker), not in a fixture.
"""

import os

from .base import *  # noqa: F403
from .base import ANYMAIL, DATABASES, NOTIFICATIONS, Q_CLUSTER, VAR_DIR

# One id per test run, inherited by the worker processes a run starts, so
# runs side by side get their own test database and task queue.
RUN_ID = os.environ.setdefault("TEST_RUN_ID", str(os.getpid()))

SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdefghijklmnop"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Worker processes a browser test starts render links to its live server.
SITE_URL = os.environ.get("TEST_SITE_URL", "http://testserver")
# DIGEST_HOUR None: a digest whenever a test asks for one (the framework's own
# tests cover the hour in each recipient's time zone).
NOTIFICATIONS = {**NOTIFICATIONS, "SITE_URL": SITE_URL, "DIGEST_HOUR": None}
ANYMAIL = {
    **ANYMAIL,
    "WEBHOOK_SECRET": "hook:secret",
    "MAILGUN_WEBHOOK_SIGNING_KEY": "test-signing-key",
}

# Real worker processes in tests must see the test database, so SQLite tests
# use a file, not an in-memory database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{RUN_ID}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_microblog_{RUN_ID}"}

Q_CLUSTER = {
    **Q_CLUSTER,
    "name": f"microblog-test-{RUN_ID}",
    "workers": int(os.environ.get("Q_WORKERS", "1")),
    "poll": 0.1,
}
# Serve static files from the app directories without collectstatic.
WHITENOISE_AUTOREFRESH = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Each test process its own cache (throttling counts start empty for each run).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
