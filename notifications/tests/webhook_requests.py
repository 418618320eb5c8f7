"""Webhook requests as each ESP sends them: its body format and its signature.

``ANYMAIL_SETTINGS`` configures every ESP's webhook keys (and the basic-auth
credentials in ``AUTH``); ``request_for(esp, payload)`` returns the keyword
arguments of a test client POST carrying `payload` the way that ESP posts it,
signed the way it signs. Keys are made for the test run; nothing here talks
to the network. Amazon SES payloads go inside an SNS envelope signed with a
locally made certificate, which ``sns_certificate`` serves in place of
Amazon's (install it with ``NOTIFICATIONS["SNS_CERTIFICATE_FETCHER"]``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlencode

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

WEBHOOK_SECRET = "hook:secret"
AUTH = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(WEBHOOK_SECRET.encode()).decode()}
MANDRILL_URL = "https://microblog.example.com/webhooks/anymail/mandrill/"
SNS_TOPIC = "arn:aws:sns:eu-west-1:123456789012:microblog-ses-events"
SNS_CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-7506a1e35b36ef5a444dd1a8e7cc3ed8.pem"

SECRETS = {
    "mailersend": "mailersend-signing-secret",
    "mailgun": "mailgun-signing-key",
    "mailtrap": "mailtrap-tracking-secret",
    "mandrill": "mandrill-webhook-key",
    "resend": "whsec_" + base64.b64encode(b"resend-signing-secret").decode(),
    "unisender_go": "unisender-go-api-key",
}

# Where each ESP posts (relative to where the webhooks are mounted).
PATHS = {"mandrill": "mandrill/"}


def webhook_path(esp: str, mount: str = "/webhooks/anymail/") -> str:
    return mount + PATHS.get(esp, f"{esp}/tracking/")


@cache
def _postal_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def _sendgrid_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _public_b64(key: Any) -> str:
    """A public key as Anymail's settings take it: base64 DER, without PEM armour."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def anymail_settings() -> dict[str, Any]:
    return {
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "MAILERSEND_SIGNING_SECRET": SECRETS["mailersend"],
        "MAILGUN_WEBHOOK_SIGNING_KEY": SECRETS["mailgun"],
        "MAILTRAP_TRACKING_SECRET": SECRETS["mailtrap"],
        "MANDRILL_WEBHOOK_KEY": SECRETS["mandrill"],
        "MANDRILL_WEBHOOK_URL": MANDRILL_URL,
        "POSTAL_WEBHOOK_KEY": _public_b64(_postal_key()),
        "RESEND_SIGNING_SECRET": SECRETS["resend"],
        "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": _public_b64(_sendgrid_key()),
        "UNISENDER_GO_API_KEY": SECRETS["unisender_go"],
    }


# --- Amazon SNS ---------------------------------------------------------------------


@cache
def _sns_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def sns_certificate_pem() -> bytes:
    """A self-signed certificate standing in for Amazon's SNS signing certificate."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(_sns_key().public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(_sns_key(), hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


fetched_certificates: list[str] = []


def sns_certificate(url: str) -> bytes:
    """The certificate fetcher of the tests: Amazon's URL serves the local certificate."""
    fetched_certificates.append(url)
    if url != SNS_CERT_URL:
        raise AssertionError(f"a certificate was fetched from {url}")
    return sns_certificate_pem()


# Written out from AWS's documentation, not imported from tracking/sns.py:
# a mistake there must not be checked against itself.
SNS_SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
SNS_SIGNED["UnsubscribeConfirmation"] = SNS_SIGNED["SubscriptionConfirmation"]


def sns_sign(envelope: dict[str, Any], *, version: str = "1") -> dict[str, Any]:
    """`envelope` with SignatureVersion, SigningCertURL and Signature as SNS writes them."""
    envelope = {**envelope, "SignatureVersion": version, "SigningCertURL": SNS_CERT_URL}
    text = "".join(
        f"{name}\n{envelope[name]}\n" for name in SNS_SIGNED[envelope["Type"]] if name in envelope
    )
    # SignatureVersion 1 is SHA-1 by AWS's definition.
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303
    signature = _sns_key().sign(text.encode(), padding.PKCS1v15(), algorithm)
    envelope["Signature"] = base64.b64encode(signature).decode()
    return envelope


def sns_notification(message: Any, *, message_id: str | None = None) -> dict[str, Any]:
    """An unsigned SNS Notification envelope carrying `message` (JSON-encoded unless a str)."""
    return {
        "Type": "Notification",
        "MessageId": message_id or str(uuid.uuid5(uuid.NAMESPACE_OID, json.dumps(message))),
        "TopicArn": SNS_TOPIC,
        "Message": message if isinstance(message, str) else json.dumps(message),
        "Timestamp": "2026-11-21T10:00:01.000Z",
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
        + SNS_TOPIC
        + ":2c5a4f0b-2b3e-4c5e-8e4f-0a1b2c3d4e5f",
    }


def sns_subscription_confirmation() -> dict[str, Any]:
    return {
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37fb687f5d51e6e2425c464de12884e4e3c3bd2bd4a9e9e4d6e6a2a4",
        "TopicArn": SNS_TOPIC,
        "Message": f"You have chosen to subscribe to the topic {SNS_TOPIC}.\n"
        "To confirm the subscription, visit the SubscribeURL included in this message.",
        "SubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"
        f"&TopicArn={SNS_TOPIC}&Token=2336412f37fb",
        "Timestamp": "2026-11-21T09:59:00.000Z",
    }


def sns_request(envelope: dict[str, Any]) -> dict[str, Any]:
    """An SNS HTTP(S) delivery: the envelope as text/plain, its type and id in headers."""
    return {
        "data": json.dumps(envelope).encode(),
        "content_type": "text/plain; charset=UTF-8",
        "headers": {
            "x-amz-sns-message-type": str(envelope.get("Type")),
            "x-amz-sns-message-id": str(envelope.get("MessageId")),
            "x-amz-sns-topic-arn": str(envelope.get("TopicArn")),
        },
    }


# --- Every ESP -------------------------------------------------------------------------


def _hmac(key: str, data: bytes, digest: str = "sha256") -> str:
    return hmac.new(key.encode(), data, digest).hexdigest()


def mailgun_signed(payload: dict[str, Any], *, attempt: int = 0) -> dict[str, Any]:
    """Mailgun's signature block for a delivery: a new token and timestamp each time."""
    timestamp = str(int(time.time()) + attempt)
    token = hashlib.sha256(f"token-{attempt}".encode()).hexdigest()[:50]
    signature = _hmac(SECRETS["mailgun"], f"{timestamp}{token}".encode())
    return {
        **payload,
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
    }


def unisender_go_signed(payload: dict[str, Any]) -> bytes:
    """The body with its "auth" field: MD5 of the body with the API key in its place."""
    placeholder = "__AUTH_PLACEHOLDER__"
    body = json.dumps({**payload, "auth": placeholder}, separators=(",", ":"))
    auth = hashlib.md5(body.replace(placeholder, SECRETS["unisender_go"]).encode()).hexdigest()  # noqa: S324
    return body.replace(placeholder, auth).encode()


def request_for(
    esp: str, payload: Any, *, attempt: int = 0, content_type: str = "application/json"
) -> dict[str, Any]:
    """Test-client POST arguments for `payload` posted and signed the way `esp` does.

    `payload` is the ESP's JSON payload (for Amazon SES, the SES notification
    that goes inside an SNS envelope; for Mandrill, the events of its
    mandrill_events field), or bytes to post as they are, signed where the
    signature does not live inside the body.
    """
    if esp == "amazon_ses" and not isinstance(payload, bytes):
        return sns_request(sns_sign(sns_notification(payload)))
    if esp == "mandrill" and not isinstance(payload, bytes):
        fields = {"mandrill_events": json.dumps(payload)}
        body = urlencode(fields).encode()
        content_type = "application/x-www-form-urlencoded"
        signed = MANDRILL_URL + "".join(key + fields[key] for key in sorted(fields))
        digest = hmac.new(SECRETS["mandrill"].encode(), signed.encode(), "sha1").digest()
        return {
            "data": body,
            "content_type": content_type,
            "headers": {"X-Mandrill-Signature": base64.b64encode(digest).decode()},
        }
    if isinstance(payload, bytes):
        body = payload
    elif esp == "mailgun" and isinstance(payload, dict):
        body = json.dumps(mailgun_signed(payload, attempt=attempt)).encode()
    elif esp == "unisender_go" and isinstance(payload, dict):
        body = unisender_go_signed(payload)
    else:
        body = json.dumps(payload).encode()
    return {
        "data": body,
        "content_type": content_type,
        "headers": _signature_headers(esp, body, attempt),
    }


def _signature_headers(esp: str, body: bytes, attempt: int) -> dict[str, str]:
    if esp == "mailersend":
        return {"Signature": _hmac(SECRETS["mailersend"], body)}
    if esp == "mailtrap":
        return {"Mailtrap-Signature": _hmac(SECRETS["mailtrap"], body)}
    if esp == "postal":
        # Postal signs with SHA-1.
        signature = _postal_key().sign(body, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
        return {"X-Postal-Signature": base64.b64encode(signature).decode()}
    if esp == "sendgrid":
        timestamp = str(int(time.time()) + attempt)
        signature = _sendgrid_key().sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        }
    if esp == "resend":
        from svix.webhooks import Webhook

        svix_id = "msg_" + hashlib.sha256(body).hexdigest()[:27]  # the same on every redelivery
        sent_at = datetime.now(UTC) + timedelta(seconds=attempt)
        signature = Webhook(SECRETS["resend"]).sign(
            svix_id, sent_at, body.decode("utf-8", "replace")
        )
        return {
            "svix-id": svix_id,
            "svix-timestamp": str(int(sent_at.timestamp())),
            "svix-signature": signature,
        }
    return {}
