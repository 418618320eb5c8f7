"""The site's tracking webhooks, through its own URLs and settings.

The framework's tests (notifications/tests/test_webhooks_*.py, test_sns.py)
cover each ESP's payloads and hostile input; these check what the site
mounts and what an operator sees with the project's settings: Amazon SES
answers SNS's 401 challenge and records a correctly signed notification, and
an ESP whose signing key is not configured answers 403, never 500.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from notifications.models import Suppression, TrackingEvent
from notifications.providers import ESPS
from notifications.tests.webhook_requests import (
    AUTH,
    request_for,
    sns_certificate,
    sns_notification,
    sns_request,
    sns_sign,
)

pytestmark = pytest.mark.django_db

SES_BOUNCE = {
    "notificationType": "Bounce",
    "bounce": {
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": "gone@example.com", "action": "failed"}],
    },
    "mail": {"messageId": "0102019b3c7a1e41-000000", "destination": ["gone@example.com"]},
}


@pytest.fixture
def sns_fetcher(settings):  # type: ignore[no-untyped-def]
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "SNS_CERTIFICATE_FETCHER": sns_certificate}


def test_every_tracking_webhook_is_mounted_under_webhooks_anymail():
    for key, esp in ESPS.items():
        if not esp.has_tracking_webhook:
            continue
        name = (
            "anymail:mandrill_webhook" if key == "mandrill" else f"anymail:{key}_tracking_webhook"
        )
        expected = (
            "/webhooks/anymail/mandrill/"
            if key == "mandrill"
            else f"/webhooks/anymail/{key}/tracking/"
        )
        assert reverse(name) == expected


@pytest.mark.parametrize(
    "path",
    ["/webhooks/anymail/postmark/inbound/", "/webhooks/anymail/sendinblue/tracking/"],
)
def test_inbound_mail_and_deprecated_aliases_are_not_mounted(path):
    assert Client().post(path, "{}", content_type="application/json", **AUTH).status_code == 404


def test_amazon_ses_challenges_sns_for_credentials(sns_fetcher):
    response = Client().post(
        "/webhooks/anymail/amazon_ses/tracking/",
        **sns_request(sns_sign(sns_notification(SES_BOUNCE))),
    )

    assert response.status_code == 401
    assert 'Basic realm="Anymail WEBHOOK_SECRET"' in response["WWW-Authenticate"]
    assert not TrackingEvent.objects.exists()


def test_amazon_ses_records_a_notification_signed_by_sns(sns_fetcher):
    envelope = sns_sign(sns_notification(SES_BOUNCE), version="2")

    response = Client().post(
        "/webhooks/anymail/amazon_ses/tracking/", **sns_request(envelope), **AUTH
    )

    assert response.status_code == 200
    assert Suppression.objects.get().address == "gone@example.com"


def test_amazon_ses_refuses_a_forged_notification_even_with_the_credentials(sns_fetcher):
    envelope = sns_sign(sns_notification(SES_BOUNCE))
    envelope["SigningCertURL"] = "https://attacker.example/SimpleNotificationService-1.pem"

    response = Client().post(
        "/webhooks/anymail/amazon_ses/tracking/", **sns_request(envelope), **AUTH
    )

    assert response.status_code == 400
    assert not TrackingEvent.objects.exists()
    assert not Suppression.objects.exists()


@pytest.mark.parametrize("esp", ["mailersend", "mandrill", "postal", "unisender_go"])
def test_a_webhook_whose_signing_key_the_site_lacks_answers_403(esp):
    # microblog/settings/test.py configures basic auth and Mailgun's key only.
    path = (
        "/webhooks/anymail/mandrill/" if esp == "mandrill" else f"/webhooks/anymail/{esp}/tracking/"
    )
    response = Client(raise_request_exception=False).post(
        path, **request_for(esp, {"event": "hard_bounce"}), **AUTH
    )

    assert response.status_code == 403
    assert not TrackingEvent.objects.exists()
