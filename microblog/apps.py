from django.apps import AppConfig


class MicroblogConfig(AppConfig):
    name = "microblog"
    verbose_name = "Posts"

    def ready(self) -> None:
        # Notification types and the signal receivers that hand off to them.
        from . import notifications, receivers  # noqa: F401
