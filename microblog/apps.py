from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class MicroblogConfig(AppConfig):
    name = "microblog"
    verbose_name = _("Posts")

    def ready(self) -> None:
        # Notification types and the signal receivers that hand off to them.
        from . import notifications, receivers  # noqa: F401


class MicroblogAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin on the project's site (microblog.adminsite)."""

    default = False  # MicroblogConfig stays the "microblog" app's config
    default_site = "microblog.adminsite.MicroblogAdminSite"
