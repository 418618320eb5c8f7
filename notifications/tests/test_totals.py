"""The delivery totals: buckets, and adding to the same total from many flushes."""

from __future__ import annotations

import pytest
from django.db import connection

from notifications.totals import DeliveryTotal, latency_bucket, totals_add

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("seconds", "bucket"),
    [(0, "0.5"), (0.5, "0.5"), (0.51, "1"), (599, "600"), (600, "600"), (86400, "86400"),
     (86401, "+Inf")],
)  # fmt: skip
def test_a_latency_falls_in_the_first_bucket_whose_bound_it_does_not_exceed(seconds, bucket):
    assert latency_bucket(seconds) == bucket


@pytest.mark.parametrize("vendor", ["native", "other"])
def test_adding_to_a_total_twice_adds_up(monkeypatch, vendor):
    if vendor == "other":  # a database without INSERT … ON CONFLICT: row by row
        monkeypatch.setattr(connection, "vendor", "mysql")
    sent = ("sent", "waved", "smtp", "")
    latency = ("latency", "waved", "smtp", "2")
    totals_add(increments=[(sent, 2), (latency, 1)])
    totals_add(increments=[(sent, 3)])
    assert DeliveryTotal.objects.get(series="sent").value == 5
    assert DeliveryTotal.objects.get(series="latency", bucket="2").value == 1
    assert DeliveryTotal.objects.count() == 2
