"""Tiny models a notification can be about."""

from django.conf import settings
from django.db import models


class Profile(models.Model):
    """What the project knows of a user beyond contrib auth: language and time zone."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    language = models.CharField(max_length=10, blank=True)
    timezone = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"profile of {self.user}"


class Wave(models.Model):
    """`actor` waved at `target`; deleting it takes the wave back."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["actor", "target"], name="one_wave")]

    def __str__(self) -> str:
        return f"{self.actor} waved at {self.target}"


class Note(models.Model):
    """A short note `author` left for `recipient`."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    body = models.TextField()

    def __str__(self) -> str:
        return f"note #{self.pk} from {self.author}"
