"""The Prometheus endpoint: figures after real deliveries, and who may read them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import checks
from django.core.mail import send_mail
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from notifications.models import DeliveryAttempt, Notification
from notifications.tasks import sweep
from notifications.tests.factories import UserFactory
from notifications.tests.testapp.models import Note, Wave
from notifications.totals import DeliveryTotal

pytestmark = pytest.mark.django_db

URL = "/notifications/metrics/"
TOKEN = "a-long-random-metrics-token"


@pytest.fixture
def metrics_settings(settings):  # type: ignore[no-untyped-def]
    """Change NOTIFICATIONS keys for one test."""

    def configure(**values: object) -> None:
        settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, **values}

    return configure


def scrape() -> dict[tuple[str, frozenset], float]:
    response = Client().get(URL, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.status_code
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def test_figures_after_a_known_sequence_of_sends_and_failures(
    outbox_mailers, smtp_sink, metrics_settings, alice, bob, deliver, make_due
):
    metrics_settings(METRICS_TOKEN=TOKEN)
    carol = UserFactory(username="carol", email="carol@example.com")
    dave = UserFactory(username="dave", email="dave@example.com")
    refusals = {"carol@example.com": "550 5.1.1 no such user", "dave@example.com": "451 later"}
    smtp_sink.handler.responder = lambda envelope: refusals.get(envelope.rcpt_tos[0])
    Wave.objects.create(actor=bob, target=alice)
    Wave.objects.create(actor=alice, target=carol)
    Wave.objects.create(actor=alice, target=dave)
    Note.objects.create(author=bob, recipient=alice, body="Lunch?")
    send_mail("Your code", "1234", None, ["erin@example.com"])
    # The note was written 100 s ago: its latency lands in the 120 s bucket.
    Notification.objects.filter(kind="note").update(
        created_at=timezone.now() - timedelta(seconds=100)
    )

    deliver()  # alice's wave, the note and the email sent; carol's fails; dave's retries
    refusals.clear()
    make_due()
    deliver()  # dave's wave sent on its second try

    samples = scrape()
    smtp = {"provider": "smtp"}
    assert value(samples, "notifications_sent_total", kind="waved", **smtp) == 2
    assert value(samples, "notifications_sent_total", kind="note", **smtp) == 1
    assert value(samples, "notifications_sent_total", kind="email", **smtp) == 1
    failures = "notifications_failures_total"
    assert value(samples, failures, kind="waved", outcome="failed", **smtp) == 1
    assert value(samples, failures, kind="waved", outcome="retry", **smtp) == 1
    assert (failures, frozenset({"kind": "note", "outcome": "failed", **smtp}.items())) not in (
        samples
    )
    assert value(samples, "notifications_outbox_rows", status="sent") == 4
    assert value(samples, "notifications_outbox_rows", status="failed") == 1
    assert value(samples, "notifications_outbox_rows", status="queued") == 0
    assert value(samples, "notifications_due_rows") == 0
    assert value(samples, "notifications_oldest_due_age_seconds") == 0

    latency = "notifications_enqueue_to_sent_seconds"
    assert value(samples, f"{latency}_count", kind="waved", **smtp) == 2
    assert value(samples, f"{latency}_bucket", kind="note", le="60.0", **smtp) == 0
    assert value(samples, f"{latency}_bucket", kind="note", le="120.0", **smtp) == 1
    assert value(samples, f"{latency}_bucket", kind="note", le="+Inf", **smtp) == 1
    assert 100 <= value(samples, f"{latency}_sum", kind="note", **smtp) < 120
    assert value(samples, f"{latency}_bucket", kind="email", le="60.0", **smtp) == 1


def test_backlog_and_heartbeat_gauges(metrics_settings):
    metrics_settings(METRICS_TOKEN=TOKEN)
    Notification.objects.create(
        kind="email", to_address="x@example.com", next_attempt_at=timezone.now() - timedelta(0, 90)
    )
    Notification.objects.create(
        kind="email", to_address="y@example.com", next_attempt_at=timezone.now() + timedelta(0, 90)
    )
    samples = scrape()
    assert value(samples, "notifications_due_rows") == 1
    assert 90 <= value(samples, "notifications_oldest_due_age_seconds") < 120
    assert value(samples, "notifications_outbox_rows", status="queued") == 2
    assert value(samples, "notifications_heartbeat_age_seconds") == float("inf")  # never swept

    sweep()
    assert value(scrape(), "notifications_heartbeat_age_seconds") < 5


def test_counters_come_from_every_worker_and_survive_each_scrape(metrics_settings):
    """Totals are rows in the database: what two processes added is one figure,
    and scraping twice (a fresh registry each time) reads the same values."""
    from notifications.dispatch.attempts import AttemptLog

    metrics_settings(METRICS_TOKEN=TOKEN)
    row = Notification.objects.create(kind="email", to_address="x@example.com")
    for _worker in range(2):
        log = AttemptLog(provider="postmark")
        log.record(row, DeliveryAttempt.Outcome.SENT, started=timezone.now())
        log.flush()
    first, second = scrape(), scrape()
    for samples in (first, second):
        assert value(samples, "notifications_sent_total", kind="email", provider="postmark") == 2
    assert DeliveryAttempt.objects.count() == 2


def test_the_endpoint_is_off_until_a_token_or_an_allow_list_is_set():
    assert Client().get(URL).status_code == 404
    assert Client().get(URL, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


@pytest.mark.parametrize(
    "authorization",
    ["", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN, "Bearer"],
    ids=["none", "longer", "shorter", "basic", "no-scheme", "empty-bearer"],
)
def test_a_scrape_without_the_right_token_is_refused(metrics_settings, authorization):
    metrics_settings(METRICS_TOKEN=TOKEN)
    response = Client().get(URL, headers={"Authorization": authorization} if authorization else {})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"notifications_" not in response.content


def test_the_token_is_accepted_and_the_answer_is_prometheus_text(metrics_settings):
    metrics_settings(METRICS_TOKEN=TOKEN)
    response = Client().get(URL, headers={"Authorization": f"bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "no-cache" in response["Cache-Control"]
    assert b"# TYPE notifications_outbox_rows gauge" in response.content


def test_openmetrics_when_prometheus_asks_for_it(metrics_settings):
    metrics_settings(METRICS_TOKEN=TOKEN)
    response = Client().get(
        URL,
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "Accept": "application/openmetrics-text; version=1.0.0",
        },
    )
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.endswith(b"# EOF\n")


@pytest.mark.parametrize("version", ["abc", "1.x", ""])
def test_a_malformed_openmetrics_version_gets_the_text_format(metrics_settings, version):
    metrics_settings(METRICS_TOKEN=TOKEN)
    response = Client().get(
        URL,
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "Accept": f"application/openmetrics-text; version={version}",
        },
    )
    assert response.status_code == 200
    assert b"notifications_outbox_rows" in response.content


def test_the_allow_list_admits_its_addresses_and_refuses_others(metrics_settings):
    metrics_settings(METRICS_ALLOWED_IPS=["10.0.0.0/8", "2001:db8::1"])
    assert Client(REMOTE_ADDR="10.1.2.3").get(URL).status_code == 200
    assert Client(REMOTE_ADDR="::ffff:10.1.2.3").get(URL).status_code == 200
    assert Client(REMOTE_ADDR="2001:db8::1").get(URL).status_code == 200
    assert Client(REMOTE_ADDR="127.0.0.1").get(URL).status_code == 403
    assert Client(REMOTE_ADDR="192.0.2.7").get(URL).status_code == 403
    # The client's own claim about its address counts for nothing.
    spoofed = Client(REMOTE_ADDR="192.0.2.7").get(URL, headers={"X-Forwarded-For": "10.0.0.1"})
    assert spoofed.status_code == 403


def test_with_a_token_and_an_allow_list_a_scrape_needs_both(metrics_settings):
    metrics_settings(METRICS_TOKEN=TOKEN, METRICS_ALLOWED_IPS=["10.0.0.0/8"])
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert Client(REMOTE_ADDR="10.0.0.5").get(URL, headers=bearer).status_code == 200
    assert Client(REMOTE_ADDR="10.0.0.5").get(URL).status_code == 401
    assert Client(REMOTE_ADDR="192.0.2.7").get(URL, headers=bearer).status_code == 403


def test_a_mistyped_allow_list_refuses_scrapes_and_fails_the_checks(metrics_settings):
    metrics_settings(METRICS_ALLOWED_IPS=["10.0.0.0/8x"])
    assert Client(REMOTE_ADDR="10.0.0.5").get(URL).status_code == 403
    errors = [e for e in checks.run_checks() if e.id == "notifications.E026"]
    assert len(errors) == 1
    assert "10.0.0.0/8x" in errors[0].msg


def test_only_get_is_answered(metrics_settings):
    metrics_settings(METRICS_TOKEN=TOKEN)
    response = Client().post(URL, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 405


def test_totals_are_a_table_of_their_own(outbox_mailers, smtp_sink, alice, bob, deliver):
    Wave.objects.create(actor=bob, target=alice)
    deliver()
    assert DeliveryTotal.objects.get(series="sent").value == 1
    assert DeliveryTotal.objects.get(series="latency").bucket == "0.5"
