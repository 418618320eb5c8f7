import pytest
from django.test import Client

from accounts.tests.factories import UserFactory


@pytest.fixture
def user(db):  # type: ignore[no-untyped-def]
    return UserFactory()


@pytest.fixture
def other(db):  # type: ignore[no-untyped-def]
    return UserFactory()


@pytest.fixture
def user_client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client
