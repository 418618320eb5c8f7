"""gunicorn settings for the web processes (`microblog.wsgi`).

    DJANGO_SETTINGS_MODULE=microblog.settings.production \
        .venv/bin/gunicorn -c deploy/gunicorn.conf.py microblog.wsgi

Synchronous workers: a request only reads and writes the database (email
goes out from the qcluster processes), so a worker is never held by a mail
server. Each setting can be overridden from the environment.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# gunicorn's own rule of thumb, and what WEB_CONCURRENCY asks for when set.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# A worker is replaced now and then, so a slow leak cannot grow for ever; the
# jitter keeps the workers from restarting together.
max_requests = 2000
max_requests_jitter = 200
# The proxy in front (TLS) sets X-Forwarded-Proto; SECURE_PROXY_SSL_HEADER reads it.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # "": no access log
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
