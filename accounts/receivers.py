"""Signal receivers of accounts: they only hand off to services."""

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Follow
from .notifications import new_follower_notify, new_follower_withdraw
from .throttling import account_failures_clear


@receiver(post_save, sender=Follow, dispatch_uid="accounts.follow_created_notify")
def follow_created(sender, instance: Follow, created: bool, raw: bool = False, **kwargs):  # type: ignore[no-untyped-def]
    if created and not raw:
        new_follower_notify(follow=instance)


@receiver(post_delete, sender=Follow, dispatch_uid="accounts.follow_deleted_withdraw")
def follow_deleted(sender, instance: Follow, **kwargs):  # type: ignore[no-untyped-def]
    new_follower_withdraw(follow=instance)


@receiver(user_logged_in, dispatch_uid="accounts.signed_in_clears_own_failures")
def signed_in(sender, request, user, **kwargs):  # type: ignore[no-untyped-def]
    """A success clears the failed sign-ins of this account, not of others
    tried from the same address."""
    account_failures_clear(request=request, user=user)
