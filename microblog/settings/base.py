"""Settings shared by every environment, read from environment variables.

Every variable has an embedded default that runs the whole product on one
machine with no external service: a SQLite file, django-q2's ORM broker and a
local SMTP sink. See the configuration table in README.md.
"""

from pathlib import Path

import environ

from microblog.settings.providers import delivery_mailer, webhook_settings

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-development-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "microblog.apps.MicroblogAdminConfig",  # django.contrib.admin, bounded input
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_q",
    "anymail",
    "accounts.apps.SignInThrottlingConfig",  # django-axes
    "notifications",
    "accounts",
    "microblog",
]

MIDDLEWARE = [
    "microblog.middleware.DropUnstorableHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "microblog.middleware.RejectUnstorableInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "accounts.middleware.LastSeenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "microblog.urls"
WSGI_APPLICATION = "microblog.wsgi.application"
ASGI_APPLICATION = "microblog.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "microblog.devinbox.context_processors.dev_inbox",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# The default SQLite file is shared by the web process and qcluster. IMMEDIATE
# transactions take the write lock up front (no lock-upgrade deadlocks), WAL
# lets readers run beside the writer, and the busy timeout waits for the lock
# instead of failing with "database is locked".
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)  # the default database file lives there
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
# Persistent connections. Without them every request (and every q2 enqueue)
# opens a connection: on PostgreSQL a round of authentication, on SQLite the
# file and its pragmas (1.5 ms a request), and SQLite prepares every
# statement of the request again, which a kept connection has cached.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
# django-axes first: it refuses a locked-out sign-in before a password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_REDIRECT_URL = "timeline:home"
LOGOUT_REDIRECT_URL = "timeline:explore"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Throttled sign-in (django-axes) ------------------------------------------
# After LOGIN_FAILURE_LIMIT failed attempts for one username (any case), or
# from one client address, signing in is refused for LOGIN_LOCKOUT_MINUTES,
# even with the right password. The lockout page is the same whether the
# account exists or not. Behind a reverse proxy, PROXY_COUNT says how many
# proxies append to X-Forwarded-For, so the client's own address is used.
from datetime import timedelta  # noqa: E402

# Failed sign-ins for one account, and from one client address for all
# accounts together, before signing in pauses (accounts.throttling).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
LOGIN_FAILURE_LIMIT_PER_CLIENT = env.int("LOGIN_FAILURE_LIMIT_PER_CLIENT", default=50)
AXES_FAILURE_LIMIT = "accounts.throttling.failure_limit"
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "accounts.throttling.login_username"
# A success clears the failures of its own account only (accounts.receivers):
# django-axes' own reset also clears every failure from the same address, so
# signing in to one's own account would wipe the count of the account guessed.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "accounts.throttling.lockout_response"
AXES_VERBOSE = False
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_address"

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# The zone of pages and emails for people who have not chosen their own
# (each user picks one on the profile page); times are stored in UTC.
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_TZ = True

# --- Static files -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files browsers ask for at fixed root URLs (/favicon.ico), served by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Avatars ------------------------------------------------------------------
# Off: the site draws every avatar itself (initials on a colour). On: pictures
# come from Gravatar, which then learns a hash of each shown user's email.
AVATARS_GRAVATAR = env.bool("AVATARS_GRAVATAR", default=False)

# --- Content Security Policy ------------------------------------------------
# Everything the site needs comes from its own origin (and Gravatar's pictures
# only when AVATARS_GRAVATAR asks for them).
from django.utils.csp import CSP  # noqa: E402
from django.utils.translation import gettext_lazy  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", *(["https://www.gravatar.com"] if AVATARS_GRAVATAR else [])],
    "style-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "frame-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
# Pages that are meant to be framed (email previews) opt in per view.
X_FRAME_OPTIONS = "DENY"

# --- Email ------------------------------------------------------------------
# Every email Django sends goes to the outbox mailer ("default"), which stores
# it durably; the notification worker delivers it through the "delivery"
# mailer: SMTP from EMAIL_URL, or an Anymail ESP chosen by EMAIL_PROVIDER.
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Microblog <noreply@microblog.localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
ADMINS = [address.strip() for address in env.list("ADMINS", default=[]) if address.strip()]

# EMAIL_PROVIDER: "smtp" or one of the ESPs Anymail ships (providers.py and
# the table in docs/notifications.md say which variables each one reads).
EMAIL_PROVIDER = env("EMAIL_PROVIDER", default="smtp").strip().lower()

MAILERS = {
    "default": {"BACKEND": "notifications.backends.OutboxEmailBackend"},
    "delivery": delivery_mailer(env, EMAIL_PROVIDER),
}

# The local SMTP sink of `make run` stores what it receives here; the
# DEBUG-only dev inbox (/dev/inbox/) reads it.
DEV_INBOX_MAILDIR = env.path("DEV_INBOX_MAILDIR", default=str(VAR_DIR / "mail"))

ANYMAIL = {
    # Basic-auth credentials ESPs must send to our tracking webhooks ("user:password").
    "WEBHOOK_SECRET": env("ANYMAIL_WEBHOOK_SECRET", default="change:me"),
    # Seconds a worker waits for an ESP's HTTP API before the try counts as failed.
    "REQUESTS_TIMEOUT": env.float("ANYMAIL_REQUESTS_TIMEOUT", default=30.0),
    # Webhook signing keys and secrets, each from ANYMAIL_<name>, e.g.
    # ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY. An empty key is never set: it would
    # let anyone forge a signature, so the webhook refuses requests instead.
    **webhook_settings(env, EMAIL_PROVIDER),
}

# --- Notifications (the reusable framework's one settings dict) ------------
NOTIFICATIONS = {
    # false: new notification events are dropped (mail sent through Django's
    # mail API is still delivered).
    "ENABLED": env.bool("NOTIFICATIONS_ENABLED", default=True),
    "DELIVERY_MAILER": "delivery",
    "SITE_URL": SITE_URL,
    "SITE_NAME": "Microblog",
    "MAX_ATTEMPTS": env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=10),
    "BATCH_SIZE": env.int("NOTIFICATIONS_BATCH_SIZE", default=50),
    # deliver_due tasks draining a backlog side by side; unset: Q_WORKERS.
    "DELIVERY_TASKS": env.int("NOTIFICATIONS_DELIVERY_TASKS", default=None),
    # Seconds: first retry delay (doubling after), claim lease, coalescing window.
    "BACKOFF_BASE": env.int("NOTIFICATIONS_BACKOFF_BASE", default=240),
    "LEASE_SECONDS": env.int("NOTIFICATIONS_LEASE_SECONDS", default=300),
    "COALESCE_WINDOW": env.int("NOTIFICATIONS_COALESCE_WINDOW", default=600),
    # Daily digest hour (in each recipient's own time zone) and the
    # per-recipient hourly ceiling (0: none).
    "DIGEST_HOUR": env.int("NOTIFICATIONS_DIGEST_HOUR", default=8),
    "HOURLY_LIMIT": env.int("NOTIFICATIONS_HOURLY_LIMIT", default=20),
    # The ESP whose webhooks report on sent mail, when mail goes out over its
    # SMTP relay (otherwise EMAIL_PROVIDER's).
    "TRACKING_ESP": env("NOTIFICATIONS_TRACKING_ESP", default=None),
    # Feedback-ID's sender part (default: the sender's domain).
    "FEEDBACK_ID_SENDER": env("NOTIFICATIONS_FEEDBACK_ID_SENDER", default=""),
    # Messages per second across every worker and node (an ESP's quota;
    # unset: no limit), shared through Redis when REDIS_URL is set.
    "SEND_RATE": env.float("NOTIFICATIONS_SEND_RATE", default=None),
    "SEND_RATE_REDIS_URL": env("REDIS_URL", default="") or None,
    # Amazon SES: the SNS topics accepted (unset: any, once the signature checks out).
    "SNS_TOPIC_ARNS": env.list("NOTIFICATIONS_SNS_TOPIC_ARNS", default=[]),
    # The Prometheus endpoint /notifications/metrics/: off (404) until a bearer
    # token or an allow-list of client addresses (IPs, CIDR networks) is set.
    "METRICS_TOKEN": env("NOTIFICATIONS_METRICS_TOKEN", default="") or None,
    "METRICS_ALLOWED_IPS": env.list("NOTIFICATIONS_METRICS_ALLOWED_IPS", default=[]),
    # Days finished emails (and their attempt logs) are kept; 0: forever.
    "RETENTION_DAYS": env.int("NOTIFICATIONS_RETENTION_DAYS", default=30),
}

# --- django-q2 ----------------------------------------------------------------
# The outbox does the retrying, so q2 runs each task once (max_attempts=1) and
# `retry` stays well above `timeout`: otherwise a slow task runs twice.
REDIS_URL = env("REDIS_URL", default="")
Q_CLUSTER = {
    "name": "microblog",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 120,
    "retry": 300,
    "max_attempts": 1,
    "ack_failures": True,
    "save_limit": 200,
    "catch_up": False,
    "label": gettext_lazy("Task queue"),  # the admin's name for django-q2's section
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 0.5

# --- Cache -------------------------------------------------------------------
# Shared by every process: password reset requests are counted in it. Redis
# when there is one; otherwise files in var/ (every process of one machine).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "microblog",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Logging ----------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        },
    },
    # Django's own loggers print through the root's handler alone: its default
    # console handler printed every warning a second time with DEBUG on.
    "loggers": {"django": {"handlers": ["mail_admins"], "level": "INFO"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
