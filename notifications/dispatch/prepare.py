"""Preparing a claimed batch: render each row, check it may still go, build its message.

A typed row is rendered now, in its recipient's language, from the type's
context (loaded for the whole batch in a few queries). Right before a row is
sent the recipient's preference and the suppression list are checked again:
either may have changed since the row was written. What cannot go ends here
(cancelled, held, suppressed, failed); the rest become PreparedMessages.
"""

from __future__ import annotations

import logging
from email.utils import getaddresses, parseaddr
from typing import Any

from django.db.models.functions import Lower
from django.utils import timezone, translation

from .. import preferences, transitions
from ..channels.email import build_message
from ..models import EMAIL_KIND, Notification, Preference, QuietHours, Suppression
from ..recipients import recipient_address, recipient_can_receive
from ..rendering import notification_language, render_notification
from ..suppression import normalize_address
from ..types import NotificationObsolete, UnknownNotificationType, registry
from .attempts import AttemptLog
from .finish import finish_failure, finish_stop
from .outcomes import BatchReport, Outcome, PreparedMessage
from .policy import Failure

logger = logging.getLogger(__name__)

Status = Notification.Status


def send_address(row: Notification) -> str:
    """Where a row goes: the recipient's current address for a typed row."""
    if row.kind != EMAIL_KIND and row.recipient is not None:
        return recipient_address(row.recipient)
    return row.to_address or ""


def row_addresses(row: Notification) -> list[str]:
    """Every address a row goes to: one for a typed row, all of a stored message's."""
    if row.kind == EMAIL_KIND and row.message:
        fields = [
            *row.message.get("to", []),
            *row.message.get("cc", []),
            *row.message.get("bcc", []),
        ]
        return [address for _, address in getaddresses(fields) if address]
    return [send_address(row)]


def _maybe_blocked(rows: list[Notification]) -> set[int]:
    """Ids of the rows a preference or suppression might stop, in two queries per batch.

    A superset: a row whose recipient has any email preference other than
    the default or quiet hours, or whose address has a suppression entry. Only these rows pay
    for preferences.send_time_stop's own queries; for all others it would
    find no preference row and no suppression entry.
    """
    user_ids = {row.recipient_id for row in rows if row.recipient_id}
    configured = set(
        Preference.objects.filter(user_id__in=user_ids, channel=Preference.Channel.EMAIL)
        .exclude(mode=preferences.DEFAULT_MODE)
        .values_list("user_id", flat=True)
    ) | set(QuietHours.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True))
    addresses = {row.pk: {normalize_address(a) for a in row_addresses(row)} for row in rows}
    suppressed = set(
        Suppression.objects.annotate(lower=Lower("address"))
        .filter(lower__in=set().union(*addresses.values()) - {""})
        .values_list("lower", flat=True)
    )
    return {
        row.pk for row in rows if row.recipient_id in configured or addresses[row.pk] & suppressed
    }


def _batch_contexts(rows: list[Notification]) -> dict[int, dict[str, Any] | Exception]:
    """Type contexts of the renderable rows, one get_contexts call per type and language.

    A type whose get_contexts fails as a whole gets no entry for its rows:
    each row then calls get_context on its own, so one bad row fails alone.
    """
    groups: dict[tuple[str, str], list[Notification]] = {}
    for row in rows:
        if row.kind != EMAIL_KIND and row.kind in registry and recipient_can_receive(row.recipient):
            groups.setdefault((row.kind, notification_language(row)), []).append(row)
    contexts: dict[int, dict[str, Any] | Exception] = {}
    for (kind_key, language), members in groups.items():
        try:
            with translation.override(language):
                contexts.update(registry.get(kind_key).get_contexts(notifications=members))
        except Exception:
            logger.exception("%s: loading the contexts of a batch failed", kind_key)
    return contexts


def _cancel(reason: str) -> transitions.Stop:
    return transitions.Stop(Status.CANCELLED, reason)


def prepare_batch(
    rows: list[Notification], *, report: BatchReport, log: AttemptLog
) -> list[PreparedMessage]:
    """The messages of the rows that may be sent; the others' outcomes go to `report`."""
    maybe_blocked = _maybe_blocked(rows)
    contexts = _batch_contexts(rows)
    prepared = []
    for row in rows:
        result = _prepare(
            row, check_blocks=row.pk in maybe_blocked, context=contexts.get(row.pk), log=log
        )
        if isinstance(result, PreparedMessage):
            prepared.append(result)
        else:
            report.add(row, result)
    return prepared


def _prepare(
    row: Notification,
    *,
    check_blocks: bool,
    context: dict[str, Any] | Exception | None,
    log: AttemptLog,
) -> PreparedMessage | Outcome:
    """One row's PreparedMessage, or the Outcome it ended with."""
    started = timezone.now()
    rendered = None
    if row.kind != EMAIL_KIND:
        try:
            kind = registry.get(row.kind)
        except UnknownNotificationType:
            failure = Failure(True, f"unknown notification type {row.kind!r}")
            return finish_failure(row, failure, started=started, log=log)
        if row.recipient is None or not getattr(row.recipient, "is_active", True):
            return finish_stop(row, _cancel(transitions.REASON_RECIPIENT_GONE))
        if not recipient_address(row.recipient):
            return finish_stop(row, _cancel(transitions.REASON_NO_ADDRESS))
        try:
            if isinstance(context, Exception):
                raise context
            rendered = render_notification(notification=row, kind=kind, context=context)
        except NotificationObsolete as obsolete:
            return finish_stop(row, _cancel(str(obsolete) or transitions.REASON_OBSOLETE))
        except Exception as error:
            logger.exception("notification %s: rendering failed", row.pk)
            failure = Failure(True, f"rendering failed: {type(error).__name__}: {error}"[:1000])
            return finish_failure(row, failure, started=started, log=log)
    address = send_address(row)
    addresses = row_addresses(row)
    left_out: dict[str, str] = {}
    if check_blocks and len(addresses) > 1:
        left_out = preferences.suppressed_addresses(
            addresses=addresses, transactional=row.transactional
        )
        if len(left_out) == len(set(addresses)):
            stop = transitions.Stop(Status.SUPPRESSED, _reason_all_suppressed(left_out))
            return finish_stop(row, stop)
    elif check_blocks:
        stop = preferences.send_time_stop(notification=row, address=address)
        if stop is not None:
            return finish_stop(row, stop, rendered=rendered, to_address=address)
    try:
        message = build_message(notification=row, to_address=address, rendered=rendered)
    except Exception as error:
        failure = Failure(True, f"building the message failed: {type(error).__name__}: {error}")
        return finish_failure(
            row, failure, started=started, log=log, rendered=rendered, to_address=address
        )
    if left_out:
        _leave_out(message, left_out)
    return PreparedMessage(
        row=row, message=message, to_address=address, rendered=rendered, left_out=left_out
    )


def _reason_all_suppressed(left_out: dict[str, str]) -> str:
    return "; ".join(
        f"{address}: {transitions.reason_suppressed(why)}" for address, why in left_out.items()
    )


def _leave_out(message: Any, left_out: dict[str, str]) -> None:
    """Take suppressed addresses off a message's To, Cc and Bcc (the others still get it)."""
    gone = {normalize_address(a) for a in left_out}
    for name in ("to", "cc", "bcc"):
        kept = [a for a in getattr(message, name) if normalize_address(parseaddr(a)[1]) not in gone]
        setattr(message, name, kept)
