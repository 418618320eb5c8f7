"""Settings of the framework's own test suite: a small project around it.

Nothing here knows the project the framework ships in: the user model is
contrib auth's ``User``, and the notification types are those of a test-only
app (``notifications.tests.testapp``). Like the project's test settings, the
database comes from DATABASE_URL (a SQLite file by default) and the task
broker from REDIS_URL (django-q2's ORM broker otherwise), so CI's PostgreSQL
and Redis pass runs this suite there too. django-q2 reads Q_CLUSTER once at
import, so the broker is chosen here, not in a fixture.
"""

import os
import tempfile

import environ

env = environ.Env()

# One id per test run, inherited by the processes a run starts, so runs side
# by side get their own test database and task queue.
RUN_ID = os.environ.setdefault("TEST_RUN_ID", str(os.getpid()))

SECRET_KEY = "notifications-tests-secret-key-not-for-production-0123456789"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
SITE_URL = "http://testserver"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "anymail",
    "notifications",
    "notifications.tests.testapp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "notifications.tests.urls"

# No DIRS: the framework's pages use their standalone layout unless a test
# gives the site a base.html of its own.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------
# A file, not an in-memory database: a process a test starts must see it.
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL",
        default=f"sqlite:///{tempfile.gettempdir()}/notifications-tests-{RUN_ID}.sqlite3",
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"test-notifications-{RUN_ID}.sqlite3")
    }
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_notifications_{RUN_ID}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- Internationalisation ---------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"

# --- Email ----------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = "Test Site <noreply@example.com>"
MAILERS = {
    "default": {"BACKEND": "notifications.backends.OutboxEmailBackend"},
    "delivery": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 1025, "timeout": 5},
    },
}
ANYMAIL = {
    "WEBHOOK_SECRET": "hook:secret",
    "MAILGUN_WEBHOOK_SIGNING_KEY": "test-signing-key",
}

NOTIFICATIONS = {
    "SITE_URL": SITE_URL,
    "SITE_NAME": "Test Site",
    # The test app keeps each user's language and time zone on a Profile.
    "RECIPIENT_LANGUAGE": "notifications.tests.testapp.recipients.profile_language",
    "RECIPIENT_TIMEZONE": "notifications.tests.testapp.recipients.profile_timezone",
    # Digests whenever a test asks for them; the tests of the digest hour set it.
    "DIGEST_HOUR": None,
}

# --- Jobs -----------------------------------------------------------------------------
# The outbox retries deliveries itself: q2 runs each task once, and `retry`
# stays above `timeout` so a slow task is never handed to a second worker.
REDIS_URL = env("REDIS_URL", default="")
Q_CLUSTER = {
    "name": f"notifications-test-{RUN_ID}",
    "workers": 1,
    "timeout": 60,
    "retry": 120,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "poll": 0.1,
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# Django's own tasks framework, for the tests that run the jobs through it.
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
