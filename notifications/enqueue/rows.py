"""The one row builder: every outbox row is made here.

Whatever creates a row (a typed event, a coalescing burst, a message given to
Django's mail API, the daily digest, staff resending one) describes it to
`build_row`, which derives what follows from the type and the recipient (the
category, whether it is transactional, the address, the language) in one
place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from ..models import EMAIL_KIND, Notification
from ..recipients import recipient_address, recipient_language
from ..transitions import REASON_MAX
from ..types import registry

Status = Notification.Status

__all__ = ["EMAIL_KIND", "build_row"]


def build_row(
    *,
    kind: str,
    recipient: Any | None,
    params: dict[str, Any] | None = None,
    to_address: str | None = None,
    dedupe_key: str | None = None,
    group_key: str = "",
    due: datetime | None = None,
    hold_reason: str | None = None,
    wait_reason: str = "",
    **content: Any,
) -> Notification:
    """An unsaved outbox row of `kind` for `recipient`.

    A registered type gives the category and the transactional flag; a
    message given to Django's mail API (kind "email") is transactional and
    has no category. The address is the recipient's unless `to_address`
    says otherwise; the language is the recipient's. A `hold_reason` stores
    the row held for the daily digest instead of queued; a `wait_reason`
    says why a queued row is not due until `due` (staff read it in the
    outbox). `content` holds stored content (subject, bodies, a serialised
    message).
    """
    if kind == EMAIL_KIND:
        category, transactional = "", True
    else:
        kind_type = registry.get(kind)
        category = kind_type.category.key
        transactional = kind_type.category.transactional
    return Notification(
        kind=kind,
        category=category,
        transactional=transactional,
        recipient=recipient,
        to_address=(to_address if to_address is not None else recipient_address(recipient))[:254],
        params=dict(params or {}),
        dedupe_key=dedupe_key,
        group_key=group_key,
        language=recipient_language(recipient) if recipient is not None else "",
        next_attempt_at=due or timezone.now(),
        status=Status.HELD if hold_reason else Status.QUEUED,
        status_reason=(hold_reason or wait_reason)[:REASON_MAX],
        **content,
    )
