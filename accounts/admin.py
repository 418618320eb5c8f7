from axes import admin as axes_admin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    """django-axes' sign-in attempts, with its clean-up action working.

    axes counts "expired" from the time of a sign-in attempt, which only its
    middleware puts on the request, and only on a sign-in: from the admin the
    action failed on every call (AttributeError, a 500). Here it counts from now.
    """

    @admin.action(description=_("Clean up expired attempts"))
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: QuerySet) -> None:
        request.axes_attempt_time = timezone.now()  # type: ignore[attr-defined]
        super().cleanup_expired_attempts(request, queryset)


admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, AccessAttemptAdmin)
