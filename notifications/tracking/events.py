"""Provider events about sent mail: recorded once, linked, acted upon.

Anymail normalises every ESP's webhook into an AnymailTrackingEvent; this
module stores it (idempotent on the event id, since ESPs redeliver), links it
to the outbox row that carried the message, keeps the row's delivery_status
current and puts undeliverable or unwilling addresses on the suppression list.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from email.utils import getaddresses
from typing import Any

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from django.db import transaction
from django.utils import timezone

from ..models import Notification, Suppression, TrackingEvent
from ..providers import esp_named
from ..suppression import normalize_address, suppression_add

logger = logging.getLogger(__name__)

# How far along an event puts a message. delivery_status only moves forward,
# so a late "delivered" does not hide an earlier complaint. Engagement events
# (opened, clicked) say nothing new about delivery and are only recorded.
_PROGRESS = {
    EventType.QUEUED: 1,
    EventType.SENT: 1,
    EventType.DEFERRED: 2,
    EventType.AUTORESPONDED: 3,
    EventType.DELIVERED: 3,
    EventType.FAILED: 4,
    EventType.REJECTED: 4,
    EventType.BOUNCED: 4,
    EventType.UNSUBSCRIBED: 5,
    EventType.COMPLAINED: 6,
}

# Rejections the ESP made because of the address itself (it bounced before,
# it is malformed, the person complained or unsubscribed there): permanent.
_PERMANENT_REJECTIONS = {
    RejectReason.BOUNCED: Suppression.Reason.BOUNCED,
    RejectReason.INVALID: Suppression.Reason.BOUNCED,
    RejectReason.SPAM: Suppression.Reason.COMPLAINED,
    RejectReason.UNSUBSCRIBED: Suppression.Reason.UNSUBSCRIBED,
}

# Fields of an ESP's raw event that change from one delivery of the same
# event to the next (signature data), left out of an id derived from it.
_PER_DELIVERY_FIELDS = {
    "mailgun": {"token", "signature", "timestamp"},  # legacy form posts
    "unisender_go": {"auth"},
}


def event_id_for(*, event: AnymailTrackingEvent, esp_name: str) -> str:
    """What identifies an event across redeliveries: the ESP's id, or one derived from it.

    The ESP's own event id where it gives one that stays the same when the
    event is delivered again (for Mailgun its event-data id with the event's
    time, not the signature token Anymail reports, which is new on every
    delivery); otherwise a hash of the event's content without its
    signature data.
    """
    esp = _esp_key(esp_name)
    provider_id = _provider_event_id(event, esp)
    if provider_id:
        if esp == "amazon_ses" and event.recipient:
            # Anymail splits one SES notification into an event per recipient,
            # all carrying the notification's id.
            return f"{provider_id}:{event.recipient.lower()}"[:255]
        return provider_id[:255]
    raw = _jsonable(event.esp_event)
    if isinstance(raw, dict):
        dropped = _PER_DELIVERY_FIELDS.get(esp, set())
        raw = {key: value for key, value in raw.items() if key not in dropped}
    content = json.dumps(
        [esp, event.event_type or "", (event.recipient or "").lower(), raw],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return f"derived:{hashlib.sha256(content.encode()).hexdigest()}"


def _esp_key(esp_name: str) -> str:
    esp = esp_named(esp_name)
    return esp.key if esp is not None else esp_name.lower()


def _provider_event_id(event: AnymailTrackingEvent, esp: str) -> str | None:
    if esp == "mailgun":
        data = event.esp_event.get("event-data") if isinstance(event.esp_event, dict) else None
        if isinstance(data, dict) and data.get("id"):
            # Mailgun's ids are "unique within a day": with the event's time, for good.
            return f"{data['id']}:{data.get('timestamp', '')}"
        return None
    return str(event.event_id) if event.event_id else None


def _get(raw: Any, *path: str) -> str | None:
    """The string at `path` in a raw payload, or None (whatever else is there)."""
    for key in path:
        raw = raw.get(key) if isinstance(raw, dict) else None
    return str(raw) if isinstance(raw, str | int) and not isinstance(raw, bool) else None


# Whether a "bounced" event means the address cannot receive mail, for the
# ESPs whose Anymail mapping also calls temporary failures "bounced"; their
# raw payload tells the two apart. Any other ESP's bounces are permanent
# (their temporary failures arrive as "deferred").
_PERMANENT_BOUNCE: dict[str, Callable[[Any], bool]] = {
    # SubscriptionChange: Postmark suppressed the address after a hard bounce.
    "postmark": lambda raw: (
        _get(raw, "RecordType") == "SubscriptionChange" or _get(raw, "Type") == "HardBounce"
    ),
    "amazon_ses": lambda raw: _get(raw, "bounce", "bounceType") == "Permanent",
    # "blocked": refused for now (reputation, content), not an unknown address.
    "sendgrid": lambda raw: _get(raw, "type") != "blocked",
    "brevo": lambda raw: _get(raw, "event") in {"hard_bounce", "invalid_email"},
    "mailersend": lambda raw: _get(raw, "data", "type") == "hard_bounced",
    "mailjet": lambda raw: isinstance(raw, dict) and raw.get("hard_bounce") is True,
    "mandrill": lambda raw: _get(raw, "event") == "hard_bounce",
    "resend": lambda raw: _get(raw, "data", "bounce", "type") not in {"Transient", "Undetermined"},
    # SparkPost's hard bounce classes: invalid recipient, no RCPT, unsubscribe.
    "sparkpost": lambda raw: (
        _get(raw, "msys", "message_event", "bounce_class") in {"10", "30", "90"}
    ),
}


# Mailgun's reason for a permanent failure: the receiving server refused the
# address, or Mailgun's own lists hold it. Its other reasons ("old": it gave
# up retrying; "espblock": it refused to send; "generic") say nothing about
# the address, unless the server's reply does (_refused_address).
_MAILGUN_REASONS = {
    "bounce": Suppression.Reason.BOUNCED,
    "suppress-bounce": Suppression.Reason.BOUNCED,
    "suppress-complaint": Suppression.Reason.COMPLAINED,
    "suppress-unsubscribe": Suppression.Reason.UNSUBSCRIBED,
}


def _mailgun_failure(raw: Any) -> str | None:
    """What a Mailgun permanent failure says about the address."""
    data = raw.get("event-data") if isinstance(raw, dict) else None
    if not isinstance(data, dict):
        return Suppression.Reason.BOUNCED  # a legacy "bounced" post: a hard bounce
    reason = _get(data, "reason")
    if reason in _MAILGUN_REASONS:
        return _MAILGUN_REASONS[reason]
    status = data.get("delivery-status")
    if reason == "generic" and isinstance(status, dict) and _refused_address(status):
        return Suppression.Reason.BOUNCED
    return None


def _refused_address(status: dict[str, Any]) -> bool:
    """Whether an SMTP reply refuses the address itself (RFC 3463's 5.1.x
    addressing status; or, without one, RFC 5321's 550, 551 or 553)."""
    message = str(status.get("message") or "")
    enhanced = str(status.get("enhanced-code") or message.split(" ", 1)[0])
    if enhanced.count(".") == 2 and enhanced[0].isdigit():
        return enhanced.startswith("5.1.")
    return str(status.get("code")) in {"550", "551", "553"}


def suppression_reason_for(*, event: AnymailTrackingEvent, esp_name: str) -> str | None:
    """The suppression an event calls for, or None (delivered, deferred, soft bounce…)."""
    esp = _esp_key(esp_name)
    if event.event_type == EventType.BOUNCED:
        if esp == "mailgun":
            return _mailgun_failure(event.esp_event)
        return Suppression.Reason.BOUNCED if _is_permanent_bounce(event, esp_name) else None
    if event.event_type == EventType.FAILED:
        # Postal's "HardFail": the receiving server refused the message for
        # good while Postal delivered it (Postal suppresses such addresses
        # itself); its later "MessageBounced" arrives as "bounced".
        hard = esp == "postal" and _get(event.esp_event, "payload", "status") == "HardFail"
        return Suppression.Reason.BOUNCED if hard else None
    if event.event_type == EventType.COMPLAINED:
        return Suppression.Reason.COMPLAINED
    if event.event_type == EventType.UNSUBSCRIBED:
        return Suppression.Reason.UNSUBSCRIBED
    if event.event_type == EventType.REJECTED:
        return _PERMANENT_REJECTIONS.get(event.reject_reason)
    return None


def _is_permanent_bounce(event: AnymailTrackingEvent, esp_name: str) -> bool:
    """Whether a "bounced" event means the address cannot receive mail."""
    rule = _PERMANENT_BOUNCE.get(_esp_key(esp_name))
    return True if rule is None else bool(rule(event.esp_event))


def tracking_event_record(*, event: AnymailTrackingEvent, esp_name: str) -> TrackingEvent | None:
    """Record one provider event and act on it; None if it was recorded before.

    Runs in one transaction: the event row, the outbox row's delivery status
    and the suppression entry are written together or not at all, so a
    failure answers 500 and the ESP's redelivery finds nothing half done.
    """
    event_id = event_id_for(event=event, esp_name=esp_name)
    recipient = (event.recipient or "").strip()
    # Postal's message ids are numbers.
    message_id = str(event.message_id or "").strip()
    with transaction.atomic():
        notification = _notification_for(message_id=message_id, recipient=recipient)
        # Unique event_id: a concurrent redelivery gets the existing row back.
        tracking_event, created = TrackingEvent.objects.get_or_create(
            event_id=event_id,
            defaults={
                "esp_name": esp_name[:50],
                "event_type": (event.event_type or EventType.UNKNOWN)[:32],
                "recipient": recipient[:254],
                "message_id": message_id[:255],
                "notification": notification,
                "timestamp": event.timestamp,
                "description": event.description or event.mta_response or "",
                "payload": _jsonable(event.esp_event),
                "received_at": timezone.now(),
            },
        )
        if not created:
            logger.info("Ignored repeated %s event %s", esp_name, event_id)
            return None
        reason = suppression_reason_for(event=event, esp_name=esp_name)
        if notification is not None:
            status = event.event_type
            if status == EventType.BOUNCED and reason is None:
                status = EventType.DEFERRED  # a soft bounce: the ESP keeps trying
            _advance_delivery_status(notification=notification, event_type=status)
        # An event that names only the message (Postmark has sent
        # unsubscribes without an address) is about the row's one recipient,
        # written as send_mail was given it ("Ops <ops@…>").
        if not recipient and notification is not None:
            addresses = getaddresses([notification.to_address])
            if len(addresses) == 1:
                recipient = addresses[0][1]
        if reason and recipient:
            suppression_add(
                address=recipient,
                reason=reason,
                source_event=tracking_event,
                note=f"{esp_name} {event.event_type} event",
            )
    return tracking_event


def _notification_for(*, message_id: str, recipient: str) -> Notification | None:
    if not message_id:
        return None
    candidates = Notification.objects.filter(provider_message_id=message_id).only(
        "pk", "to_address", "delivery_status"
    )
    first = None
    address = normalize_address(recipient) if recipient else None
    for notification in candidates[:20]:
        if address and normalize_address(notification.to_address) == address:
            return notification
        first = first or notification
    return first


def _advance_delivery_status(*, notification: Notification, event_type: str) -> None:
    progress = _PROGRESS.get(event_type)
    if progress is None:
        return
    not_further = [status for status, rank in _PROGRESS.items() if rank <= progress]
    # A conditional UPDATE: two events racing cannot move the status backwards.
    Notification.objects.filter(pk=notification.pk).filter(
        delivery_status__in=[*not_further, ""]
    ).update(delivery_status=event_type, updated_at=timezone.now())


def _jsonable(payload: Any) -> Any:
    """The raw ESP payload as JSON (a legacy form post arrives as a QueryDict)."""
    if payload is None:
        return {}
    if hasattr(payload, "lists"):
        payload = {key: vals[0] if len(vals) == 1 else vals for key, vals in payload.lists()}
    try:
        return json.loads(json.dumps(payload, default=str))
    except (TypeError, ValueError):
        return {"repr": repr(payload)[:10000]}


def handle_tracking_event(
    sender: type, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any
) -> None:
    """Receiver of Anymail's ``tracking`` signal (connected in AppConfig.ready)."""
    tracking_event_record(event=event, esp_name=esp_name)
