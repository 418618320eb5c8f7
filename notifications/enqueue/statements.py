"""The statements an event makes in the request that caused it, as SQL written once.

A follow pays for these before its response. Built by the ORM on every call
they cost more to build than to run: profiled, a run of follows spent 4.5 s
of its 8.3 s building filters and compiling SQL and 0.7 s in the database
(docs/benchmarks.md, P1). So each is written here once, in SQL that SQLite
and PostgreSQL both accept, and run through the cursor or
``Model.objects.raw`` (which still converts JSON and datetimes the way the
fields do). Each read reads what the ORM query it replaced read, through the
same indexes (P7 keeps a follow of a user with 200,000 past emails flat).

`insert_new` stores a new row or item with ``ON CONFLICT DO NOTHING``: a
lost race shows as no row returned, where a plain INSERT would need a
savepoint around it (PostgreSQL aborts the whole transaction on a unique
violation). Other databases take the ORM's way, with the savepoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.db import IntegrityError, connections, transaction
from django.db.models import Model, signals

from ..conf import conf
from ..models import InAppItem, Notification, Preference, QuietHours, WakeUp
from ..preferences import RECENT_EMAIL_WINDOW

Status = Notification.Status


@dataclass(frozen=True)
class RecipientChoices:
    """What the recipient chose that an event needs: a mode per channel asked
    for (absent when never chosen), and their quiet hours if asked for and set."""

    modes: dict[str, str]
    quiet_hours: QuietHours | None


# The recipient's modes for a category on up to two channels (one channel is
# asked for twice), and their quiet hours under a placeholder channel. "end"
# is a reserved word in SQL.
_CHOICES_SQL = (
    "SELECT channel, mode, NULL AS starts, NULL AS ends FROM notifications_preference"
    " WHERE user_id = %s AND category = %s AND channel IN (%s, %s)"
)
_CHOICES_WITH_QUIET_HOURS_SQL = (
    "SELECT channel, mode, NULL AS starts, NULL AS ends FROM notifications_preference"
    " WHERE user_id = %s AND category = %s AND channel IN (%s, %s)"
    ' UNION ALL SELECT %s, %s, start, "end" FROM notifications_quiethours WHERE user_id = %s'
)

# The placeholder channel of the quiet hours' line in the answer.
_QUIET_HOURS = "quiet hours"


def recipient_choices(
    *, user_id: int, category: str, channels: list[str], with_quiet_hours: bool
) -> RecipientChoices:
    """The recipient's stored mode for `category` on each of `channels`, and
    (`with_quiet_hours`) their quiet hours, in one statement."""
    if not 1 <= len(channels) <= 2:
        raise ValueError(f"one or two channels, not {channels!r}")
    params: list[object] = [user_id, category, channels[0], channels[-1]]
    sql = _CHOICES_SQL
    if with_quiet_hours:
        params += [_QUIET_HOURS, "", user_id]
        sql = _CHOICES_WITH_QUIET_HOURS_SQL
    modes, quiet = {}, None
    with connections[Preference.objects.db].cursor() as cursor:
        cursor.execute(sql, params)
        for channel, mode, starts, ends in cursor.fetchall():
            if channel == _QUIET_HOURS:
                to_time = QuietHours._meta.get_field("start").to_python
                quiet = QuietHours(user_id=user_id, start=to_time(starts), end=to_time(ends))
            else:
                modes[channel] = mode
    return RecipientChoices(modes=modes, quiet_hours=quiet)


# The columns of _RECENT_ROWS_SQL's answer, in order.
_RECENT_COLUMNS = (
    "id",
    "status",
    "transactional",
    "group_key",
    "attempts",
    "params",
    "created_at",
    "updated_at",
    "sent_at",
)

# Newest first: the pending row through the one-pending-row constraint's
# index, the group's recent rows through (recipient, created_at), and the
# rows the hourly ceiling counts through (recipient, sent_at) and (recipient,
# created_at): each alternative bounded by an index of its own.
_RECENT_ROWS_SQL = (
    "SELECT id, status, transactional, group_key, attempts, params,"
    " created_at, updated_at, sent_at FROM notifications_notification"
    " WHERE recipient_id = %s AND ("
    "(group_key = %s AND NOT (group_key = '') AND attempts = 0 AND status = %s)"
    " OR (recipient_id = %s AND created_at >= %s AND group_key = %s AND NOT (status = %s))"
    ") ORDER BY created_at DESC, id DESC"
)
_RECENT_ROWS_WITH_CEILING_SQL = (
    "SELECT id, status, transactional, group_key, attempts, params,"
    " created_at, updated_at, sent_at FROM notifications_notification"
    " WHERE recipient_id = %s AND ("
    "(group_key = %s AND NOT (group_key = '') AND attempts = 0 AND status = %s)"
    " OR (recipient_id = %s AND created_at >= %s AND group_key = %s AND NOT (status = %s))"
    " OR (transactional = %s AND ("
    "(recipient_id = %s AND sent_at >= %s AND status = %s)"
    " OR (recipient_id = %s AND created_at >= %s AND status IN (%s, %s))))"
    ") ORDER BY created_at DESC, id DESC"
)


def recent_rows(*, recipient_id: int, group: str, now: datetime) -> list[Notification]:
    """Newest first, the recipient's rows coalescing and the hourly ceiling
    look at: the group's pending row, its rows created within COALESCE_WINDOW
    (not cancelled), and (when HOURLY_LIMIT is set) the rows
    preferences.counts_as_recent_email counts."""
    connection = connections[Notification.objects.db]
    at = connection.ops.adapt_datetimefield_value
    window_start = at(now - timedelta(seconds=conf.COALESCE_WINDOW))
    params: list[object] = [
        recipient_id,
        group,
        Status.QUEUED.value,
        recipient_id,
        window_start,
        group,
        Status.CANCELLED.value,
    ]
    if not conf.HOURLY_LIMIT:
        return _fetch(Notification, _RECENT_ROWS_SQL, params, columns=_RECENT_COLUMNS)
    since = at(now - RECENT_EMAIL_WINDOW)
    params += [False, recipient_id, since, Status.SENT.value, recipient_id, since]
    params += [Status.QUEUED.value, Status.SENDING.value]
    return _fetch(Notification, _RECENT_ROWS_WITH_CEILING_SQL, params, columns=_RECENT_COLUMNS)


# Through the one-unread-item-per-group constraint's partial index.
_UNREAD_ITEM_SQL = (
    "SELECT id, params FROM notifications_inappitem"
    " WHERE group_key = %s AND NOT (group_key = '') AND read_at IS NULL"
)


def unread_item(*, group: str) -> InAppItem | None:
    """The unread in-app item of `group` (the database allows one), with its params."""
    return next(iter(_fetch(InAppItem, _UNREAD_ITEM_SQL, [group], columns=("id", "params"))), None)


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


def _fetch(
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
    """INSERT … ON CONFLICT DO NOTHING RETURNING the key, and its fields in order."""
    connection = connections[alias]
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if f is not meta.pk)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Every name is one of the model's own (quoted) columns; values are parameters.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
        f" ON CONFLICT DO NOTHING RETURNING {quote(meta.pk.column)}"
    )
    return sql, fields


def _inserts_on_conflict_returning(connection: Any) -> bool:
    return connection.vendor in ("sqlite", "postgresql") and bool(
        connection.features.can_return_columns_from_insert  # SQLite 3.35 and later
    )


def insert_new(obj: Notification | InAppItem) -> bool:
    """INSERT the unsaved `obj`; False, and nothing stored, when a unique
    constraint holds another row in its place (the one pending row or unread
    item of its group, the same dedupe key). Sends the save signals as
    Model.save would."""
    model = type(obj)
    alias = model.objects.db
    connection = connections[alias]
    if not _inserts_on_conflict_returning(connection):
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
        inserted = cursor.fetchone()
    if inserted is None:
        return False
    obj.pk = inserted[0]
    obj._state.adding, obj._state.db = False, alias
    signals.post_save.send(
        sender=model, instance=obj, created=True, update_fields=None, raw=False, using=alias
    )
    return True


_WAKE_UP_PENDING_SQL = "SELECT pending FROM notifications_wakeup WHERE id = %s"


def wake_up_pending(*, wake_up_id: int) -> bool | None:
    """Whether the one WakeUp row says a wake-up is pending (None: no row yet)."""
    with connections[WakeUp.objects.db].cursor() as cursor:
        cursor.execute(_WAKE_UP_PENDING_SQL, [wake_up_id])
        found = cursor.fetchone()
    return None if found is None else bool(found[0])
