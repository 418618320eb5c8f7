"""The outbox and everything recorded about delivering it."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Defined in modules of their own; imported here so Django registers them.
from .coordination import Heartbeat, SendRate, WakeUp  # noqa: F401
from .totals import DeliveryTotal  # noqa: F401

# The kind of rows holding a message given to Django's mail API (password
# resets, error reports, sendtestemail) rather than a registered type.
EMAIL_KIND = "email"


def new_message_key() -> str:
    """The random part of a row's Message-ID and idempotency key, fixed at creation."""
    return secrets.token_hex(12)


class Notification(models.Model):
    """One email to one recipient: the durable truth about it.

    A row is written in the same transaction as the event that caused it, and
    only services change its status. The task queue merely wakes workers up.
    """

    class Status(models.TextChoices):
        HELD = "held", _("held for digest")
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SUPPRESSED = "suppressed", _("suppressed")
        CANCELLED = "cancelled", _("cancelled")

    # Registry key of the notification type, or EMAIL_KIND.
    kind = models.CharField(max_length=64, verbose_name=_("type"))
    category = models.CharField(max_length=64, blank=True, verbose_name=_("category"))
    transactional = models.BooleanField(default=False, verbose_name=_("transactional"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # (recipient, created_at) and (recipient, sent_at) serve it
        verbose_name=_("recipient"),
    )
    to_address = models.CharField(max_length=254, verbose_name=_("to"))
    # JSON-serialisable ids the type builds its context from.
    params = models.JSONField(default=dict, blank=True, verbose_name=_("parameters"))
    # A message given to Django's mail API, serialised (see backends.py).
    message = models.JSONField(null=True, blank=True, verbose_name=_("stored message"))
    dedupe_key = models.CharField(
        max_length=200, unique=True, null=True, blank=True, verbose_name=_("deduplication key")
    )
    # Rows of one type to one recipient that may be coalesced into one email.
    group_key = models.CharField(max_length=200, blank=True, verbose_name=_("group key"))

    status = models.CharField(
        max_length=16,
        choices=Status.choices,
        default=Status.QUEUED,
        verbose_name=_("status"),  # notif_due_idx leads with it
    )
    status_reason = models.CharField(max_length=255, blank=True, verbose_name=_("reason"))
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(default=timezone.now, verbose_name=_("due at"))
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("lease expires at")
    )
    # Token of the claim that owns a "sending" row: only its worker may finish it.
    claimed_by = models.CharField(max_length=64, blank=True, verbose_name=_("claimed by"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))

    # Random, fixed when the row is created: every attempt at this email carries
    # the same Message-ID (and ESP idempotency key), so a repeat after a crash
    # is the same message to the receiving mailbox.
    message_key = models.CharField(
        max_length=32, default=new_message_key, editable=False, verbose_name=_("message key")
    )

    provider = models.CharField(max_length=50, blank=True, verbose_name=_("provider"))
    provider_message_id = models.CharField(
        max_length=255, blank=True, verbose_name=_("provider message ID")
    )
    # Latest event reported by the provider: delivered, bounced, complained…
    delivery_status = models.CharField(max_length=32, blank=True, verbose_name=_("delivery status"))

    language = models.CharField(max_length=10, blank=True, verbose_name=_("language"))
    subject = models.TextField(blank=True, verbose_name=_("subject"))
    body_text = models.TextField(blank=True, verbose_name=_("text"))
    body_html = models.TextField(blank=True, verbose_name=_("HTML"))
    headers = models.JSONField(default=dict, blank=True, verbose_name=_("headers"))
    # A message to several addresses: what became of each ("sent", or why not).
    address_outcomes = models.JSONField(
        default=dict, blank=True, verbose_name=_("outcome per address")
    )
    created_at = models.DateTimeField(
        default=timezone.now, db_index=True, verbose_name=_("created at")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True, verbose_name=_("sent at"))

    class Meta:
        verbose_name = _("outbox email")
        verbose_name_plural = _("outbox emails")
        ordering = ["-created_at", "-id"]
        # Every event's INSERT and every status change pays for each index, so
        # each one serves a read that must stay flat as the outbox grows
        # (docs/benchmarks.md, P7), and none is a prefix of another. They are
        # declared here rather than with db_index=True, which on PostgreSQL
        # adds a LIKE-pattern index to every text column (no read needs one).
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notif_due_idx"),
            models.Index(fields=["kind"], name="notif_kind_idx"),
            models.Index(fields=["group_key"], name="notif_group_idx"),
            models.Index(fields=["provider_message_id"], name="notif_provider_id_idx"),
            models.Index(fields=["recipient", "created_at"], name="notif_recipient_created_idx"),
            models.Index(fields=["recipient", "sent_at"], name="notif_recipient_sent_idx"),
            models.Index(models.functions.Upper("to_address"), name="notif_address_upper_idx"),
            models.Index(
                fields=["updated_at"], condition=models.Q(status="failed"), name="notif_failed_idx"
            ),
        ]
        constraints = [
            # Coalescing: a burst of events to one recipient merges into the
            # one pending row of its group. The database refuses a second one,
            # so two transactions that each found none cannot both create one.
            models.UniqueConstraint(
                fields=["group_key"],
                condition=models.Q(status="queued", attempts=0) & ~models.Q(group_key=""),
                name="one_pending_row_per_group",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} → {self.to_address} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        """The same for every attempt at this email; unique across rows."""
        return f"{self.pk}.{self.message_key}"


class DeliveryAttempt(models.Model):
    """One try at handing a notification to the delivery mailer."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("sent")
        RETRY = "retry", _("transient failure, will retry")
        FAILED = "failed", _("permanent failure")
        LOST = "lost", _("worker lost mid-send, taken back")

    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        related_name="attempt_log",
        verbose_name=_("email"),
    )
    started_at = models.DateTimeField(default=timezone.now, verbose_name=_("started at"))
    duration_ms = models.PositiveIntegerField(default=0, verbose_name=_("duration (ms)"))
    outcome = models.CharField(max_length=16, choices=Outcome.choices, verbose_name=_("outcome"))
    error = models.TextField(blank=True, verbose_name=_("error"))

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        # Shown above each row of the outbox email's attempt log, in the
        # staff member's language and time zone.
        return gettext("%(outcome)s, %(time)s") % {
            "outcome": self.get_outcome_display(),
            "time": date_format(timezone.localtime(self.started_at), "DATETIME_FORMAT"),
        }


class Preference(models.Model):
    """How a user wants one category of notifications on one channel.

    Email: immediately (the default), in the daily digest, only if not seen
    in the app first, or off. In-app: on (the default) or off.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        IN_APP = "in_app", _("In the app")

    class Mode(models.TextChoices):
        IMMEDIATELY = "immediately", _("Immediately")
        DIGEST = "digest", _("Daily digest")
        UNSEEN = "unseen", _("Only if I haven't seen it in the app")
        OFF = "off", _("Off")
        ON = "on", _("On")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    category = models.CharField(max_length=64, verbose_name=_("category"))
    channel = models.CharField(
        max_length=16, choices=Channel.choices, default=Channel.EMAIL, verbose_name=_("channel")
    )
    mode = models.CharField(
        max_length=16, choices=Mode.choices, default=Mode.IMMEDIATELY, verbose_name=_("mode")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "category", "channel"], name="one_preference_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category} ({self.channel}): {self.mode}"


class QuietHours(models.Model):
    """A daily span, in the recipient's own time zone, without notification email.

    Notification email due in it waits until it ends; transactional mail
    (a password reset) never waits. An end before the start spans midnight.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    start = models.TimeField(verbose_name=_("start"))
    end = models.TimeField(verbose_name=_("end"))

    class Meta:
        verbose_name = _("quiet hours")
        verbose_name_plural = _("quiet hours")

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


class InAppItem(models.Model):
    """One notification in a person's in-app feed.

    Written in the same transaction as the event (and its email), coalesced
    the same way: a burst of events of one group shares the one unread item
    ("bob and 9 others followed you"). Reading it may cancel the email that
    goes with it, when the person only wants email for what they have not
    seen (see preferences).
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # inapp_unread_idx and inapp_feed_idx lead with it
        verbose_name=_("recipient"),
    )
    kind = models.CharField(max_length=64, verbose_name=_("type"))
    category = models.CharField(max_length=64, blank=True, verbose_name=_("category"))
    params = models.JSONField(default=dict, blank=True, verbose_name=_("parameters"))
    group_key = models.CharField(max_length=200, blank=True, verbose_name=_("group key"))
    dedupe_key = models.CharField(
        max_length=200, unique=True, null=True, blank=True, verbose_name=_("deduplication key")
    )
    # The email this item goes with, if any (for "only if unseen").
    notification = models.ForeignKey(
        Notification,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
        verbose_name=_("email"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    updated_at = models.DateTimeField(default=timezone.now, verbose_name=_("updated at"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=_("read at"))

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="inapp_unread_idx"),
            models.Index(fields=["recipient", "-updated_at"], name="inapp_feed_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["group_key"],
                condition=models.Q(read_at__isnull=True) & ~models.Q(group_key=""),
                name="one_unread_item_per_group",
            )
        ]
        verbose_name = _("in-app notification")
        verbose_name_plural = _("in-app notifications")

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} for {self.recipient_id}"


class TrackingEvent(models.Model):
    """An event an ESP reported through its webhook, recorded once."""

    event_id = models.CharField(max_length=255, unique=True, verbose_name=_("event ID"))
    esp_name = models.CharField(max_length=50, verbose_name=_("provider"))
    event_type = models.CharField(max_length=32, db_index=True, verbose_name=_("event"))
    recipient = models.CharField(max_length=254, blank=True, verbose_name=_("recipient"))
    message_id = models.CharField(
        max_length=255, blank=True, db_index=True, verbose_name=_("message ID")
    )
    notification = models.ForeignKey(
        Notification,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        verbose_name=_("email"),
    )
    timestamp = models.DateTimeField(null=True, blank=True, verbose_name=_("reported at"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    payload = models.JSONField(default=dict, blank=True, verbose_name=_("payload"))
    received_at = models.DateTimeField(
        default=timezone.now, db_index=True, verbose_name=_("received at")
    )

    class Meta:
        verbose_name = _("provider event")
        verbose_name_plural = _("provider events")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.esp_name} {self.event_type} {self.event_id}"


class Suppression(models.Model):
    """An address the engine must not send (some kinds of) mail to."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", _("hard bounce")
        COMPLAINED = "complained", _("spam complaint")
        UNSUBSCRIBED = "unsubscribed", _("unsubscribed at the provider")
        MANUAL = "manual", _("added by staff")

    # Stored lower-cased.
    address = models.CharField(max_length=254, unique=True, verbose_name=_("address"))
    reason = models.CharField(max_length=16, choices=Reason.choices, verbose_name=_("reason"))
    source_event = models.ForeignKey(
        TrackingEvent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("source event"),
    )
    note = models.CharField(max_length=255, blank=True, verbose_name=_("note"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("suppression")
        verbose_name_plural = _("suppressions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.address} ({self.reason})"
