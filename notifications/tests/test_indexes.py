"""The indexes the migrations leave: the ones the models declare, and no
single-column index on a column whose db_index went (each one is paid for by
every event's INSERT and every status change)."""

from __future__ import annotations

import pytest
from django.db import connection

from notifications.models import InAppItem, Notification

pytestmark = pytest.mark.django_db

UNINDEXED = {
    Notification: {"kind", "to_address", "group_key", "status", "provider_message_id"},
    InAppItem: {"recipient_id"},
}


def indexes_of(model: type) -> dict[str, dict]:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, model._meta.db_table)


@pytest.mark.parametrize("model", [Notification, InAppItem], ids=lambda m: m.__name__)
def test_every_declared_index_and_constraint_exists(model):
    found = indexes_of(model)
    declared = [i.name for i in model._meta.indexes] + [c.name for c in model._meta.constraints]
    assert [name for name in declared if name not in found] == []


@pytest.mark.parametrize("model", [Notification, InAppItem], ids=lambda m: m.__name__)
def test_no_column_has_an_index_of_its_own_beside_the_declared_ones(model):
    declared = {i.name for i in model._meta.indexes}
    extra = [
        name
        for name, index in indexes_of(model).items()
        if index["index"]
        and not index["unique"]
        and name not in declared
        and set(index["columns"]) & UNINDEXED[model]
    ]
    assert extra == []


def test_the_one_pending_row_and_unread_item_constraints_are_unique_indexes():
    for model, name in (
        (Notification, "one_pending_row_per_group"),
        (InAppItem, "one_unread_item_per_group"),
    ):
        assert indexes_of(model)[name]["unique"], name
