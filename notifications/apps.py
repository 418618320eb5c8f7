from django.apps import AppConfig
from django.db.models.signals import post_migrate


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # System checks, the receiver of provider tracking events, and the
        # framework's own notification type (the daily digest).
        from . import checks, digest, tracking  # noqa: F401

        # The sweep's Schedule is (re)created after every migrate, so a new
        # deployment gets it and a changed SWEEP_INTERVAL takes effect.
        post_migrate.connect(
            _after_migrate, sender=self, dispatch_uid="notifications.sweep_schedule"
        )


def _after_migrate(sender, using="default", **kwargs):  # type: ignore[no-untyped-def]
    from django.db import DEFAULT_DB_ALIAS, connections

    from .schedule import sweep_schedule_ensure

    if using != DEFAULT_DB_ALIAS:
        return
    if "django_q_schedule" not in connections[using].introspection.table_names():
        return  # django_q is not migrated (yet)
    sweep_schedule_ensure()
