from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MicroblogConfig(AppConfig):
    name = "microblog"
    verbose_name = _("Posts")

    def ready(self) -> None:
        # Notification types and the signal receivers that hand off to them.
        from . import notifications, receivers  # noqa: F401
