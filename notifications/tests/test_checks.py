"""System checks catch each misconfiguration."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from notifications.checks import check_notifications, check_site_url_https


def ids(messages) -> list[str]:  # type: ignore[no-untyped-def]
    return [message.id for message in messages]


def test_the_test_settings_pass():
    assert check_notifications() == []


def test_an_unknown_delivery_mailer_alias(settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "DELIVERY_MAILER": "nope"}
    assert ids(check_notifications()) == ["notifications.E001"]


def test_the_outbox_as_delivery_mailer(settings):
    settings.MAILERS = {
        **settings.MAILERS,
        "delivery": {"BACKEND": "notifications.backends.OutboxEmailBackend"},
    }
    assert ids(check_notifications()) == ["notifications.E005"]


def test_q2_retry_not_larger_than_timeout(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 300, "retry": 300}
    assert ids(check_notifications()) == ["notifications.E002"]


def test_q2_retrying_forever(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "max_attempts": 0}
    assert ids(check_notifications()) == ["notifications.E003"]


def test_missing_site_url(settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "SITE_URL": ""}
    settings.SITE_URL = ""
    assert ids(check_notifications()) == ["notifications.E004"]


def test_the_project_site_url_serves_when_notifications_has_none(settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "SITE_URL": ""}
    settings.SITE_URL = "https://example.com/"
    assert check_notifications() == []


def test_plain_http_site_url_in_production(settings):
    settings.DEBUG = False
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "SITE_URL": "http://example.com"}
    assert ids(check_site_url_https()) == ["notifications.E007"]
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "SITE_URL": "https://example.com"}
    assert check_site_url_https() == []


def test_nonsense_numbers(settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "BATCH_SIZE": 0}
    assert ids(check_notifications()) == ["notifications.E006"]


def test_an_unknown_job_backend(settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "JOB_BACKEND": "celery"}
    assert ids(check_notifications()) == ["notifications.E008"]


def test_with_django_tasks_the_q2_settings_are_not_checked(settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "JOB_BACKEND": "django_tasks"}
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "max_attempts": 0, "retry": 1}
    assert check_notifications() == []


@pytest.mark.django_db
def test_the_framework_test_project_passes_every_system_check(capsys):
    call_command("check")
    assert "System check identified no issues" in capsys.readouterr().out
