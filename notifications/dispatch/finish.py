"""Recording what became of a claimed row: one guarded UPDATE and one attempt entry.

A lost lease (another worker took the row over) is logged by
``transitions.finish`` and changes nothing; the outcome is still what
happened here. Whatever the outcome, a typed row's rendered content (subject, bodies,
headers, the address and language it was rendered for) is stored by the same
UPDATE, so staff see exactly what was sent, or what failed.
"""

from __future__ import annotations

import logging
from datetime import datetime
from email.utils import getaddresses
from typing import Any

from django.utils import timezone

from .. import transitions
from ..models import DeliveryAttempt, Notification
from ..rendering import RenderedEmail
from . import watch
from .attempts import AttemptLog
from .outcomes import Outcome, PreparedMessage
from .policy import Failure, decide

logger = logging.getLogger(__name__)

Status = Notification.Status

_STOP_OUTCOMES = {
    Status.CANCELLED: Outcome.CANCELLED,
    Status.HELD: Outcome.HELD,
    Status.SUPPRESSED: Outcome.SUPPRESSED,
    Status.FAILED: Outcome.FAILED,
}


def _content(rendered: RenderedEmail | None, to_address: str) -> dict[str, Any]:
    if rendered is None:
        return {}
    return {
        "to_address": to_address[:254],
        "subject": rendered.subject,
        "body_text": rendered.body_text,
        "body_html": rendered.body_html,
        "headers": rendered.headers,
        "language": rendered.language,
    }


def _recipients(message: Any) -> list[str]:
    return [address for _, address in getaddresses(message.recipients())]


def finish_stop(
    row: Notification,
    stop: transitions.Stop,
    *,
    rendered: RenderedEmail | None = None,
    to_address: str = "",
) -> Outcome:
    """The row must not be sent (obsolete, preference, suppression): it ends
    `stop.status`, or waits until `stop.until` (quiet hours)."""
    if stop.until is not None:
        transitions.defer(row=row, until=stop.until, reason=stop.reason)
        watch.rearm()
        return Outcome.DEFERRED
    content = _content(rendered, to_address)
    transitions.finish(row=row, status=stop.status, reason=stop.reason, **content)
    return _STOP_OUTCOMES[stop.status]


def finish_failure(
    row: Notification,
    failure: Failure,
    *,
    started: datetime,
    log: AttemptLog,
    rendered: RenderedEmail | None = None,
    to_address: str = "",
) -> Outcome:
    """A try failed: queued again after the backoff, or failed for good."""
    decision = decide(failure=failure, attempts=row.attempts, now=timezone.now())
    attempt = (
        DeliveryAttempt.Outcome.RETRY
        if decision.outcome == Outcome.RETRY
        else DeliveryAttempt.Outcome.FAILED
    )
    log.record(row, attempt, started=started, error=failure.reason)
    fields = {"last_error": failure.reason, **_content(rendered, to_address)}
    if decision.next_attempt_at is not None:
        fields["next_attempt_at"] = decision.next_attempt_at
    transitions.finish(row=row, status=decision.status, reason=decision.reason, **fields)
    if decision.next_attempt_at is not None:
        watch.rearm()  # this process's watcher wakes a worker when the backoff ends
    return decision.outcome


def finish_sent(
    prepared: PreparedMessage,
    *,
    provider: str,
    message_id: str,
    started: datetime,
    log: AttemptLog,
) -> Outcome:
    """The server or ESP accepted the message."""
    row = prepared.row
    log.record(row, DeliveryAttempt.Outcome.SENT, started=started)
    fields = _content(prepared.rendered, prepared.to_address)
    if prepared.left_out:
        sent_to = {a: "sent" for a in _recipients(prepared.message) if a not in prepared.left_out}
        left_out = {a: transitions.reason_suppressed(why) for a, why in prepared.left_out.items()}
        fields["address_outcomes"] = {**sent_to, **left_out}
    transitions.finish(
        row=row,
        status=Status.SENT,
        last_error="",
        sent_at=timezone.now(),
        provider=provider,
        provider_message_id=message_id[:255],
        **fields,
    )
    return Outcome.SENT
