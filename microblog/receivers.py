"""Signal receivers of posts: they only hand off to services."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Post
from .notifications import mentions_notify


@receiver(post_save, sender=Post, dispatch_uid="microblog.post_created_mentions")
def post_created(sender, instance: Post, created: bool, raw: bool = False, **kwargs):  # type: ignore[no-untyped-def]
    if created and not raw:
        mentions_notify(post=instance)
