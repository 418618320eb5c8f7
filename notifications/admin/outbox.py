"""The outbox as a product for staff: list, inspect, retry, cancel, resend;
a delivery dashboard and previews of every notification type."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from ..actions import notification_cancel, notification_resend, notification_retry_now
from ..models import DeliveryAttempt, Notification, TrackingEvent
from ..previews import (
    email_html_iframe,
    email_html_response,
    render_sample,
    render_sample_in_app,
    stored_html,
)
from ..selectors import notifications_per_hour, outbox_health
from ..transitions import reason_cancelled_by
from ..types import UnknownNotificationType, registry


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
    verbose_name_plural = _("provider events")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "status", "kind", "to_address", "attempts", "created_at", "sent_at")
    list_filter = ("status", "kind", ("created_at", admin.DateFieldListFilter))
    search_fields = ("to_address", "=provider_message_id")
    date_hierarchy = "created_at"
    list_select_related = False
    # The rendered bodies and the message JSON are heavy: never in the list.
    list_per_page = 50
    actions = ("retry_now", "cancel", "resend_as_new")

    class Media:
        css = {"all": ("notifications/admin.css",)}

    inlines = (DeliveryAttemptInline, TrackingEventInline)
    fieldsets = (
        (None, {"fields": ("kind", "category", "transactional", "recipient", "to_address")}),
        (
            _("Delivery"),
            {
                "fields": (
                    "status",
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Notification]:
        qs = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            qs = qs.defer(
                "body_text", "body_html", "message", "headers", "params", "address_outcomes"
            )
        return qs

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting a row mid-send would lose its outcome (use the cancel
        # action on rows not yet claimed; `manage.py notifications_purge`
        # removes old finished rows).
        if obj is not None and obj.status == Notification.Status.SENDING:
            return False
        return super().has_delete_permission(request, obj)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None):  # type: ignore[no-untyped-def]
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not can_read_body(request, obj):
            # A transactional email (password reset) carries a login link.
            hidden = {"headers", "body_text", "html_preview"}
            fieldsets = [
                (name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]})
                for name, opts in fieldsets
            ]
        return fieldsets

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

    @admin.action(description=_("Retry now"), permissions=("change",))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        done = sum(notification_retry_now(notification=row) for row in queryset)
        self.message_user(request, _("%d notification(s) queued for retry.") % done)

    @admin.action(description=_("Cancel"), permissions=("change",))
    def cancel(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        done = sum(
            notification_cancel(notification=row, reason=reason_cancelled_by(request.user))
            for row in queryset
        )
        level = messages.SUCCESS if done else messages.WARNING
        self.message_user(request, _("%d notification(s) cancelled.") % done, level)

    @admin.action(description=_("Resend as new"), permissions=("change",))
    def resend_as_new(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        rows = [notification_resend(notification=row) for row in queryset]
        self.message_user(request, _("%d new notification(s) queued.") % len(rows))

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
        if not self.has_view_permission(request):
            raise PermissionDenied
        hours = notifications_per_hour(hours=48)
        peak = max((hour["total"] for hour in hours), default=0) or 1
        statuses = [status.value for status in Notification.Status]
        bar_width = 100.0 / len(hours)
        for index, hour in enumerate(hours):
            hour["x"] = round(index * bar_width, 2)
            # Bar heights in whole percent, drawn as SVG rects (no inline styles,
            # so the page keeps working under the site's strict CSP).
            y = 100.0
            hour["segments"] = []
            for status in statuses:
                n = hour["counts"][status]
                if n:
                    height = 100.0 * n / peak
                    y -= height
                    hour["segments"].append(
                        {"status": status, "count": n, "y": round(y, 2), "height": round(height, 2)}
                    )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Email delivery"),
            "opts": self.model._meta,
            "health": outbox_health(),
            "hours": hours,
            "peak": peak,
            "statuses": statuses,
            "bar_width": round(bar_width, 2),
        }
        return TemplateResponse(request, "admin/notifications/dashboard.html", context)

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        previews = []
        for kind in registry.all():
            for code, name in settings.LANGUAGES:
                entry: dict[str, Any] = {"kind": kind, "language": name, "code": code}
                try:
                    rendered = render_sample(kind, code)
                except Exception as error:  # a broken template must not hide the others
                    entry["error"] = f"{type(error).__name__}: {error}"
                else:
                    entry["in_app"] = render_sample_in_app(kind, code)
                    entry["subject"] = rendered.subject
                    entry["text"] = rendered.body_text
                    entry["html"] = email_html_iframe(
                        reverse("admin:notifications_preview_html", args=[kind.key, code])
                    )
                previews.append(entry)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Notification previews"),
            "opts": self.model._meta,
            "previews": previews,
        }
        return TemplateResponse(request, "admin/notifications/preview.html", context)

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
        if language not in dict(settings.LANGUAGES):
            raise Http404
        try:
            notification_type = registry.get(kind)
        except UnknownNotificationType:
            raise Http404 from None
        return email_html_response(render_sample(notification_type, language).body_html)


def can_read_body(request: HttpRequest, row: Notification) -> bool:
    """Only superusers read transactional bodies: they carry password-reset links."""
    return not row.transactional or request.user.is_superuser
