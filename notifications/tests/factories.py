"""Factories of the framework's tests: contrib auth users and the test app's models."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth.models import User
from factory.django import DjangoModelFactory, Password

from notifications.tests.testapp.models import Note, Profile, Wave

PASSWORD = "correct-horse-battery"


class UserFactory(DjangoModelFactory):
    """A contrib auth user; `language=` / `timezone=` give them a Profile holding it."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = Password(PASSWORD)

    @factory.post_generation
    def language(user: User, create: bool, extracted: str | None, **kwargs: Any) -> None:
        if create and extracted is not None:
            Profile.objects.update_or_create(user=user, defaults={"language": extracted})

    @factory.post_generation
    def timezone(user: User, create: bool, extracted: str | None, **kwargs: Any) -> None:
        if create and extracted is not None:
            Profile.objects.update_or_create(user=user, defaults={"timezone": extracted})


class WaveFactory(DjangoModelFactory):
    class Meta:
        model = Wave

    actor = factory.SubFactory(UserFactory)
    target = factory.SubFactory(UserFactory)


class NoteFactory(DjangoModelFactory):
    class Meta:
        model = Note

    author = factory.SubFactory(UserFactory)
    recipient = factory.SubFactory(UserFactory)
    body = factory.Sequence(lambda n: f"Note number {n}")
