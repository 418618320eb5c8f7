"""Amazon SES through SNS: every message's signature is verified before it is acted on.

A locally made key and certificate stand in for Amazon's; the certificate
fetcher is injected (NOTIFICATIONS["SNS_CERTIFICATE_FETCHER"]), so nothing
goes to the network. SNS subscriptions are confirmed through boto3, stubbed
with botocore's Stubber.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from anymail.webhooks.amazon_ses import AmazonSESBaseWebhookView
from botocore.stub import Stubber
from django.test import Client

from notifications.models import Suppression, TrackingEvent
from notifications.tracking import sns
from notifications.tracking.sns import (
    CertificateUnavailable,
    SnsSignatureError,
    certificate_url_problem,
    verify_sns_message,
)

from . import webhook_requests as hooks
from .webhook_requests import (
    AUTH,
    SNS_CERT_URL,
    SNS_TOPIC,
    anymail_settings,
    sns_certificate,
    sns_notification,
    sns_request,
    sns_sign,
    sns_subscription_confirmation,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("notifications.tests.webhook_urls")]

URL = "/webhooks/anymail/amazon_ses/tracking/"
BOUNCE = {
    "notificationType": "Bounce",
    "bounce": {
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": "gone@example.com", "action": "failed"}],
        "timestamp": "2026-11-21T10:00:00.120Z",
    },
    "mail": {
        "timestamp": "2026-11-21T10:00:00.000Z",
        "messageId": "0102019b3c7a1e41-5b2a8f13-3a1e-4c2d-9c2a-7d1e0f9c8b01-000000",
        "destination": ["gone@example.com"],
    },
}


@pytest.fixture(autouse=True)
def sns_settings(settings):  # type: ignore[no-untyped-def]
    settings.ANYMAIL = anymail_settings()
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "SNS_CERTIFICATE_FETCHER": sns_certificate,
        "SNS_TOPIC_ARNS": [],
    }
    sns.certificates.clear()
    hooks.fetched_certificates.clear()


def post(envelope: dict[str, Any], **extra: Any):  # type: ignore[no-untyped-def]
    return Client(raise_request_exception=False).post(URL, **sns_request(envelope), **extra)


def nothing_recorded() -> bool:
    return not TrackingEvent.objects.exists() and not Suppression.objects.exists()


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_notification_signed_by_sns_is_recorded(version):
    response = post(sns_sign(sns_notification(BOUNCE), version=version), **AUTH)

    assert response.status_code == 200, response.content
    assert Suppression.objects.get().address == "gone@example.com"
    assert hooks.fetched_certificates == [SNS_CERT_URL]


def test_the_certificate_is_fetched_once():
    for number in range(3):
        envelope = sns_notification(
            BOUNCE, message_id=f"9f1c0b7e-0000-4000-8000-00000000000{number}"
        )
        assert post(sns_sign(envelope), **AUTH).status_code == 200

    assert hooks.fetched_certificates == [SNS_CERT_URL]


def test_without_credentials_sns_gets_the_401_challenge_it_needs():
    response = post(sns_sign(sns_notification(BOUNCE)))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic ")
    assert nothing_recorded()


def _forged(envelope: dict[str, Any]) -> dict[str, Any]:
    envelope["Message"] = envelope["Message"].replace("gone@", "else@")
    return envelope


def _without(name: str):  # type: ignore[no-untyped-def]
    def change(envelope: dict[str, Any]) -> dict[str, Any]:
        del envelope[name]
        return envelope

    return change


def _cert_url(url: str):  # type: ignore[no-untyped-def]
    def change(envelope: dict[str, Any]) -> dict[str, Any]:
        envelope["SigningCertURL"] = url
        return envelope

    return change


def _set(name: str, value: Any):  # type: ignore[no-untyped-def]
    def change(envelope: dict[str, Any]) -> dict[str, Any]:
        envelope[name] = value
        return envelope

    return change


@pytest.mark.parametrize(
    "change",
    [
        _forged,
        _without("Signature"),
        _without("SignatureVersion"),
        _without("SigningCertURL"),
        _set("Signature", "not base64!"),
        _set("Signature", "AAAA"),
        _set("SignatureVersion", "3"),
        _set("Subject", "added after signing"),
        _set("TopicArn", "arn:aws:sns:eu-west-1:999999999999:someone-else"),
        _set("Timestamp", ["2026-11-21T10:00:01.000Z"]),
        _cert_url("https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem"),
        _cert_url("https://evil.example/SimpleNotificationService-1.pem"),
        _cert_url("http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem"),
        _cert_url("https://sns.eu-west-1.amazonaws.com:8443/SimpleNotificationService-1.pem"),
        _cert_url("https://user@sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem"),
        _cert_url("https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.txt"),
    ],
    ids=[
        "message changed",
        "unsigned",
        "no version",
        "no certificate URL",
        "signature not base64",
        "signature of the wrong key",
        "unknown version",
        "field added after signing",
        "topic changed",
        "list where a string belongs",
        "foreign host ending like SNS",
        "foreign host",
        "plain http",
        "another port",
        "credentials in the URL",
        "not a .pem",
    ],
)
def test_a_message_not_signed_by_sns_is_refused_and_nothing_recorded(change):
    envelope = change(sns_sign(sns_notification(BOUNCE)))

    response = post(envelope, **AUTH)

    assert response.status_code == 400
    assert nothing_recorded()
    # A certificate is only ever fetched from Amazon's SNS hosts.
    assert set(hooks.fetched_certificates) <= {SNS_CERT_URL}


def test_a_topic_outside_the_allowed_list_is_refused(settings):
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "SNS_TOPIC_ARNS": ["arn:aws:sns:eu-west-1:123456789012:other-topic"],
    }
    assert post(sns_sign(sns_notification(BOUNCE)), **AUTH).status_code == 400
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "SNS_TOPIC_ARNS": [SNS_TOPIC]}
    assert post(sns_sign(sns_notification(BOUNCE)), **AUTH).status_code == 200


def test_a_certificate_that_cannot_be_fetched_now_answers_503_so_sns_retries(settings):
    def unavailable(url: str) -> bytes:
        raise CertificateUnavailable("timed out")

    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "SNS_CERTIFICATE_FETCHER": unavailable}

    response = post(sns_sign(sns_notification(BOUNCE)), **AUTH)

    assert response.status_code == 503
    assert nothing_recorded()


def test_an_expired_certificate_is_refused():
    envelope = sns_sign(sns_notification(BOUNCE))
    later = datetime.now(UTC) + timedelta(days=60)

    with pytest.raises(SnsSignatureError, match="expired"):
        verify_sns_message(envelope, fetch=sns_certificate, now=later)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem", True),
        ("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-a.pem", True),
        ("https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-a.pem", True),
        ("https://sns.amazonaws.com/SimpleNotificationService-a.pem", False),
        ("https://sqs.us-east-1.amazonaws.com/SimpleNotificationService-a.pem", False),
        ("https://sns.us-east-1.amazonaws.com/a.pem?x=1", False),
        ("https://[::1/a.pem", False),
    ],
)
def test_certificate_urls(url, ok):
    assert (certificate_url_problem(url) is None) is ok


class FakeResponse:
    def __init__(self, status: int, body: bytes = b"") -> None:
        self.status_code = status
        self.raw = self
        self._body = body

    def read(self, amount: int, decode_content: bool = False) -> bytes:
        return self._body[:amount]

    def close(self) -> None:
        pass

    def __enter__(self) -> FakeResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


@pytest.mark.parametrize(
    ("status", "raised"),
    [(404, SnsSignatureError), (403, SnsSignatureError), (500, CertificateUnavailable)],
)
def test_the_https_fetcher_tells_a_missing_certificate_from_an_outage(monkeypatch, status, raised):
    calls: list[dict[str, Any]] = []

    def get(url: str, **kwargs: Any) -> FakeResponse:
        calls.append({"url": url, **kwargs})
        return FakeResponse(status)

    monkeypatch.setattr(sns.requests, "get", get)

    with pytest.raises(raised):
        sns.fetch_certificate(SNS_CERT_URL)
    assert calls[0]["allow_redirects"] is False
    assert calls[0]["timeout"] > 0


def test_the_https_fetcher_refuses_a_huge_body(monkeypatch):
    monkeypatch.setattr(
        sns.requests, "get", lambda url, **kw: FakeResponse(200, b"x" * (70 * 1024))
    )
    with pytest.raises(SnsSignatureError, match="too large"):
        sns.fetch_certificate(SNS_CERT_URL)


@pytest.fixture
def sns_api(monkeypatch):  # type: ignore[no-untyped-def]
    """boto3's SNS client, stubbed: records the subscription confirmations it is asked for."""
    client = boto3.client(
        "sns", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    stubber = Stubber(client)
    stubber.activate()
    regions: list[str] = []

    def get_boto_client(self, service_name: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        assert service_name == "sns"
        regions.append(kwargs.get("region_name"))
        return client

    monkeypatch.setattr(AmazonSESBaseWebhookView, "get_boto_client", get_boto_client)
    stubber.regions = regions  # type: ignore[attr-defined]
    return stubber


def test_a_signed_subscription_confirmation_is_confirmed(sns_api):
    confirmation = sns_subscription_confirmation()
    sns_api.add_response(
        "confirm_subscription",
        {"SubscriptionArn": f"{SNS_TOPIC}:2c5a4f0b-2b3e-4c5e-8e4f-0a1b2c3d4e5f"},
        {
            "TopicArn": SNS_TOPIC,
            "Token": confirmation["Token"],
            "AuthenticateOnUnsubscribe": "true",
        },
    )

    response = post(sns_sign(confirmation, version="2"), **AUTH)

    assert response.status_code == 200, response.content
    sns_api.assert_no_pending_responses()
    assert sns_api.regions == ["eu-west-1"]  # the topic's own region
    assert nothing_recorded()


def test_a_confirmation_aws_refuses_answers_503_for_sns_to_retry(sns_api):
    sns_api.add_client_error(
        "confirm_subscription", service_error_code="AuthorizationError", http_status_code=403
    )

    response = post(sns_sign(sns_subscription_confirmation()), **AUTH)

    assert response.status_code == 503, response.content
    assert b"cannot be confirmed now" in response.content
    assert nothing_recorded()


def test_a_forged_subscription_confirmation_is_not_confirmed(sns_api):
    confirmation = sns_sign(sns_subscription_confirmation())
    confirmation["TopicArn"] = "arn:aws:sns:eu-west-1:999999999999:attacker"

    response = post(confirmation, **AUTH)

    assert response.status_code == 400
    assert sns_api.regions == []  # boto3 was never asked


def test_an_unknown_sns_message_type_is_a_bad_request():
    envelope = copy.deepcopy(sns_sign(sns_notification(BOUNCE)))
    envelope["Type"] = "Surprise"

    response = post(envelope, **AUTH)

    assert response.status_code == 400
    assert nothing_recorded()
