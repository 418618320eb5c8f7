from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True  # this module also holds django-axes' config, below
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Notification types and the signal receivers that hand off to them.
        from . import notifications, receivers  # noqa: F401


class SignInThrottlingConfig(AxesAppConfig):
    """django-axes, under a name staff understand in the admin's index."""

    verbose_name = _("Sign-in throttling")
