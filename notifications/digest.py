"""The daily digest: one email a day summarising what was held for a recipient.

A notification is *held* (status ``held``) instead of queued when its
recipient gets its category by digest, or has reached the hourly ceiling
(see ``preferences.enqueue_hold_reason``); a queued row whose recipient has
switched to the digest since is held by the worker right before sending.

Once a day, at ``DIGEST_HOUR`` in each recipient's own time zone,
``digests_send`` writes one ``digest`` row per recipient with held rows. The
held rows it folds in are cancelled with the reason "included in digest
#<id>" in the same transaction, and the digest row goes through the outbox
like any other email. Its
dedupe key ``digest:<user id>:<their date>`` makes the job idempotent: run
every few minutes, it sends each person one digest a day.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import transitions
from .conf import conf
from .enqueue.rows import build_row
from .enqueue.wakeup import wake_on_commit
from .models import Notification
from .preferences import DIGEST_CATEGORY, Mode, digest_for_the_excess, preference_mode
from .recipients import recipient_address, recipient_timezone
from .rendering import render_subject
from .timing import digest_day
from .types import (
    Category,
    NotificationObsolete,
    NotificationType,
    UnknownNotificationType,
    register,
    registry,
)

logger = logging.getLogger(__name__)

Status = Notification.Status
DIGEST = Category(DIGEST_CATEGORY, _("Daily digest"))


@register
class Digest(NotificationType):
    """Everything held for one recipient, listed in one email."""

    key = "digest"
    category = DIGEST
    template_prefix = "notifications/email/digest"

    def get_context(self, *, notification: Notification) -> dict[str, Any]:
        ids = [int(pk) for pk in notification.params.get("notification_ids", [])]
        rows = (
            Notification.objects.filter(pk__in=ids)
            .select_related("recipient")
            .order_by("created_at", "id")
        )
        # The lines are each row's subject, rendered here, so in the
        # recipient's time zone as their own emails would be (the worker
        # renders under the language of the batch, not the zone).
        with timezone.override(recipient_timezone(notification.recipient)):
            sections = digest_sections(rows=list(rows), recipient_id=notification.recipient_id)
        if not sections:
            raise NotificationObsolete("nothing left to include in the digest")
        return digest_context(sections=sections)

    def sample_context(self) -> dict[str, Any]:
        sections = []
        for kind in registry.all():
            context = kind.sample_context() if kind.key != self.key else None
            if context is None:
                continue
            try:
                subject = _subject(kind, context)
            except Exception:  # a preview must not fail because of another type
                logger.warning("digest preview: %s subject failed", kind.key, exc_info=True)
                continue
            sections.append(
                {"label": kind.category.label, "items": [{"text": subject, "count": 1}]}
            )
        return digest_context(sections=sections)


def digest_context(*, sections: list[dict[str, Any]]) -> dict[str, Any]:
    count = sum(item["count"] for section in sections for item in section["items"])
    return {"sections": sections, "count": count}


def _subject(kind: NotificationType, context: dict[str, Any], recipient: Any = None) -> str:
    full = {
        "site_url": conf.SITE_URL,
        "site_name": conf.SITE_NAME,
        "recipient": recipient,
        "category": kind.category,
    }
    return render_subject(kind, {**full, **context})


def digest_sections(*, rows: list[Notification], recipient_id: int | None) -> list[dict[str, Any]]:
    """The digest's content: per category (in order of first appearance), the
    one-line subject of every row still worth mentioning, with how many rows
    had that same line.

    Rendered in the active language. A row is left out when its category was
    turned off since, its type is gone, or its event was undone
    (NotificationObsolete).
    """
    sections: dict[str, dict[str, Any]] = {}
    modes: dict[str, str] = {}
    for row in rows:
        try:
            kind = registry.get(row.kind)
        except UnknownNotificationType:
            continue
        if recipient_id is not None and row.category not in modes:
            modes[row.category] = preference_mode(user_id=recipient_id, category=row.category)
        if modes.get(row.category) == Mode.OFF:
            continue
        try:
            subject = _subject(kind, kind.get_context(notification=row), row.recipient)
        except NotificationObsolete:
            continue
        section = sections.setdefault(
            kind.category.key, {"label": kind.category.label, "items": []}
        )
        for item in section["items"]:
            if item["text"] == subject:  # the same line again: counted, not repeated
                item["count"] += 1
                break
        else:
            section["items"].append({"text": subject, "count": 1})
    return list(sections.values())


def digest_dedupe_key(*, user_id: int, day: date) -> str:
    return f"digest:{user_id}:{day.isoformat()}"


def digest_create(*, user: Any, day: date) -> Notification | None:
    """Fold everything held for `user` into one digest row for `day`.

    Returns the new queued row, or None when nothing is held, the user has no
    address, or `day`'s digest already exists. The held rows become
    ``cancelled`` ("included in digest #<id>") in the same transaction; held
    rows of a category the user has turned off since are cancelled for that,
    and so are the rows the hourly limit held when the user has turned the
    digest off.
    """
    if not recipient_address(user):
        return None
    dedupe_key = digest_dedupe_key(user_id=user.pk, day=day)
    with transaction.atomic():
        if Notification.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        rows = list(
            Notification.objects.select_for_update()
            .filter(recipient=user, status=Status.HELD)
            .order_by("created_at", "id")
            .values_list("id", "category", "status_reason")
        )
        turned_off = {
            category
            for category in {category for _, category, _ in rows}
            if category and preference_mode(user_id=user.pk, category=category) == Mode.OFF
        }
        for category in turned_off:
            transitions.cancel_held(
                recipient_id=user.pk,
                category=category,
                reason=transitions.reason_category_off(category),
            )
        excess_wanted = digest_for_the_excess(user_id=user.pk)
        if not excess_wanted:
            transitions.cancel_held(
                recipient_id=user.pk, reason=transitions.REASON_DIGEST_OFF, over_limit_only=True
            )
        held = [
            pk
            for pk, category, reason in rows
            if category not in turned_off
            and (excess_wanted or not reason.startswith(transitions.HELD_BY_LIMIT))
        ]
        if not held:
            return None
        digest = build_row(
            kind=Digest.key,
            recipient=user,
            params={"notification_ids": held, "date": day.isoformat()},
            dedupe_key=dedupe_key,
        )
        try:
            with transaction.atomic():
                digest.save(force_insert=True)
        except IntegrityError:  # another run made today's digest just now
            return None
        transitions.fold_into_digest(ids=held, digest_id=digest.pk)
    wake_on_commit()
    return digest


def digests_send(*, now: datetime | None = None) -> int:
    """Write the digest of every recipient with held notifications whose own
    digest hour has come (DIGEST_HOUR in their time zone), for their own day.

    Run several times an hour (DIGEST_CHECK_MINUTES): each person gets at
    most one digest per day of their own calendar, within their digest hour.
    Held rows whose recipient was deleted are cancelled. Returns the number
    of digests written.
    """
    now = now or timezone.now()
    transitions.cancel_held(recipient_id=None, reason=transitions.REASON_RECIPIENT_GONE)
    user_ids = (
        Notification.objects.filter(status=Status.HELD)
        .values_list("recipient_id", flat=True)
        .distinct()
        .order_by("recipient_id")
    )
    written = 0
    for user in get_user_model()._default_manager.filter(pk__in=list(user_ids)):
        day = digest_day(user=user, now=now)
        if day is None:
            continue  # their hour has not come yet today
        try:
            if digest_create(user=user, day=day) is not None:
                written += 1
        except Exception:  # one person's failure must not stop everyone's digest
            logger.exception("daily digest for user %s failed", user.pk)
    return written
