"""Recipient control: preferences and whether a notification may be sent now."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Notification


def delivery_block_reason(*, notification: Notification) -> tuple[str, str] | None:
    """Why `notification` must not be sent now, as (status, reason), or None.

    Called by the worker right before sending. status is Notification.Status
    CANCELLED (e.g. the category is off) or SUPPRESSED (the address bounced).
    """
    return None
