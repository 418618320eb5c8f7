"""The statements an event makes in the request that caused it, as SQL written once.

A follow pays for these before its response. Built by the ORM on every call
they cost more to build than to run: profiled, a run of follows spent 4.5 s
of its 8.3 s building filters and compiling SQL and 0.7 s in the database
(docs/benchmarks.md, P1). So each is written here once, in SQL that SQLite
and PostgreSQL both accept, and run through `sql.fetch_models`, which
converts JSON and datetimes the way the fields do. Each read reads what the
ORM query it replaced read, through the same indexes (P7 keeps a follow of a
user with 200,000 past emails flat). The rows and items themselves are
stored with `sql.insert_new`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connections
from django.db.models import Model

from ..conf import conf
from ..models import InAppItem, Notification, Preference, QuietHours, WakeUp
from ..preferences import RECENT_EMAIL_WINDOW
from ..sql import fetch_models


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


def _user_key(model: type[Model], field: str, user_id: object, connection: Any) -> object:
    """`user_id` as the database stores it in `model`'s foreign key to the user,
    converted as the ORM converts it: a UUID key is 32 hex digits on SQLite and
    would be refused (or silently match nothing, as text) unconverted."""
    return model._meta.get_field(field).get_db_prep_value(user_id, connection)


def recipient_choices(
    *, user_id: object, category: str, channels: list[str], with_quiet_hours: bool
) -> RecipientChoices:
    """The recipient's stored mode for `category` on each of `channels`, and
    (`with_quiet_hours`) their quiet hours, in one statement."""
    if not 1 <= len(channels) <= 2:
        raise ValueError(f"one or two channels, not {channels!r}")
    connection = connections[Preference.objects.db]
    key = _user_key(Preference, "user", user_id, connection)
    params: list[object] = [key, category, channels[0], channels[-1]]
    sql = _CHOICES_SQL
    if with_quiet_hours:
        params += [_QUIET_HOURS, "", key]  # QuietHours.user is the same key
        sql = _CHOICES_WITH_QUIET_HOURS_SQL
    modes, quiet = {}, None
    with connection.cursor() as cursor:
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
# created_at): each alternative bounded by an index of its own. The statuses
# are written as literals (test_statements checks them against Status): with
# bound parameters where the partial index's condition is matched, SQLite
# plans the statement again on every execution, 0.1 ms each time.
_RECENT_ROWS_SELECT = (
    "SELECT id, status, transactional, group_key, attempts, params,"
    " created_at, updated_at, sent_at FROM notifications_notification"
    " WHERE recipient_id = %s AND ("
    "(group_key = %s AND NOT (group_key = '') AND attempts = 0 AND status = 'queued')"
    " OR (recipient_id = %s AND created_at >= %s AND group_key = %s"
    " AND NOT (status = 'cancelled'))"
)
_CEILING_ALTERNATIVE = (
    " OR (NOT transactional AND ("
    "(recipient_id = %s AND sent_at >= %s AND status = 'sent')"
    " OR (recipient_id = %s AND created_at >= %s AND status IN ('queued', 'sending'))))"
)
_NEWEST_FIRST = ") ORDER BY created_at DESC, id DESC"
# The same read with and without the ceiling's alternative.
_RECENT_ROWS_SQL = _RECENT_ROWS_SELECT + _NEWEST_FIRST
_RECENT_ROWS_WITH_CEILING_SQL = _RECENT_ROWS_SELECT + _CEILING_ALTERNATIVE + _NEWEST_FIRST
# The statuses written into the statements above.
STATUSES_WRITTEN = ("queued", "cancelled", "sent", "sending")


def recent_rows(*, recipient_id: object, group: str, now: datetime) -> list[Notification]:
    """Newest first, the recipient's rows coalescing and the hourly ceiling
    look at: the group's pending row, its rows created within COALESCE_WINDOW
    (not cancelled), and (when HOURLY_LIMIT is set) the rows
    preferences.counts_as_recent_email counts."""
    connection = connections[Notification.objects.db]
    at = connection.ops.adapt_datetimefield_value
    window_start = at(now - timedelta(seconds=conf.COALESCE_WINDOW))
    key = _user_key(Notification, "recipient", recipient_id, connection)
    params: list[object] = [key, group, key, window_start, group]
    if not conf.HOURLY_LIMIT:
        return fetch_models(Notification, _RECENT_ROWS_SQL, params, columns=_RECENT_COLUMNS)
    since = at(now - RECENT_EMAIL_WINDOW)
    params += [key, since, key, since]
    return fetch_models(
        Notification, _RECENT_ROWS_WITH_CEILING_SQL, params, columns=_RECENT_COLUMNS
    )


# Through the one-unread-item-per-group constraint's partial index.
_UNREAD_ITEM_SQL = (
    "SELECT id, params FROM notifications_inappitem"
    " WHERE group_key = %s AND NOT (group_key = '') AND read_at IS NULL"
)


def unread_item(*, group: str) -> InAppItem | None:
    """The unread in-app item of `group` (the database allows one), with its params."""
    found = fetch_models(InAppItem, _UNREAD_ITEM_SQL, [group], columns=("id", "params"))
    return found[0] if found else None


_WAKE_UP_PENDING_SQL = "SELECT pending FROM notifications_wakeup WHERE id = %s"


def wake_up_pending(*, wake_up_id: int) -> bool | None:
    """Whether the one WakeUp row says a wake-up is pending (None: no row yet)."""
    with connections[WakeUp.objects.db].cursor() as cursor:
        cursor.execute(_WAKE_UP_PENDING_SQL, [wake_up_id])
        found = cursor.fetchone()
    return None if found is None else bool(found[0])
