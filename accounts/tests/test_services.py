from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from accounts.exceptions import AccountsError, InactiveUserError, SelfFollowError
from accounts.models import Follow, User
from accounts.services import (
    LAST_SEEN_INTERVAL,
    follow_create,
    follow_delete,
    profile_update,
    user_create,
    user_language_set,
    user_touch_last_seen,
)
from accounts.tests.factories import FollowFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_user_create_makes_an_active_user_with_a_usable_password():
    user = user_create(username="ada", email="Ada@Example.COM", password="s3cret-pass")
    assert user.is_active
    assert user.check_password("s3cret-pass")
    assert user.email == "Ada@example.com"  # the domain is normalised


def test_user_create_rejects_a_username_differing_only_in_case():
    UserFactory(username="grace")
    with pytest.raises(ValidationError) as error:
        user_create(username="GRACE", email="g2@example.com", password="s3cret-pass")
    assert "That username is taken." in error.value.messages


def test_user_create_rejects_invalid_usernames():
    with pytest.raises(ValidationError):
        user_create(username="a b", email="ab@example.com", password="s3cret-pass")


def test_profile_update_strips_and_saves():
    user = UserFactory()
    profile_update(user=user, about_me="  hello  ", language="zh-hans")
    user.refresh_from_db()
    assert (user.about_me, user.language) == ("hello", "zh-hans")


def test_profile_update_rejects_unknown_language():
    with pytest.raises(ValidationError):
        profile_update(user=UserFactory(), about_me="", language="xx")


def test_user_language_set_rejects_unknown_language():
    with pytest.raises(ValidationError):
        user_language_set(user=UserFactory(), language="klingon")


def test_follow_create_is_idempotent():
    alice, bob = UserFactory(), UserFactory()
    first = follow_create(follower=bob, followed=alice)
    second = follow_create(follower=bob, followed=alice)
    assert first.pk == second.pk
    assert Follow.objects.count() == 1
    assert second.created_at == first.created_at


def test_follow_create_fires_post_save_created_only_once():
    alice, bob = UserFactory(), UserFactory()
    seen: list[bool] = []

    def receiver(sender, instance, created, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(created)

    post_save.connect(receiver, sender=Follow, dispatch_uid="test-follow-created")
    try:
        follow_create(follower=bob, followed=alice)
        follow_create(follower=bob, followed=alice)
    finally:
        post_save.disconnect(dispatch_uid="test-follow-created", sender=Follow)
    assert seen == [True]


def test_follow_create_signal_runs_inside_the_transaction():
    alice, bob = UserFactory(), UserFactory()
    in_atomic: list[bool] = []

    def receiver(sender, instance, created, **kwargs):  # type: ignore[no-untyped-def]
        in_atomic.append(transaction.get_connection().in_atomic_block)

    post_save.connect(receiver, sender=Follow, dispatch_uid="test-follow-atomic")
    try:
        follow_create(follower=bob, followed=alice)
    finally:
        post_save.disconnect(dispatch_uid="test-follow-atomic", sender=Follow)
    assert in_atomic == [True]


def test_follow_create_refuses_self_follow():
    user = UserFactory()
    with pytest.raises(SelfFollowError):
        follow_create(follower=user, followed=user)
    assert issubclass(SelfFollowError, AccountsError)
    assert not Follow.objects.exists()


def test_follow_create_refuses_deactivated_user():
    with pytest.raises(InactiveUserError):
        follow_create(follower=UserFactory(), followed=UserFactory(is_active=False))


def test_follow_delete_reports_whether_a_follow_existed_and_fires_post_delete():
    follow = FollowFactory()
    deleted: list[int] = []

    def receiver(sender, instance, **kwargs):  # type: ignore[no-untyped-def]
        deleted.append(instance.pk)

    post_delete.connect(receiver, sender=Follow, dispatch_uid="test-follow-deleted")
    try:
        assert follow_delete(follower=follow.follower, followed=follow.followed) is True
        assert follow_delete(follower=follow.follower, followed=follow.followed) is False
    finally:
        post_delete.disconnect(dispatch_uid="test-follow-deleted", sender=Follow)
    assert deleted == [follow.pk]
    assert not Follow.objects.exists()


def test_database_rejects_a_duplicate_follow_when_the_service_is_bypassed():
    follow = FollowFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(follower=follow.follower, followed=follow.followed)


def test_database_rejects_a_self_follow_when_the_service_is_bypassed():
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(follower=user, followed=user)


def test_database_rejects_usernames_and_emails_differing_only_in_case():
    UserFactory(username="Linus", email="linus@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="linus", email="other@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="other", email="LINUS@example.com")


def test_last_seen_is_written_at_most_once_per_interval(django_assert_num_queries):
    user = UserFactory()
    now = timezone.now()
    assert user_touch_last_seen(user=user, now=now) is True
    with django_assert_num_queries(0):
        assert user_touch_last_seen(user=user, now=now + timedelta(minutes=1)) is False
    later = now + LAST_SEEN_INTERVAL + timedelta(seconds=1)
    assert user_touch_last_seen(user=user, now=later) is True
    user.refresh_from_db()
    assert user.last_seen == later


def test_user_create_makes_a_superuser_only_when_asked():
    plain = user_create(username="plain", email="plain@example.com", password="s3cret-pass")
    admin = user_create(
        username="admin1", email="admin1@example.com", password="s3cret-pass", superuser=True
    )
    assert (plain.is_staff, plain.is_superuser) == (False, False)
    assert (admin.is_staff, admin.is_superuser) == (True, True)
