"""A big outbox: staff find an address at once, and counts that would read
every row are estimated and say so (see estimates.py, docs/benchmarks.md P7)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications import estimates
from notifications.estimates import EstimatingPaginator, row_count
from notifications.models import Notification
from notifications.selectors import notifications_status_counts
from notifications.tasks import sweep

pytestmark = pytest.mark.django_db
Status = Notification.Status
OUTBOX = "admin:notifications_notification_changelist"


def row(address: str, status: str = Status.SENT, **fields: object) -> Notification:
    fields = {"sent_at": timezone.now() if status == Status.SENT else None, **fields}
    return Notification.objects.create(kind="note", to_address=address, status=status, **fields)


def listed(page: str) -> list[str]:
    return [a for a in ("alice@example.com", "alicia@example.com", "bob@example.com") if a in page]


def test_a_search_by_address_finds_its_emails_whatever_the_case(staff_client):
    row("alice@example.com")
    row("alicia@example.com")
    row("bob@example.com")
    page = staff_client.get(reverse(OUTBOX), {"q": " Alice@Example.COM "}).text
    assert listed(page) == ["alice@example.com"]


def test_a_search_by_part_of_an_address_still_finds_it(staff_client):
    row("alice@example.com")
    row("alicia@example.com")
    row("bob@example.com")
    page = staff_client.get(reverse(OUTBOX), {"q": "ALI"}).text
    assert listed(page) == ["alice@example.com", "alicia@example.com"]


def test_a_search_by_message_id_finds_the_email(staff_client):
    row("alice@example.com", provider_message_id="<abc123@mail.example.com>")
    row("bob@example.com", provider_message_id="<def456@mail.example.com>")
    page = staff_client.get(reverse(OUTBOX), {"q": "<abc123@mail.example.com>"}).text
    assert listed(page) == ["alice@example.com"]


def test_the_outbox_list_reads_no_distinct_values_and_counts_once(staff_client):
    row("alice@example.com")
    with CaptureQueriesContext(connection) as queries:
        page = staff_client.get(reverse(OUTBOX)).text
    sql = [q["sql"].upper() for q in queries.captured_queries]
    assert not [q for q in sql if "DISTINCT" in q]
    assert len([q for q in sql if "COUNT(" in q]) == 1
    # The type filter lists the registered types, held by the outbox or not.
    assert "kind=waved" in page
    assert "kind=security_alert" in page


def test_the_paginator_counts_a_small_result_exactly():
    for n in range(3):
        row(f"u{n}@example.com")
    paginator = EstimatingPaginator(Notification.objects.order_by("id"), 2)
    assert paginator.count == 3
    assert paginator.num_pages == 2
    assert not paginator.estimated


def test_the_status_counts_are_exact_in_a_small_outbox():
    row("a@example.com")
    row("b@example.com")
    row("c@example.com", status=Status.CANCELLED)
    row("d@example.com", status=Status.QUEUED)
    counts, estimated = notifications_status_counts()
    assert counts == {
        **{status.value: 0 for status in Status},
        "sent": 2,
        "cancelled": 1,
        "queued": 1,
    }
    assert estimated == frozenset()


def test_the_dashboard_shows_exact_counts_in_a_small_outbox(staff_client):
    row("a@example.com")
    page = staff_client.get(reverse("admin:notifications_dashboard")).text
    assert "about" not in page.lower()


# --- PostgreSQL: above the limit, the planner's estimate ------------------------


@pytest.fixture
def big(monkeypatch, require_postgres):  # type: ignore[no-untyped-def]
    """Any count counts as big: the estimates are used however few rows there are."""
    monkeypatch.setattr(estimates, "EXACT_COUNT_LIMIT", 0)
    for n in range(20):
        row(f"u{n}@example.com")
    row("queued@example.com", status=Status.QUEUED)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE notifications_notification")


@pytest.mark.postgres
def test_a_big_count_is_the_planners_estimate(big):
    counted = row_count(Notification.objects.filter(status=Status.SENT))
    assert counted.estimated
    assert 10 <= counted.value <= 40  # ANALYZE read the 20 sent rows


@pytest.mark.postgres
def test_a_big_outbox_estimates_only_the_finished_statuses(big):
    counts, estimated = notifications_status_counts()
    assert estimated == {"sent", "cancelled", "failed", "suppressed"}
    assert counts["queued"] == 1  # counted exactly


@pytest.mark.postgres
def test_estimated_figures_say_about(big, staff_client, capsys):
    outbox = staff_client.get(reverse(OUTBOX)).text
    assert "about 2" in outbox  # "about 21 outbox emails"
    dashboard = staff_client.get(reverse("admin:notifications_dashboard")).text
    assert "about 2" in dashboard
    sweep()
    call_command("notifications_status")
    out = capsys.readouterr().out
    assert "(estimated: cancelled, failed, sent, suppressed)" in out
    assert "  queued      1" in out
