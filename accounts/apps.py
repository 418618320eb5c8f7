from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Notification types and the signal receivers that hand off to them.
        from . import notifications, receivers  # noqa: F401
