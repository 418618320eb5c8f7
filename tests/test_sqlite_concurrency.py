"""The default SQLite file takes a web process and qcluster writing at once.

Measured on a default-configured SQLite file, django-q2's ORM broker logged
hundreds of "database is locked" failures per 2,000 tasks. The settings use
IMMEDIATE transactions, WAL and a busy timeout; this drives a real web server
and a real qcluster together and reads both logs.
"""

import re

import pytest
import requests
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from notifications.tests.support.smtp import free_port
from tests.support.processes import ManagedProcess, wait_until

FOLLOWS = 500

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only, pytest.mark.timeout(300)]


@pytest.fixture
def web_server(transactional_db, run_dir):
    port = free_port()
    process = ManagedProcess(
        ["runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
        run_dir / "web.log",
    ).start()
    base_url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(f"{base_url}/healthz", timeout=5).status_code < 500
        except requests.RequestException:  # not listening yet, or slow to answer its first request
            return False

    wait_until(up, timeout=30, message="runserver did not start")
    yield base_url, process
    process.stop()


def test_500_follows_while_the_worker_delivers_log_no_locked_database(
    web_server, qcluster, smtp_sink
):
    assert connection.vendor == "sqlite", "run with the default DATABASE_URL (SQLite)"
    base_url, web = web_server
    User = get_user_model()
    follower = User.objects.create_user("follower", "follower@example.com", "pw-follower-1")
    User.objects.bulk_create(
        User(username=f"user{i}", email=f"user{i}@example.com") for i in range(FOLLOWS)
    )
    worker = qcluster()

    browser = Client()
    browser.force_login(follower)  # a real session row, read by the web process
    http = requests.Session()
    http.cookies.set("sessionid", browser.cookies["sessionid"].value)
    http.get(f"{base_url}/u/user0/", timeout=10).raise_for_status()
    csrf = http.cookies["csrftoken"]

    for i in range(FOLLOWS):
        response = http.post(
            f"{base_url}/u/user{i}/follow/",
            data={"csrfmiddlewaretoken": csrf},
            headers={"Referer": f"{base_url}/u/user{i}/"},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 302, (i, response.status_code)

    smtp_sink.wait_for(FOLLOWS, timeout=180)
    wait_until(lambda: len(smtp_sink.messages) >= FOLLOWS, timeout=5)
    recipients = {tuple(m.envelope_to) for m in smtp_sink.messages}
    assert len(recipients) == FOLLOWS

    locked = re.compile("database is locked", re.IGNORECASE)
    assert not locked.findall(web.log()), web.log()[-2000:]
    assert not locked.findall(worker.log()), worker.log()[-2000:]
