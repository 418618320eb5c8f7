"""Writes to the outbox. Every status change of a row goes through here.

The lifecycle of a row (see docs/notifications.md)::

    queued ──claim──▶ sending ──▶ sent
      ▲                  │ ├───▶ failed      (permanent error, or out of attempts)
      │                  │ ├───▶ cancelled   (obsolete, recipient gone, preference)
      └──transient error─┘ └───▶ suppressed  (address suppressed)
      └──lease expired───┘

A transition is one conditional UPDATE (``WHERE status = <expected>``), so two
workers, or a worker and a web request, can never both win.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, mailers
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation

from . import preferences
from .conf import conf
from .delivery import Failure, classify_failure
from .models import DeliveryAttempt, Heartbeat, Notification, WakeUp
from .rendering import (
    EMAIL_KIND,
    build_message,
    message_id_of,
    notification_language,
    render_notification,
    serialize_message,
)
from .types import NotificationObsolete, UnknownNotificationType, registry

logger = logging.getLogger(__name__)

Status = Notification.Status
DELIVER_TASK = "notifications.tasks.deliver_due"


# --- waking the workers ------------------------------------------------------


def notifications_wake(*, helper: bool = False) -> bool:
    """Ask the task queue to run deliver_due now. Never raises.

    When the broker is unreachable the rows stay queued in the database and
    the periodic sweep wakes a worker for them later. A `helper` task only
    drains the backlog beside the task that woke it (it wakes no others).
    """
    from django_q.tasks import async_task

    kwargs = {"spread": False} if helper else {}
    try:
        async_task(
            DELIVER_TASK, task_name="notifications.deliver_due", group=conf.TASK_GROUP, **kwargs
        )
    except Exception:
        logger.exception("could not wake notification workers; the sweep will deliver later")
        return False
    return True


# The one row of WakeUp.
WAKE_UP_ID = 1


def _wake_ups_coalesce() -> bool:
    """Whether commits share a pending wake-up instead of enqueueing one each.

    With django-q2's ORM broker every wake-up is an INSERT (and a commit)
    into its queue table, paid by the request that committed the event; a
    Redis push is cheap, and each commit keeps its own.
    """
    from django_q.conf import Conf

    return bool(Conf.ORM) and not Conf.BROKER_CLASS


def notifications_wake_after_commit() -> bool:
    """Wake the workers for rows this process has just committed. Never raises.

    When a wake-up is already pending (set by an earlier commit, not yet
    cleared by the deliver_due it enqueued) no task is added: that
    deliver_due clears the flag only after this check and claims only after
    clearing it, so it sees these rows. Only the commit that sets the flag
    enqueues. If the task holding the flag is lost before it runs, later
    commits wait for the periodic sweep, whose task clears the flag.
    """
    if not _wake_ups_coalesce():
        return notifications_wake()
    try:
        flag = WakeUp.objects.filter(pk=WAKE_UP_ID)
        pending = flag.values_list("pending", flat=True).first()
        if pending:
            return True
        if pending is None:
            WakeUp.objects.get_or_create(pk=WAKE_UP_ID)
        if not flag.filter(pending=False).update(pending=True, updated_at=timezone.now()):
            return True  # another commit set it after our read: its task comes later
    except Exception:
        logger.exception("could not read the wake-up flag; waking the workers anyway")
        return notifications_wake()
    if notifications_wake():
        return True
    notifications_wake_pending_clear()  # so that the next commit tries the broker again
    return False


def notifications_wake_pending_clear() -> None:
    """Forget the pending wake-up: deliver_due calls this before it claims."""
    if _wake_ups_coalesce():
        WakeUp.objects.filter(pk=WAKE_UP_ID, pending=True).update(
            pending=False, updated_at=timezone.now()
        )


def notifications_wake_on_commit() -> None:
    """Wake the workers once the current transaction commits (once per transaction)."""
    db = transaction.get_connection()
    if db.in_atomic_block and any(
        callback is notifications_wake_after_commit for _, callback, *_ in db.run_on_commit
    ):
        return
    transaction.on_commit(notifications_wake_after_commit)


# --- creating rows -----------------------------------------------------------


def _group_key(kind: str, recipient_id: int) -> str:
    return f"{kind}:{recipient_id}"


def notification_enqueue(
    *,
    kind: str,
    recipient: Any,
    params: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    actor_id: int | None = None,
    send_at: datetime | None = None,
) -> Notification | None:
    """Write an outbox row for `recipient` in the current transaction.

    No rendering and no network I/O happen here: the worker does both after
    commit. Returns the row (possibly an existing one the event was merged
    into), or None when nothing needs sending (duplicate `dedupe_key`, no
    address, NOTIFICATIONS["ENABLED"] off). For coalescing types `actor_id`
    names who caused the event.

    A new row is stored `held` for the daily digest, not queued, when the
    recipient gets its category by digest or has reached the hourly ceiling.
    """
    if not conf.ENABLED:
        return None
    kind_type = registry.get(kind)
    address = (getattr(recipient, "email", "") or "").strip()
    if not address:
        return None
    params = dict(params or {})
    if kind_type.coalesce:
        if actor_id is None:
            raise ValueError(f"{kind!r} coalesces events and needs an actor_id")
        row = _coalesce(kind=kind, recipient=recipient, actor_id=actor_id, params=params)
    else:
        hold = preferences.enqueue_hold_reason(recipient=recipient, category=kind_type.category)
        if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        try:
            with transaction.atomic():
                row = Notification.objects.create(
                    kind=kind,
                    category=kind_type.category.key,
                    transactional=kind_type.category.transactional,
                    recipient=recipient,
                    to_address=address,
                    params=params,
                    dedupe_key=dedupe_key,
                    language=getattr(recipient, "language", "") or "",
                    next_attempt_at=send_at or timezone.now(),
                    status=Status.HELD if hold else Status.QUEUED,
                    status_reason=(hold or "")[:255],
                )
        except IntegrityError:
            if dedupe_key:  # a concurrent request stored the same event
                return None
            raise
    if row.status == Status.QUEUED:
        notifications_wake_on_commit()
    return row


# What _coalesce reads of the recipient's recent rows.
_RECENT_FIELDS = (
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


def _recent_rows(*, recipient_id: int, group_key: str, now: datetime) -> list[Notification]:
    """In one query, the recipient's rows _coalesce and the hourly ceiling look at.

    Newest first: the pending rows and the rows within COALESCE_WINDOW of the
    group, and (when HOURLY_LIMIT is set) the rows recent_email_count counts.
    """
    window_start = now - timedelta(seconds=conf.COALESCE_WINDOW)
    wanted = Q(group_key=group_key) & (
        Q(status=Status.QUEUED, attempts=0)
        | (Q(created_at__gte=window_start) & ~Q(status=Status.CANCELLED))
    )
    if conf.HOURLY_LIMIT:
        wanted |= preferences.recent_email_filter(now=now)
    return list(
        Notification.objects.filter(wanted, recipient_id=recipient_id)
        .only(*_RECENT_FIELDS)
        .order_by("-created_at", "-id")
    )


def _coalesce(*, kind: str, recipient: Any, actor_id: int, params: dict[str, Any]) -> Notification:
    """Merge `actor_id` into the recipient's pending row of `kind`, or start one.

    Pending means queued and never attempted: once a worker claimed a row its
    content is fixed. The first event of a burst is due at once; later ones
    wait in one row until COALESCE_WINDOW after the previous email. A new row
    is stored held when preferences.enqueue_hold_reason says so.
    """
    group_key = _group_key(kind, recipient.pk)
    kind_type = registry.get(kind)
    window = timedelta(seconds=conf.COALESCE_WINDOW)
    for _ in range(5):
        now = timezone.now()
        recent = _recent_rows(recipient_id=recipient.pk, group_key=group_key, now=now)
        group = [r for r in recent if r.group_key == group_key]
        pending = next((r for r in group if r.status == Status.QUEUED and r.attempts == 0), None)
        if pending is None:
            break
        actors = list(pending.params.get("actor_ids", []))
        if actor_id in actors:
            return pending
        merged = {**pending.params, "actor_ids": [*actors, actor_id]}
        # The version check (updated_at) makes a concurrent merge retry instead
        # of losing an actor; the status check loses to a worker's claim.
        won = Notification.objects.filter(
            pk=pending.pk, status=Status.QUEUED, attempts=0, updated_at=pending.updated_at
        ).update(params=merged, updated_at=now)
        if won:
            pending.params = merged
            return pending
    previous = next(
        (r for r in group if r.created_at >= now - window and r.status != Status.CANCELLED),
        None,
    )
    due = max(now, previous.created_at + window) if previous else now
    count = None
    if conf.HOURLY_LIMIT:
        count = sum(1 for r in recent if preferences.counts_as_recent_email(r, now=now))
    hold = preferences.enqueue_hold_reason(
        recipient=recipient, category=kind_type.category, recent_count=count
    )
    return Notification.objects.create(
        kind=kind,
        category=kind_type.category.key,
        transactional=kind_type.category.transactional,
        recipient=recipient,
        to_address=recipient.email,
        params={**params, "actor_ids": [actor_id]},
        group_key=group_key,
        language=getattr(recipient, "language", "") or "",
        next_attempt_at=due,
        status=Status.HELD if hold else Status.QUEUED,
        status_reason=(hold or "")[:255],
    )


def notification_withdraw_actor(*, kind: str, recipient_id: int, actor_id: int) -> int:
    """Remove `actor_id` from the recipient's pending rows of `kind`.

    A row left with no actor is cancelled. Rows already claimed are left
    alone: the type's get_context re-checks the event at send time.
    Returns the number of rows changed.
    """
    changed = 0
    with transaction.atomic():
        rows = Notification.objects.select_for_update().filter(
            group_key=_group_key(kind, recipient_id), status=Status.QUEUED, attempts=0
        )
        for row in rows:
            actors = list(row.params.get("actor_ids", []))
            if actor_id not in actors:
                continue
            remaining = [a for a in actors if a != actor_id]
            guard = Notification.objects.filter(pk=row.pk, status=Status.QUEUED, attempts=0)
            if remaining:
                changed += guard.update(
                    params={**row.params, "actor_ids": remaining}, updated_at=timezone.now()
                )
            else:
                changed += guard.update(
                    status=Status.CANCELLED,
                    status_reason="withdrawn: the event was undone before sending",
                    updated_at=timezone.now(),
                )
    return changed


def notification_store_message(*, message: EmailMessage) -> Notification:
    """Store a message given to Django's mail API as one transactional row."""
    recipients = [str(a) for a in message.recipients()]
    recipient = None
    if len(recipients) == 1:
        from email.utils import parseaddr

        address = parseaddr(recipients[0])[1]
        recipient = get_user_model().objects.filter(email__iexact=address).first()
    row = Notification.objects.create(
        kind=EMAIL_KIND,
        category="",
        transactional=True,
        recipient=recipient,
        to_address=", ".join(recipients)[:254],
        message=serialize_message(message),
        subject=str(message.subject)[:1000],
        body_text=str(message.body),
    )
    notifications_wake_on_commit()
    return row


# --- claiming ---------------------------------------------------------------


def notifications_claim_due(*, limit: int, worker: str) -> list[Notification]:
    """Move up to `limit` due rows from queued to sending, under a lease.

    Atomic across processes: on PostgreSQL the candidates are locked with
    SKIP LOCKED; elsewhere one conditional UPDATE tags them with this claim's
    token and only the rows the UPDATE changed are returned.
    """
    now = timezone.now()
    token = f"{worker[:40]}:{uuid.uuid4().hex[:16]}"
    lease = now + timedelta(seconds=conf.LEASE_SECONDS)
    due = Notification.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now).order_by(
        "next_attempt_at", "id"
    )
    changes = {
        "status": Status.SENDING,
        "claimed_by": token,
        "lease_expires_at": lease,
        "updated_at": now,
    }
    from django.db.models import F

    with transaction.atomic():
        if connection.vendor == "postgresql":
            ids = list(due.select_for_update(skip_locked=True).values_list("id", flat=True)[:limit])
        else:
            ids = list(due.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        Notification.objects.filter(id__in=ids, status=Status.QUEUED).update(
            attempts=F("attempts") + 1, **changes
        )
    return list(
        Notification.objects.select_related("recipient")
        .filter(claimed_by=token, status=Status.SENDING)
        .order_by("next_attempt_at", "id")
    )


def notifications_release_expired_leases() -> int:
    """Return rows whose worker died mid-send to queued (or failed when out of tries)."""
    now = timezone.now()
    expired = Notification.objects.filter(status=Status.SENDING, lease_expires_at__lt=now)
    exhausted = expired.filter(attempts__gte=conf.MAX_ATTEMPTS).update(
        status=Status.FAILED,
        status_reason="gave up: the worker stopped while sending, too many times",
        claimed_by="",
        lease_expires_at=None,
        updated_at=now,
    )
    released = expired.filter(attempts__lt=conf.MAX_ATTEMPTS).update(
        status=Status.QUEUED,
        claimed_by="",
        lease_expires_at=None,
        next_attempt_at=now,
        updated_at=now,
    )
    if released or exhausted:
        logger.warning("released %d expired lease(s), failed %d", released, exhausted)
    return released


# --- sending ------------------------------------------------------------------


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    outcomes: dict[int, str] = field(default_factory=dict)


# The rendered content a worker stores on a typed row: written with the row's
# outcome (one UPDATE per row), not in a write of its own.
RENDERED_FIELDS = ("to_address", "subject", "body_text", "body_html", "headers", "language")


def _finish(row: Notification, **changes: Any) -> bool:
    """Move a row this worker claimed out of sending; False if the lease was lost.

    A row rendered by _prepare has its rendered content stored by the same
    UPDATE.
    """
    now = timezone.now()
    if getattr(row, "_rendered", False):
        changes = {**{name: getattr(row, name) for name in RENDERED_FIELDS}, **changes}
    won = Notification.objects.filter(
        pk=row.pk, status=Status.SENDING, claimed_by=row.claimed_by
    ).update(claimed_by="", lease_expires_at=None, updated_at=now, **changes)
    if not won:
        logger.warning("notification %s: lease lost before the outcome was recorded", row.pk)
    return bool(won)


def backoff_delay(attempt: int) -> float:
    """Seconds to wait after failed try number `attempt` (1-based), with jitter."""
    delay = min(conf.BACKOFF_CAP, conf.BACKOFF_BASE * 2 ** max(attempt - 1, 0))
    jitter = conf.BACKOFF_JITTER
    return delay * random.uniform(1 - jitter, 1 + jitter)


class AttemptLog(list[DeliveryAttempt]):
    """DeliveryAttempt rows of one batch, written together by flush().

    The attempt log is history, not state: a row's status is still changed
    by its own conditional UPDATE right after each send, so a worker killed
    mid-batch still resends at most the one email on the wire; what it loses
    is the attempt entries of that batch.
    """

    def flush(self) -> None:
        if self:
            DeliveryAttempt.objects.bulk_create(self)
            self.clear()


def _record_attempt(
    row: Notification,
    outcome: str,
    started: datetime,
    error: str = "",
    log: AttemptLog | None = None,
) -> None:
    duration = max(0, int((timezone.now() - started).total_seconds() * 1000))
    attempt = DeliveryAttempt(
        notification_id=row.pk,
        started_at=started,
        duration_ms=duration,
        outcome=outcome,
        error=error,
    )
    if log is None:
        attempt.save()
    else:
        log.append(attempt)


def _record_failure(
    row: Notification, failure: Failure, started: datetime, log: AttemptLog | None = None
) -> str:
    if failure.permanent:
        _record_attempt(row, DeliveryAttempt.Outcome.FAILED, started, failure.reason, log)
        _finish(
            row, status=Status.FAILED, status_reason=failure.reason[:255], last_error=failure.reason
        )
        return "failed"
    if row.attempts >= conf.MAX_ATTEMPTS:
        _record_attempt(row, DeliveryAttempt.Outcome.FAILED, started, failure.reason, log)
        reason = f"gave up after {row.attempts} attempts: {failure.reason}"
        _finish(row, status=Status.FAILED, status_reason=reason[:255], last_error=failure.reason)
        return "failed"
    _record_attempt(row, DeliveryAttempt.Outcome.RETRY, started, failure.reason, log)
    _finish(
        row,
        status=Status.QUEUED,
        last_error=failure.reason,
        next_attempt_at=timezone.now() + timedelta(seconds=backoff_delay(row.attempts)),
    )
    return "retry"


def _stop(row: Notification, status: str, reason: str) -> str:
    _finish(row, status=status, status_reason=reason[:255])
    return status


def _maybe_blocked(rows: list[Notification]) -> set[int]:
    """Ids of the rows delivery_block_reason might stop, in two queries per batch.

    A superset: a row whose recipient has any preference other than the
    default, or whose address (as _prepare will send to it) has a suppression
    entry. Only these rows pay for delivery_block_reason's own queries; for
    all others it would find no preference row and no suppression entry.
    """
    from django.db.models.functions import Lower

    from .models import Preference, Suppression
    from .suppression import normalize_address

    user_ids = {row.recipient_id for row in rows if row.recipient_id}
    configured = set(
        Preference.objects.filter(user_id__in=user_ids)
        .exclude(mode=preferences.DEFAULT_MODE)
        .values_list("user_id", flat=True)
    )
    addresses = {row.pk: normalize_address(_send_address(row)) for row in rows}
    suppressed = set(
        Suppression.objects.annotate(lower=Lower("address"))
        .filter(lower__in={a for a in addresses.values() if a})
        .values_list("lower", flat=True)
    )
    return {
        row.pk for row in rows if row.recipient_id in configured or addresses[row.pk] in suppressed
    }


def _send_address(row: Notification) -> str:
    """The address _prepare checks: the recipient's current one for typed rows."""
    if row.kind != EMAIL_KIND and row.recipient is not None:
        return row.recipient.email or ""
    return row.to_address or ""


def _renderable(row: Notification) -> bool:
    """A typed row of a known type whose recipient can still get it."""
    if row.kind == EMAIL_KIND or row.kind not in registry:
        return False
    recipient = row.recipient
    return (
        recipient is not None
        and getattr(recipient, "is_active", True)
        and bool((recipient.email or "").strip())
    )


def _batch_contexts(rows: list[Notification]) -> dict[int, dict[str, Any] | Exception]:
    """Type contexts of the renderable rows, one get_contexts call per type and language.

    A type whose get_contexts fails as a whole gets no entry for its rows:
    _prepare then calls get_context row by row, so one bad row fails alone.
    """
    groups: dict[tuple[str, str], list[Notification]] = {}
    for row in rows:
        if _renderable(row):
            groups.setdefault((row.kind, notification_language(row)), []).append(row)
    contexts: dict[int, dict[str, Any] | Exception] = {}
    for (kind_key, language), members in groups.items():
        try:
            with translation.override(language):
                contexts.update(registry.get(kind_key).get_contexts(notifications=members))
        except Exception:
            logger.exception("%s: loading the contexts of a batch failed", kind_key)
    return contexts


def _prepare(
    row: Notification,
    *,
    check_blocks: bool = True,
    context: dict[str, Any] | Exception | None = None,
    log: AttemptLog | None = None,
) -> EmailMessage | str:
    """Render `row` and check it may still be sent: a message, or the final status.

    `check_blocks=False` skips delivery_block_reason for a row _maybe_blocked
    cleared. `context` is the row's entry from _batch_contexts, if any.
    """
    started = timezone.now()
    if row.kind != EMAIL_KIND:
        try:
            kind = registry.get(row.kind)
        except UnknownNotificationType:
            return _record_failure(
                row, Failure(True, f"unknown notification type {row.kind!r}"), started, log
            )
        recipient = row.recipient
        if recipient is None or not getattr(recipient, "is_active", True):
            return _stop(row, Status.CANCELLED, "the recipient no longer exists")
        if not (recipient.email or "").strip():
            return _stop(row, Status.CANCELLED, "the recipient has no email address")
        row.to_address = recipient.email
        try:
            if isinstance(context, Exception):
                raise context
            rendered = render_notification(notification=row, kind=kind, context=context)
        except NotificationObsolete as obsolete:
            return _stop(row, Status.CANCELLED, str(obsolete) or "obsolete")
        except Exception as error:
            logger.exception("notification %s: rendering failed", row.pk)
            failure = Failure(True, f"rendering failed: {type(error).__name__}: {error}"[:1000])
            return _record_failure(row, failure, started, log)
        row.subject = rendered.subject
        row.body_text = rendered.body_text
        row.body_html = rendered.body_html
        row.headers = rendered.headers
        row.language = rendered.language
        row._rendered = True  # stored by _finish together with the outcome
    blocked = preferences.delivery_block_reason(notification=row) if check_blocks else None
    if blocked:
        status, reason = blocked
        return _stop(row, status, reason)
    try:
        return build_message(notification=row)
    except Exception as error:
        failure = Failure(True, f"building the message failed: {type(error).__name__}: {error}")
        return _record_failure(row, failure, started, log)


def _provider_name(mailer: Any) -> str:
    return str(getattr(mailer, "esp_name", "") or "smtp").lower()[:50]


def _renew_leases(rows: list[Notification]) -> set[int]:
    """Extend this claim's lease on `rows`; return the ids still held.

    A row whose lease ran out may already be back in the queue or claimed by
    another worker: it must not be sent from here as well.
    """
    now = timezone.now()
    tokens = {row.claimed_by for row in rows}
    mine = Notification.objects.filter(
        pk__in=[row.pk for row in rows], status=Status.SENDING, claimed_by__in=tokens
    )
    mine.update(lease_expires_at=now + timedelta(seconds=conf.LEASE_SECONDS), updated_at=now)
    return set(mine.values_list("pk", flat=True))


def notifications_send(*, notifications: list[Notification]) -> SendReport:
    """Send rows claimed by notifications_claim_due over one mailer connection.

    A slow batch (a stalling server) renews its lease before half of it has
    run out, so the sweep never hands a row this worker still holds to another.
    """
    log = AttemptLog()
    try:
        return _send_batch(notifications, log)
    finally:
        log.flush()


def _send_batch(notifications: list[Notification], log: AttemptLog) -> SendReport:
    report = SendReport()
    prepared: list[tuple[Notification, EmailMessage]] = []
    maybe_blocked = _maybe_blocked(notifications)
    contexts = _batch_contexts(notifications)
    for row in notifications:
        outcome = _prepare(
            row, check_blocks=row.pk in maybe_blocked, context=contexts.get(row.pk), log=log
        )
        if isinstance(outcome, str):
            report.outcomes[row.pk] = outcome
            if outcome == "failed":
                report.failed += 1
            else:
                report.skipped += 1
        else:
            prepared.append((row, outcome))
    if not prepared:
        return report

    mailer = mailers[conf.DELIVERY_MAILER]
    provider = _provider_name(mailer)
    is_open = False
    down: Failure | None = None  # the server refused a connection: skip the rest
    half_lease = timedelta(seconds=conf.LEASE_SECONDS / 2)
    leases = [row.lease_expires_at for row, _ in prepared if row.lease_expires_at]
    renew_at = min(leases) - half_lease if leases else None
    held: set[int] | None = None  # ids still under this claim's lease, once renewed
    try:
        for index, (row, message) in enumerate(prepared):
            if renew_at is not None and timezone.now() >= renew_at:
                held = _renew_leases([r for r, _ in prepared[index:]])
                renew_at = timezone.now() + half_lease
            if held is not None and row.pk not in held:
                report.outcomes[row.pk] = "lease lost"
                report.skipped += 1
                continue
            started = timezone.now()
            clock = time.monotonic()
            if down is not None:
                outcome = _record_failure(row, down, started, log)
            else:
                try:
                    if not is_open:
                        try:
                            mailer.open()
                        except Exception as error:
                            down = classify_failure(error)
                            raise
                        is_open = True
                    if not mailer.send_messages([message]):
                        raise RuntimeError("the mailer accepted no message")
                except Exception as error:
                    failure = down or classify_failure(error)
                    if failure.connection_lost and is_open:
                        mailer.close()
                        is_open = False
                    outcome = _record_failure(row, failure, started, log)
                else:
                    message_id = message_id_of(message)[:255]
                    _record_attempt(row, DeliveryAttempt.Outcome.SENT, started, log=log)
                    _finish(
                        row,
                        status=Status.SENT,
                        status_reason="",
                        last_error="",
                        sent_at=timezone.now(),
                        provider=provider,
                        provider_message_id=message_id,
                    )
                    outcome = "sent"
                    logger.info(
                        "notification %s sent in %.0f ms", row.pk, (time.monotonic() - clock) * 1000
                    )
            report.outcomes[row.pk] = outcome
            if outcome == "sent":
                report.sent += 1
            elif outcome == "retry":
                report.retried += 1
            else:
                report.failed += 1
    finally:
        if is_open:
            try:
                mailer.close()
            except Exception:
                logger.warning("closing the delivery mailer failed", exc_info=True)
    return report


# --- staff actions -----------------------------------------------------------

RETRYABLE = (Status.FAILED, Status.CANCELLED, Status.SUPPRESSED, Status.QUEUED, Status.HELD)
CANCELLABLE = (Status.QUEUED, Status.HELD)


def notification_retry_now(*, notification: Notification) -> bool:
    """Queue a row for an immediate new try (attempts start over for a finished row)."""
    now = timezone.now()
    changes: dict[str, Any] = {
        "status": Status.QUEUED,
        "next_attempt_at": now,
        "status_reason": "",
        "updated_at": now,
    }
    if notification.status != Status.QUEUED:
        changes["attempts"] = 0
    won = Notification.objects.filter(pk=notification.pk, status__in=RETRYABLE).update(**changes)
    if won:
        notifications_wake_on_commit()
    return bool(won)


def notification_cancel(*, notification: Notification, reason: str = "cancelled by staff") -> bool:
    """Cancel a row that has not been claimed yet."""
    won = Notification.objects.filter(pk=notification.pk, status__in=CANCELLABLE).update(
        status=Status.CANCELLED, status_reason=reason[:255], updated_at=timezone.now()
    )
    return bool(won)


def notification_resend(*, notification: Notification) -> Notification:
    """A new queued row with the same content (the original is left as it is)."""
    row = Notification.objects.create(
        kind=notification.kind,
        category=notification.category,
        transactional=notification.transactional,
        recipient_id=notification.recipient_id,
        to_address=notification.to_address,
        params=notification.params,
        message=notification.message,
        language=notification.language,
        subject=notification.subject,
        body_text=notification.body_text,
    )
    notifications_wake_on_commit()
    return row


def notifications_purge(*, older_than: timedelta) -> int:
    """Delete finished rows (sent, failed, cancelled, suppressed) older than `older_than`."""
    cutoff = timezone.now() - older_than
    finished = (Status.SENT, Status.FAILED, Status.CANCELLED, Status.SUPPRESSED)
    deleted, _ = Notification.objects.filter(
        Q(status__in=finished) & Q(updated_at__lt=cutoff)
    ).delete()
    return deleted


def heartbeat_record(*, name: str) -> Heartbeat:
    heartbeat, _ = Heartbeat.objects.update_or_create(
        name=name, defaults={"seen_at": timezone.now()}
    )
    return heartbeat
