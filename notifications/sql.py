"""Hand-written statements, run the way the ORM runs them.

On the two paths that run once per event and once per email (a follow's
request, a worker's outcome) the ORM spends more time building a statement
than the database spends running it: profiled, a run of follows spent 4.5 s
of 8.3 s building filters and compiling SQL against 0.7 s in the database,
and a sent email's outcome UPDATE 1.6 ms of its 2.3 ms (docs/benchmarks.md,
P1 and P2). These helpers run a statement written once (or built once per
set of columns) with the values prepared and read back by the fields
themselves (``get_db_prep_save``, the backend's and the field's converters),
so what is stored and read is what the ORM would store and read.

* `fetch_models`: a SELECT into model instances.
* `insert_new`: ``INSERT … ON CONFLICT DO NOTHING``: a refused row is
  reported, not raised, with no savepoint (PostgreSQL aborts the whole
  transaction on a unique violation). Other databases take the ORM's way,
  with the savepoint.
* `update_where`: ``UPDATE … SET … WHERE`` equalities; the rows changed.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.db.models import Model, signals


@cache
def _reading(
    model: type[Model], alias: str, columns: tuple[str, ...]
) -> tuple[tuple[str, ...], list[int], list[tuple[int, Any, Any]]]:
    """How to turn an answer of `columns` into `model` instances: the columns
    in the model's field order (the order Model.from_db takes them in), their
    positions in the answer, and per column that needs them the converters
    the ORM applies (JSON decoding; SQLite's datetimes and booleans)."""
    connection = connections[alias]
    meta = model._meta
    fields = [f for f in meta.concrete_fields if f.attname in columns]
    order = [columns.index(f.attname) for f in fields]
    converters = []
    for position, field in zip(order, fields, strict=True):
        column = field.get_col(meta.db_table)
        convert = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if convert:
            converters.append((position, column, convert))
    return tuple(f.attname for f in fields), order, converters


def fetch_models(
    model: type[Model], sql: str, params: list[Any], *, columns: tuple[str, ...]
) -> list[Any]:
    """Run `sql`, whose answer is `columns` of `model`, into model instances
    (the other fields deferred), converted as the ORM converts them."""
    alias = model.objects.db
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    if not found:
        return []
    names, order, converters = _reading(model, alias, columns)
    instances = []
    for values in map(list, found):
        for position, column, convert in converters:
            for converter in convert:
                values[position] = converter(values[position], column, connection)
        instances.append(model.from_db(alias, names, [values[i] for i in order]))
    return instances


@cache
def _insert_sql(model: type[Model], alias: str) -> tuple[str, tuple[Any, ...]]:
    """INSERT … ON CONFLICT DO NOTHING, and its fields in order.

    PostgreSQL returns the new key (RETURNING); SQLite tells it through the
    cursor's lastrowid, and a refused row through a rowcount of 0: its
    RETURNING more than doubles the statement's time (37 µs → 86 µs)."""
    connection = connections[alias]
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if f is not meta.pk)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Every name is one of the model's own (quoted) columns; values are parameters.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
        " ON CONFLICT DO NOTHING"
    )
    if connection.vendor == "postgresql":
        sql += f" RETURNING {quote(meta.pk.column)}"
    return sql, fields


def _inserts_on_conflict(connection: Any) -> bool:
    return connection.vendor in ("sqlite", "postgresql")


def insert_new(obj: Model) -> bool:
    """INSERT the unsaved `obj`; False, and nothing stored, when a unique
    constraint holds another row in its place (for the framework's rows: the
    one pending row or unread item of a group, the same dedupe key). Sends
    the save signals as Model.save would."""
    model = type(obj)
    alias = router.db_for_write(model, instance=obj)
    connection = connections[alias]
    if not _inserts_on_conflict(connection):
        try:
            with transaction.atomic(using=alias):
                obj.save(force_insert=True, using=alias)
        except IntegrityError:
            return False
        return True
    sql, fields = _insert_sql(model, alias)
    signals.pre_save.send(sender=model, instance=obj, raw=False, using=alias, update_fields=None)
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection=connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        if connection.vendor == "postgresql":
            inserted = cursor.fetchone()
            key = None if inserted is None else inserted[0]
        else:
            key = cursor.lastrowid if cursor.rowcount == 1 else None
    if key is None:
        return False
    obj.pk = key
    obj._state.adding, obj._state.db = False, alias
    signals.post_save.send(
        sender=model, instance=obj, created=True, update_fields=None, raw=False, using=alias
    )
    return True


@cache
def _update_sql(
    model: type[Model], alias: str, changed: tuple[str, ...], matched: tuple[str, ...]
) -> tuple[str, tuple[Any, ...], tuple[Any, ...]]:
    """UPDATE … SET `changed` WHERE each of `matched` equals a value, and their fields."""
    quote = connections[alias].ops.quote_name
    meta = model._meta
    sets = tuple(meta.get_field(name) for name in changed)
    wheres = tuple(meta.get_field(name) for name in matched)
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in sets)
    conditions = " AND ".join(f"{quote(f.column)} = %s" for f in wheres)
    # Every name is one of the model's own (quoted) columns; values are parameters.
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {conditions}"  # noqa: S608
    return sql, sets, wheres


def update_where(model: type[Model], *, where: dict[str, Any], values: dict[str, Any]) -> int:
    """``model.objects.filter(**where).update(**values)`` for plain equalities
    on concrete fields, written once per set of names; the rows changed."""
    alias = router.db_for_write(model)
    connection = connections[alias]
    sql, sets, wheres = _update_sql(model, alias, tuple(values), tuple(where))
    params = [f.get_db_prep_save(values[f.name], connection=connection) for f in sets]
    params += [f.get_db_prep_value(where[f.name], connection, prepared=False) for f in wheres]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
