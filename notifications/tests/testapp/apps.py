from django.apps import AppConfig


class TestAppConfig(AppConfig):
    name = "notifications.tests.testapp"
    label = "testapp"
    verbose_name = "Notifications test app"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import notifications  # noqa: F401 -- the types register themselves
        from .receivers import connect

        connect()
