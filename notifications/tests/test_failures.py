"""Which delivery errors are retried and which fail a row for good."""

import smtplib

import pytest
import requests
from anymail.exceptions import AnymailAPIError, AnymailInvalidAddress, AnymailRecipientsRefused

from notifications.dispatch.policy import classify_failure


def api_error(status: int | None) -> AnymailAPIError:
    response = requests.Response()
    response.status_code, response.reason, response._content = status, "reason", b"{}"
    return AnymailAPIError("ESP said no", status_code=status, response=response)


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (ConnectionRefusedError(), False),
        (TimeoutError(), False),
        (smtplib.SMTPServerDisconnected(), False),
        (smtplib.SMTPDataError(451, b"try later"), False),
        (smtplib.SMTPDataError(421, b"closing"), False),
        (smtplib.SMTPDataError(552, b"message too big"), True),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"no such user")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (450, b"mailbox busy")}), False),
        # About our host or sender, not the message: kept until fixed.
        (smtplib.SMTPConnectError(554, b"blocked"), False),
        (smtplib.SMTPSenderRefused(550, b"sender rejected", "noreply@example.com"), False),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False),
        (api_error(None), False),
        (api_error(429), False),
        (api_error(503), False),
        (api_error(401), False),
        (api_error(422), True),
        (AnymailRecipientsRefused("inactive recipient"), True),
        (AnymailInvalidAddress("not an address"), True),
        (RuntimeError("something unexpected"), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_classification(error, permanent):
    assert classify_failure(error).permanent is permanent
