"""The app's configuration: what connects when Django starts."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from anymail.signals import tracking

        # System checks, and the framework's own notification type (the daily digest).
        from . import checks, digest  # noqa: F401
        from .tracking.events import handle_tracking_event

        tracking.connect(handle_tracking_event, dispatch_uid="notifications.tracking_event_record")
        # Each worker process watches for rows coming due (see dispatch.watch).
        from .dispatch.watch import start_watcher
        from .queue import on_worker_start

        on_worker_start(start_watcher)
        # Inside a request, the workers are woken once its response is sent.
        from django.core import signals

        from .enqueue import wakeup

        signals.request_started.connect(
            wakeup.hold_wake_ups_for_response, dispatch_uid="notifications.hold_wake_ups"
        )
        signals.request_finished.connect(
            wakeup.wake_after_response, dispatch_uid="notifications.wake_after_response"
        )
        # The periodic jobs' schedules are (re)created after every migrate, so a
        # new deployment gets them and a changed setting takes effect.
        post_migrate.connect(
            _after_migrate, sender=self, dispatch_uid="notifications.sweep_schedule"
        )


def _after_migrate(sender, using="default", **kwargs):  # type: ignore[no-untyped-def]
    from django.db import DEFAULT_DB_ALIAS

    from .queue import schedules_ensure, schedules_tables_ready

    if using == DEFAULT_DB_ALIAS and schedules_tables_ready(using):
        schedules_ensure()
