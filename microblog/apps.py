from django.apps import AppConfig


class MicroblogConfig(AppConfig):
    name = "microblog"
    verbose_name = "Posts"
