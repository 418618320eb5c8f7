"""The project's metrics endpoint: configured from the environment, and right
about what two qcluster nodes sent, whichever process is asked."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from accounts.models import Follow
from notifications.models import Notification
from notifications.totals import DeliveryTotal
from tests.support.processes import wait_until
from tests.test_deploy import manage

URL = "/notifications/metrics/"
TOKEN = "project-metrics-token-0123456789"
FOLLOWS = 30


def samples(content: bytes) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(content.decode())
        for sample in family.samples
    }


def test_the_environment_configures_metrics_and_retention():
    shown = manage(
        "shell",
        "--no-imports",
        "-c",
        "from notifications.conf import conf; "
        "print(conf.METRICS_TOKEN, conf.METRICS_ALLOWED_IPS, conf.RETENTION_DAYS)",
        NOTIFICATIONS_METRICS_TOKEN=TOKEN,
        NOTIFICATIONS_METRICS_ALLOWED_IPS="10.0.0.0/8,::1",
        NOTIFICATIONS_RETENTION_DAYS="14",
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split("\n")[0] == f"{TOKEN} ['10.0.0.0/8', '::1'] 14"

    defaults = manage(
        "shell",
        "--no-imports",
        "-c",
        "from notifications.conf import conf; "
        "print(conf.METRICS_TOKEN, conf.METRICS_ALLOWED_IPS, conf.RETENTION_DAYS)",
    )
    assert defaults.stdout.split("\n")[0] == "None [] 30"


@pytest.mark.django_db
def test_the_endpoint_is_off_in_a_default_project():
    assert Client().get(URL).status_code == 404


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_what_two_qcluster_nodes_sent_is_counted_once_each(qcluster, smtp_sink, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "METRICS_TOKEN": TOKEN}
    User = get_user_model()
    fan = User.objects.create_user("fan", "fan@example.com", "pw-fan-12345")
    people = User.objects.bulk_create(
        User(username=f"person{i}", email=f"person{i}@example.com") for i in range(FOLLOWS)
    )
    first, second = qcluster(), qcluster()
    for person in people:
        Follow.objects.create(follower=fan, followed=person)

    def counted() -> bool:
        total = DeliveryTotal.objects.filter(series="sent", kind="new_follower").first()
        return total is not None and total.value >= FOLLOWS

    wait_until(counted, timeout=90, message=first.log()[-2000:] + second.log()[-2000:])

    response = Client().get(URL, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    figures = samples(response.content)
    sent = {"kind": "new_follower", "provider": "smtp"}
    assert figures[("notifications_sent_total", frozenset(sent.items()))] == FOLLOWS
    assert figures[("notifications_enqueue_to_sent_seconds_count", frozenset(sent.items()))] == (
        FOLLOWS
    )
    assert figures[("notifications_outbox_rows", frozenset({("status", "sent")}))] == FOLLOWS
    assert Notification.objects.filter(status="sent").count() == FOLLOWS
    assert len({tuple(m.envelope_to) for m in smtp_sink.messages}) == FOLLOWS
