"""Posts: what users write and the timeline shows."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

POST_MAX_LENGTH = 280


class Post(models.Model):
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts"
    )
    body = models.CharField(_("post"), max_length=POST_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["author", "-created_at"], name="post_author_recent_idx")]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:40]}"
