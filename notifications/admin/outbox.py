"""The outbox as a product for staff: list, inspect, retry, cancel, resend;
a delivery dashboard and previews of every notification type (``pages``).

Every row says what it is (its type's name, its subject) and, until it is
sent, why it waits and until when (``explain``). Rows are read-only: staff
steer them with actions, on the list or on a row's page, never by editing.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.defaultfilters import truncatechars
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from ..estimates import EstimatingPaginator
from ..explain import category_label, kind_label, moment_text, row_wait
from ..models import EMAIL_KIND, DeliveryAttempt, Notification, TrackingEvent
from ..previews import (
    email_html_iframe,
    email_html_response,
    preview_languages,
    sample_html,
    stored_html,
)
from ..suppression import same_address
from ..types import UnknownNotificationType, registry
from . import pages
from .outbox_actions import OutboxActions

Status = Notification.Status

# A search term that is a whole address ("alice@example.com") or a message ID
# ("<abc@mail.example.com>"): one "@", no spaces.
WHOLE_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+")


class LogAdminMixin:
    """A record of what happened: staff read it, nobody edits it."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeliveryAttemptInline(LogAdminMixin, admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    fields = ("started_at", "outcome", "duration_ms", "error")
    readonly_fields = fields


class TrackingEventInline(LogAdminMixin, admin.TabularInline):
    model = TrackingEvent
    extra = 0
    fields = ("received_at", "esp_name", "event_type", "description")
    readonly_fields = fields


class KindFilter(admin.SimpleListFilter):
    """By type, under the names staff read (the kinds the outbox holds)."""

    title = _("type")
    parameter_name = "kind"

    def kinds(self) -> list[str]:
        # The registered types, not the kinds the table holds: finding those
        # means reading every row. Rows of a type no longer registered stay
        # in the list, and ?kind=<key> still filters them.
        return [EMAIL_KIND, *(kind.key for kind in registry.all())]

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        pairs = ((kind, kind_label(kind)) for kind in self.kinds())
        return sorted(pairs, key=lambda pair: pair[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(kind=self.value()) if self.value() else queryset


class DueFilter(admin.SimpleListFilter):
    """Queued rows that are due (the workers' backlog) or waiting for their time."""

    title = _("due")
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("now", _("Due now")), ("later", _("Waiting, not due yet"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        if self.value() == "now":
            return queryset.filter(status=Status.QUEUED, next_attempt_at__lte=now)
        if self.value() == "later":
            return queryset.filter(status=Status.QUEUED, next_attempt_at__gt=now)
        return queryset


@admin.register(Notification)
class NotificationAdmin(OutboxActions, admin.ModelAdmin):
    list_display = ("id", "status_and_reason", "type_and_address", "subject_line", "created")
    list_filter = ("status", DueFilter, KindFilter, ("created_at", admin.DateFieldListFilter))
    # An address (or a provider's message ID) is looked up exactly through
    # an index (get_search_results); any other term is a substring of the
    # address, which reads every row.
    # What a search finds is said under the search box (change_list.html):
    # not as search_help_text, whose aria-describedby leaves the admin's
    # icon-only search label as the box's only name for screen readers.
    search_fields = ("to_address", "=provider_message_id")
    # No date hierarchy: its list of days reads every row (the "created"
    # filter offers today, the past 7 days, this month and this year).
    # The count of a big result is estimated (EstimatingPaginator), and the
    # total beside a filtered result is not counted.
    paginator = EstimatingPaginator
    show_full_result_count = False
    # Newest first (the list adds the id to break ties).
    ordering = ("-created_at",)
    # A held row's due time is its recipient's digest hour, in their time zone.
    list_select_related = ("recipient",)
    # The rendered bodies and the message JSON are heavy: never in the list.
    list_per_page = 50

    class Media:
        css = {"all": ("notifications/admin.css",)}

    inlines = (DeliveryAttemptInline, TrackingEventInline)
    fieldsets = (
        (
            None,
            {"fields": ("kind_name", "category_name", "transactional", "recipient", "to_address")},
        ),
        (
            _("Delivery"),
            {
                "fields": (
                    "status",
                    "why",
                    "status_reason",
                    "attempts",
                    "next_attempt_at",
                    "lease_expires_at",
                    "claimed_by",
                    "last_error",
                    "provider",
                    "provider_message_id",
                    "delivery_status",
                    "created_at",
                    "updated_at",
                    "sent_at",
                )
            },
        ),
        (
            _("Content"),
            {
                "fields": (
                    "language",
                    "subject",
                    "per_address",
                    "headers",
                    "body_text",
                    "html_preview",
                )
            },
        ),
        (_("Source"), {"fields": ("params", "group_key", "dedupe_key"), "classes": ("collapse",)}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Staff steer a row through actions (services), never by editing it.
        return flatten_fieldsets(self.fieldsets)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Notification], search_term: str
    ) -> tuple[QuerySet[Notification], bool]:
        term = search_term.strip()
        if WHOLE_ADDRESS.fullmatch(term):
            # Case-insensitive, as the substring search is, through the
            # UPPER(to_address) index on PostgreSQL (SQLite's LIKE reads the
            # rows); message IDs compare exactly (their own index), since
            # providers' IDs are case-sensitive.
            # In either spelling of its domain (bücher or xn--bcher-kva).
            return queryset.filter(
                same_address("to_address", term) | Q(provider_message_id=term)
            ), False
        return super().get_search_results(request, queryset, search_term)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Notification]:
        qs = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            qs = qs.defer(
                "body_text", "body_html", "message", "headers", "params", "address_outcomes"
            )
        return qs

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change permission lets staff steer rows with the actions (which
        # ask without a row); no row is ever edited, so its page is a view
        # page, without Save buttons.
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting a row mid-send would lose its outcome (use the cancel
        # action on rows not yet claimed; `manage.py notifications_purge`
        # removes old finished rows).
        if obj is not None and obj.status == Notification.Status.SENDING:
            return False
        return super().has_delete_permission(request, obj)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None):  # type: ignore[no-untyped-def]
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        # A waiting row says why in the staff member's words; the stored
        # reason (English, for logs) is for rows that ended.
        hidden = {"status_reason"} if row_wait(obj) else {"why"}
        if not can_read_body(request, obj):
            # A transactional email (password reset) carries a login link.
            hidden |= {"headers", "body_text", "html_preview"}
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]})
            for name, opts in fieldsets
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return super().changelist_view(request, {"title": _("Outbox"), **(extra_context or {})})

    def render_change_form(  # type: ignore[no-untyped-def]
        self, request: HttpRequest, context: dict[str, Any], *args, obj: Any = None, **kwargs
    ) -> HttpResponse:
        if obj is not None:
            # "#12 · New follower → alice@example.com" (the row's str() is for logs)
            context["subtitle"] = f"#{obj.pk} · {kind_label(obj.kind)} → {obj.to_address}"
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    # --- columns and fields ----------------------------------------------------

    @admin.display(description=_("status"), ordering="status")
    def status_and_reason(self, obj: Notification) -> str:
        """The status, and under it why the row waits or how it ended."""
        wait = row_wait(obj)
        reason = wait.text if wait else obj.status_reason
        if not reason:
            return obj.get_status_display()
        return format_html(
            '{}<div class="row-reason">{}</div>',
            obj.get_status_display(),
            truncatechars(reason, 120),
        )

    @admin.display(description=_("type and address"), ordering="kind")
    def type_and_address(self, obj: Notification) -> str:
        address = obj.to_address
        if len(address) > 30:
            address = format_html('<span title="{}">{}</span>', address, truncatechars(address, 30))
        return format_html(
            '{}<div class="row-address">{}</div>', kind_label(obj.kind), address or "-"
        )

    @admin.display(description=_("type"))
    def kind_name(self, obj: Notification) -> str:
        return format_html("{} <code>{}</code>", kind_label(obj.kind), obj.kind)

    @admin.display(description=_("subject"))
    def subject_line(self, obj: Notification) -> str:
        if obj.subject:
            return truncatechars(obj.subject, 80)
        if obj.status in (Status.QUEUED, Status.HELD, Status.SENDING):
            return format_html('<span class="quiet">{}</span>', _("written when sent"))
        return "-"

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, obj: Notification) -> str:
        return format_html(
            '<time datetime="{}">{}</time>', obj.created_at.isoformat(), moment_text(obj.created_at)
        )

    @admin.display(description=_("category"))
    def category_name(self, obj: Notification) -> str:
        if not obj.category:
            return "-"
        return format_html("{} <code>{}</code>", category_label(obj.category), obj.category)

    @admin.display(description=_("Why it waits"))
    def why(self, obj: Notification) -> str:
        wait = row_wait(obj)
        return wait.text if wait else "-"

    @admin.display(description=_("Per address"))
    def per_address(self, obj: Notification) -> str:
        """What became of each address of a message to several people."""
        if not obj.address_outcomes:
            return "-"
        return format_html_join(
            "\n",
            "<div><code>{}</code>: {}</div>",
            sorted(obj.address_outcomes.items()),
        )

    @admin.display(description=_("HTML version"))
    def html_preview(self, obj: Notification) -> str:
        if not stored_html(obj):
            return "-"
        return email_html_iframe(reverse("admin:notifications_notification_html", args=[obj.pk]))

    # --- extra pages ------------------------------------------------------

    def get_urls(self):  # type: ignore[no-untyped-def]
        view = self.admin_site.admin_view
        return [
            path("dashboard/", view(self.dashboard_view), name="notifications_dashboard"),
            path("preview/", view(self.preview_view), name="notifications_preview"),
            path(
                "preview/<str:kind>/<str:language>/html/",
                view(self.preview_html_view),
                name="notifications_preview_html",
            ),
            path("<int:pk>/html/", view(self.html_view), name="notifications_notification_html"),
            *super().get_urls(),
        ]

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        return pages.dashboard_view(self, request)

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        return pages.preview_view(self, request)

    def html_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        row = self.get_object(request, str(pk))
        if row is None or not self.has_view_permission(request, row):
            raise Http404
        if not can_read_body(request, row):
            raise PermissionDenied
        return email_html_response(stored_html(row))

    def preview_html_view(self, request: HttpRequest, kind: str, language: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if language not in dict(preview_languages()):
            raise Http404
        try:
            notification_type = registry.get(kind)
        except UnknownNotificationType:
            raise Http404 from None
        return email_html_response(sample_html(notification_type, language))


def can_read_body(request: HttpRequest, row: Notification) -> bool:
    """Only superusers read transactional bodies: they carry password-reset links."""
    return not row.transactional or request.user.is_superuser
