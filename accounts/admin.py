from axes import admin as axes_admin
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .forms import AdminUserChangeForm, AdminUserCreationForm
from .models import Follow, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = AdminUserChangeForm
    add_form = AdminUserCreationForm
    list_display = (
        "username",
        "email",
        "followers_count",
        "language",
        "is_active",
        "is_staff",
        "last_seen",
        "date_joined",
    )
    list_filter = ("is_active", "is_staff", "is_superuser", "language", "date_joined")
    search_fields = ("username", "email")
    ordering = ("username",)
    readonly_fields = ("last_seen", "last_login", "date_joined")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Profile"), {"fields": ("about_me", "language", "last_seen")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "usable_password", "password1", "password2"),
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).annotate(_followers_count=Count("follower_set"))

    @admin.display(description=_("followers"), ordering="_followers_count")
    def followers_count(self, user: User) -> int:
        return user._followers_count


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ("follower", "followed", "created_at")
    list_filter = ("created_at", "followed__is_active")
    search_fields = ("follower__username", "followed__username")
    autocomplete_fields = ("follower", "followed")
    list_select_related = ("follower", "followed")
    date_hierarchy = "created_at"
    readonly_fields = ("created_at",)


def _failures_of(field: str) -> Subquery:
    """The failures within the cool-off sharing this row's `field`."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    same = AccessAttempt.objects.filter(**{field: OuterRef(field), "attempt_time__gte": since})
    return Subquery(
        same.values(field).annotate(total=Sum("failures_since_start")).values("total")[:1]
    )


class PausedFilter(admin.SimpleListFilter):
    title = _("signing in paused")
    parameter_name = "paused"

    def lookups(self, request: HttpRequest, model_admin: object) -> list[tuple[str, str]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        paused = Q(account_failures__gte=settings.LOGIN_FAILURE_LIMIT) | Q(
            client_failures__gte=settings.LOGIN_FAILURE_LIMIT_PER_CLIENT
        )
        if self.value() == "yes":
            return queryset.filter(paused)
        if self.value() == "no":
            return queryset.exclude(paused)
        return queryset


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    """django-axes' sign-in attempts, with its clean-up action working, and
    whether signing in is paused for the row's account or address.

    axes counts "expired" from the time of a sign-in attempt, which only its
    middleware puts on the request, and only on a sign-in: from the admin the
    action failed on every call (AttributeError, a 500). Here it counts from now.
    axes shows a lock status only for one number as its limit; ours are two
    (accounts.throttling.failure_limit), so the column is ours too.
    """

    list_display = [*axes_admin.AccessAttemptAdmin.list_display, "paused"]
    list_filter = [*axes_admin.AccessAttemptAdmin.list_filter, PausedFilter]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(
                account_failures=_failures_of("username"),
                client_failures=_failures_of("ip_address"),
            )
        )

    @admin.display(description=_("signing in"))
    def paused(self, obj: AccessAttempt) -> str:
        if (obj.account_failures or 0) >= settings.LOGIN_FAILURE_LIMIT:
            return str(_("Paused for this account"))
        if (obj.client_failures or 0) >= settings.LOGIN_FAILURE_LIMIT_PER_CLIENT:
            return str(_("Paused from this address"))
        left = settings.LOGIN_FAILURE_LIMIT - (obj.account_failures or 0)
        return ngettext("%(count)d try left", "%(count)d tries left", left) % {"count": left}

    @admin.action(description=_("Clean up expired attempts"))
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: QuerySet) -> None:
        request.axes_attempt_time = timezone.now()  # type: ignore[attr-defined]
        super().cleanup_expired_attempts(request, queryset)


admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, AccessAttemptAdmin)
