"""Amazon SNS message signatures, verified before an SES notification is acted on.

Amazon SES reports bounces and complaints through SNS, which signs every
message it posts; Anymail's SES webhook checks the basic-auth credentials and
that the SNS headers match the body, and leaves the signature to the project.
Without it, anyone holding the webhook credentials could suppress any
address. ``verify_sns_message`` implements AWS's documented procedure:

* the certificate URL must be https on an ``sns.<region>.amazonaws.com``
  host (``.amazonaws.com.cn`` in China) and name a ``.pem`` file; only then
  is it fetched (once per process: SNS certificates are named by URL);
* the string to sign is built from the message's fields in AWS's order;
* SignatureVersion "1" is RSA PKCS#1 v1.5 over SHA-1, "2" over SHA-256.

A message that fails is refused with 400 (``SnsSignatureError`` is
Anymail's validation failure, a SuspiciousOperation). A certificate that
cannot be fetched for a reason on Amazon's side or ours (timeout, 5xx)
answers 503 instead, so SNS delivers the message again later.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from anymail.exceptions import AnymailWebhookValidationFailure
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.utils.module_loading import import_string

from ..conf import conf

logger = logging.getLogger(__name__)

# The fields each message type signs, in the order AWS concatenates them.
SIGNED_FIELDS = {
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
SIGNED_FIELDS["UnsubscribeConfirmation"] = SIGNED_FIELDS["SubscriptionConfirmation"]
# Fields every message of the type must have (Subject is optional).
REQUIRED_FIELDS = {
    kind: tuple(name for name in fields if name != "Subject")
    for kind, fields in SIGNED_FIELDS.items()
}
HASHES: dict[str, type[hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
CERTIFICATE_HOST = re.compile(r"^sns\.[a-z0-9-]{3,}\.amazonaws\.com(\.cn)?$")
CERTIFICATE_MAX_BYTES = 64 * 1024
FETCH_TIMEOUT = 5.0

CertificateFetcher = Callable[[str], bytes]


class SnsSignatureError(AnymailWebhookValidationFailure):
    """The message is not signed by SNS (or not one we accept): answered 400."""


class CertificateUnavailable(Exception):
    """The signing certificate could not be fetched now: answered 503, SNS retries."""


def string_to_sign(message: dict[str, Any]) -> bytes:
    fields = SIGNED_FIELDS[message["Type"]]
    return "".join(f"{name}\n{message[name]}\n" for name in fields if name in message).encode()


def certificate_url_problem(url: str) -> str | None:
    """Why `url` is not an SNS signing certificate's address, or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "the certificate URL cannot be parsed"
    if parts.scheme != "https":
        return "the certificate URL is not https"
    if parts.username or parts.password or port not in (None, 443):
        return "the certificate URL has credentials or a port"
    if not CERTIFICATE_HOST.match(parts.hostname or ""):
        return f"the certificate is not on an SNS host ({parts.hostname})"
    if not parts.path.endswith(".pem") or parts.query or parts.fragment:
        return "the certificate URL does not name a .pem file"
    return None


def fetch_certificate(url: str) -> bytes:
    """The PEM at `url`, over https (certificate verified), without redirects."""
    try:
        with requests.get(
            url, timeout=FETCH_TIMEOUT, allow_redirects=False, stream=True
        ) as response:
            body = response.raw.read(CERTIFICATE_MAX_BYTES + 1, decode_content=True)
    except (requests.RequestException, OSError) as error:
        raise CertificateUnavailable(f"fetching {url}: {error}") from error
    if response.status_code >= 500 or response.status_code == 429:
        raise CertificateUnavailable(f"fetching {url}: HTTP {response.status_code}")
    if response.status_code != 200:
        raise SnsSignatureError(f"no SNS certificate at {url} (HTTP {response.status_code})")
    if len(body) > CERTIFICATE_MAX_BYTES:
        raise SnsSignatureError(f"{url} is too large for a certificate")
    return body


class _CertificateCache:
    """Certificates by URL, for the life of the process (bounded)."""

    MAX = 32

    def __init__(self) -> None:
        self._certificates: dict[str, x509.Certificate] = {}
        self._lock = threading.Lock()

    def get(self, url: str, fetch: CertificateFetcher) -> x509.Certificate:
        with self._lock:
            certificate = self._certificates.get(url)
        if certificate is not None:
            return certificate
        try:
            certificate = x509.load_pem_x509_certificate(fetch(url))
        except ValueError as error:
            raise SnsSignatureError(f"{url} is not a PEM certificate") from error
        with self._lock:
            if len(self._certificates) >= self.MAX:
                self._certificates.clear()
            self._certificates[url] = certificate
        return certificate

    def clear(self) -> None:
        with self._lock:
            self._certificates.clear()


certificates = _CertificateCache()


def configured_fetcher() -> CertificateFetcher:
    """NOTIFICATIONS["SNS_CERTIFICATE_FETCHER"] (a callable or dotted path), else https."""
    fetcher = conf.SNS_CERTIFICATE_FETCHER
    if fetcher is None:
        return fetch_certificate
    return import_string(fetcher) if isinstance(fetcher, str) else fetcher


def verify_sns_message(
    message: Any, *, fetch: CertificateFetcher | None = None, now: datetime | None = None
) -> None:
    """Raise SnsSignatureError unless `message` (a parsed SNS body) is signed by SNS.

    Also refuses a topic outside NOTIFICATIONS["SNS_TOPIC_ARNS"] when that is set.
    """
    if not isinstance(message, dict):
        raise SnsSignatureError("the SNS message is not a JSON object")
    kind = message.get("Type")
    if kind not in SIGNED_FIELDS:
        raise SnsSignatureError(f"unknown SNS message type {kind!r}")
    for name in (*REQUIRED_FIELDS[kind], "Signature", "SignatureVersion"):
        if not isinstance(message.get(name), str):
            raise SnsSignatureError(f"the SNS message has no {name}")
    if "Subject" in message and not isinstance(message["Subject"], str):
        raise SnsSignatureError("the SNS message's Subject is not a string")
    algorithm = HASHES.get(message["SignatureVersion"])
    if algorithm is None:
        raise SnsSignatureError(f"unknown SignatureVersion {message['SignatureVersion']!r}")
    url = message.get("SigningCertURL", message.get("SigningCertUrl"))
    if not isinstance(url, str):
        raise SnsSignatureError("the SNS message has no SigningCertURL")
    if problem := certificate_url_problem(url):
        raise SnsSignatureError(problem)
    topics = conf.SNS_TOPIC_ARNS
    if topics and message["TopicArn"] not in topics:
        raise SnsSignatureError(f"messages of topic {message['TopicArn']} are not accepted")
    try:
        signature = base64.b64decode(message["Signature"], validate=True)
    except (binascii.Error, ValueError):
        raise SnsSignatureError("the signature is not base64") from None

    certificate = certificates.get(url, fetch or configured_fetcher())
    moment = now or datetime.now(UTC)
    if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
        raise SnsSignatureError("the SNS signing certificate has expired or is not yet valid")
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise SnsSignatureError("the SNS signing certificate's key is not RSA")
    try:
        public_key.verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm())
    except InvalidSignature:
        raise SnsSignatureError("the SNS message's signature does not verify") from None
