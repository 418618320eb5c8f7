"""What staff keep an eye on beside the outbox: suppressions, provider events,
recipients' preferences and quiet hours, and their in-app items."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.validators import validate_email
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..channels.inapp import feed_entries
from ..models import InAppItem, Preference, QuietHours, Suppression, TrackingEvent
from ..recipients import email_field_name
from ..suppression import normalize_address
from ..types import registry
from .outbox import WHOLE_ADDRESS, KindFilter, LogAdminMixin


def user_search_fields(prefix: str = "user") -> tuple[str, ...]:
    """Search by whatever the project's user model calls its username and email
    fields (a model without an email field: by username alone)."""
    fields = [get_user_model().USERNAME_FIELD, email_field_name()]
    return tuple(f"{prefix}__{name}" for name in dict.fromkeys(fields) if name)


class SuppressionForm(forms.ModelForm):
    class Meta:
        model = Suppression
        fields = ("address", "reason", "note", "source_event")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = _(
            "Bounced and staff entries stop every email to the address, account emails "
            "such as password resets included; complaints and unsubscribes stop "
            "notifications only."
        )

    def clean_address(self) -> str:
        # Stored as the list compares it, so unique that way.
        address = normalize_address(self.cleaned_data["address"])
        validate_email(address)
        taken = Suppression.objects.filter(address__iexact=address)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("This address is already suppressed."))
        return address


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    form = SuppressionForm
    list_display = ("address", "reason", "source_event", "note", "created_at")
    list_filter = ("reason",)
    search_fields = ("address",)
    raw_id_fields = ("source_event",)
    fields = ("address", "reason", "note", "source_event", "created_at")
    readonly_fields = ("created_at",)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Suppression], search_term: str
    ) -> tuple[QuerySet[Suppression], bool]:
        term = search_term.strip()
        if WHOLE_ADDRESS.fullmatch(term):  # stored as the list compares it
            return queryset.filter(address__iexact=normalize_address(term)), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(TrackingEvent)
class TrackingEventAdmin(LogAdminMixin, admin.ModelAdmin):
    list_display = ("received_at", "esp_name", "event_type", "recipient", "notification")
    list_filter = ("esp_name", "event_type")
    search_fields = ("recipient", "=message_id", "=event_id")


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "category", "mode", "updated_at")
    list_filter = ("category", "mode")
    raw_id_fields = ("user",)

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        return user_search_fields()


@admin.register(QuietHours)
class QuietHoursAdmin(admin.ModelAdmin):
    list_display = ("user", "start", "end")
    raw_id_fields = ("user",)

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        return user_search_fields()


class InAppKindFilter(KindFilter):
    """By type, under the names staff read: the types that reach the app."""

    def kinds(self) -> list[str]:
        return [kind.key for kind in registry.all() if Preference.Channel.IN_APP in kind.channels]


class ReadFilter(admin.SimpleListFilter):
    title = _("read")
    parameter_name = "read"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("no", _("Unread")), ("yes", _("Read"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("no", "yes"):
            return queryset.filter(read_at__isnull=self.value() == "no")
        return queryset


@admin.register(InAppItem)
class InAppItemAdmin(LogAdminMixin, admin.ModelAdmin):
    """A person's in-app feed as staff see it: what, since when, read or not."""

    # The line names the actors ("bob and 9 others"): no column of its own,
    # so the read time and the email fit beside it.
    list_display = ("recipient", "line", "updated_at", "read_at", "notification")
    list_per_page = 50  # each line is rendered as its recipient sees it
    list_filter = (InAppKindFilter, ReadFilter)
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient", "notification")

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        return user_search_fields("recipient")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Items go with their person: the admin asks this of every item when a
        # user is deleted, and a record nobody may delete would forbid that.
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    @admin.display(description=_("what the person sees"))
    def line(self, item: InAppItem) -> str:
        entries = feed_entries([item])
        return entries[0].html if entries else "—"
