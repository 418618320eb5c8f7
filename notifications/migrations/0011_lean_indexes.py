"""Fewer indexes for every event's INSERT and every status change to maintain.

* The status index goes: notif_due_idx (status, next_attempt_at) leads with it.
* The text columns are indexed by named indexes instead of db_index=True,
  which on PostgreSQL also built a LIKE-pattern index on each (no read needs
  one). The type, group key and provider message ID keep their index under
  a new name.
* The address has no index of its own: nothing reads by the exact address
  (staff search case-insensitively, on PostgreSQL through
  notif_address_upper_idx).
* An in-app item's recipient is served by the two indexes that lead with it.

The indexes db_index made are found by what the database says they are
(single-column, not unique), not by Django's AlterField: dropping db_index
that way also drops every other single-column index on the column, here the
one-pending-row constraint on group_key. On PostgreSQL the kept ones are
renamed, not built again, so the migration holds its lock on the outbox for
no longer than the drops and renames take; SQLite, which cannot rename an
index, builds them again.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The columns whose db_index goes, per model.
UNINDEXED = {
    "notification": ("kind", "to_address", "group_key", "status", "provider_message_id"),
    "inappitem": ("recipient_id",),
}
# The columns whose index stays, under the name the model declares.
RENAMED = {
    ("notification", "kind"): "notif_kind_idx",
    ("notification", "group_key"): "notif_group_idx",
    ("notification", "provider_message_id"): "notif_provider_id_idx",
}


def _column_indexes(connection, table, columns):  # type: ignore[no-untyped-def]
    """The single-column, non-unique indexes of `columns`: (name, column)."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return [
        (name, index["columns"][0])
        for name, index in found.items()
        if index["index"]
        and not index["unique"]
        and not index["primary_key"]
        and len(index["columns"]) == 1
        and index["columns"][0] in columns
    ]


def lean_column_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    for model_name, columns in UNINDEXED.items():
        model = apps.get_model("notifications", model_name)
        field_of = {f.column: f.name for f in model._meta.concrete_fields}
        kept = set()
        for name, column in _column_indexes(connection, model._meta.db_table, columns):
            old = models.Index(fields=[field_of[column]], name=name)
            new_name = RENAMED.get((model_name, column))
            # PostgreSQL's LIKE twin (Django names it *_like) goes in any case.
            if (
                new_name
                and new_name not in kept
                and not name.endswith("_like")
                and connection.features.can_rename_index
            ):
                new = models.Index(fields=[field_of[column]], name=new_name)
                schema_editor.rename_index(model, old, new)
                kept.add(new_name)
            else:
                schema_editor.remove_index(model, old)
        for (owner, column), new_name in RENAMED.items():
            if owner == model_name and new_name not in kept:
                index = models.Index(fields=[field_of[column]], name=new_name)
                schema_editor.add_index(model, index)


def recreate_column_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Reversed: one plain index per column again (not PostgreSQL's LIKE twins)."""
    for model_name, columns in UNINDEXED.items():
        model = apps.get_model("notifications", model_name)
        for field in model._meta.concrete_fields:
            if field.column not in columns:
                continue
            if new_name := RENAMED.get((model_name, field.column)):
                schema_editor.remove_index(model, models.Index(fields=[field.name], name=new_name))
            name = f"{model_name[:5]}_{field.column[:16]}_0010"
            schema_editor.add_index(model, models.Index(fields=[field.name], name=name))


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0010_growth_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="inappitem",
                    name="recipient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recipient",
                    ),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="group_key",
                    field=models.CharField(blank=True, max_length=200, verbose_name="group key"),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="kind",
                    field=models.CharField(max_length=64, verbose_name="type"),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="provider_message_id",
                    field=models.CharField(
                        blank=True, max_length=255, verbose_name="provider message ID"
                    ),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="status",
                    field=models.CharField(
                        choices=[
                            ("held", "held for digest"),
                            ("queued", "queued"),
                            ("sending", "sending"),
                            ("sent", "sent"),
                            ("failed", "failed"),
                            ("suppressed", "suppressed"),
                            ("cancelled", "cancelled"),
                        ],
                        default="queued",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="to_address",
                    field=models.CharField(max_length=254, verbose_name="to"),
                ),
                migrations.AddIndex(
                    model_name="notification",
                    index=models.Index(fields=["kind"], name="notif_kind_idx"),
                ),
                migrations.AddIndex(
                    model_name="notification",
                    index=models.Index(fields=["group_key"], name="notif_group_idx"),
                ),
                migrations.AddIndex(
                    model_name="notification",
                    index=models.Index(
                        fields=["provider_message_id"], name="notif_provider_id_idx"
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(lean_column_indexes, recreate_column_indexes)
            ],
        ),
    ]
