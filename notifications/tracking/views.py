"""Anymail's tracking webhook views, answering every bad request with a clear 4xx.

``tracking_view(anymail_view_class)`` makes a subclass of one of Anymail's
views that keeps all its authentication and parsing and adds what a site on
the open internet needs around it:

* **Not configured: 403, never 500.** A view that needs a signing key (or a
  package) Anymail cannot find raises while it is built, on every request.
  The request is refused with 403 and the missing setting is logged (HEAD,
  which ESPs send to check a URL before they hand out its key, still
  answers 200, as Anymail's own).
* **Read after authentication, refused when malformed: 400.** Once Anymail's
  validators (basic auth, the ESP's signature) pass, the body must be what
  the ESP posts (``payloads.check_body``), and any error Anymail's parser
  raises on it is a 400 rather than a 500. For Amazon SES, the SNS
  signature is verified next (``sns.py``), before anything is acted on.
* **One bad event does not lose the good ones.** Each event of a batch is
  normalised and checked on its own (``payloads.check_event``); the good
  ones are recorded and the request is answered 400 naming the bad ones, so
  the ESP delivers the batch again: the recorded events are recognised by
  their ids and recorded once, and a bad event gets another chance after a
  fix. A payload with no good event records nothing.

Errors while storing an event (the database is down) are not caught: they
answer 500, and the ESP retries.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from anymail.exceptions import AnymailWebhookValidationFailure
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt

from ..providers import Esp, esp_named
from .payloads import (
    NORMALISATION_ERRORS,
    PayloadError,
    check_body,
    check_event,
    ses_notification_check,
)
from .sns import CertificateUnavailable, verify_sns_message

logger = logging.getLogger(__name__)


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class _Unreadable:
    """Stands in for an event Anymail could not normalise."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:200]


class TrackingWebhookMixin:
    """Placed before an Anymail tracking view class (see tracking_view)."""

    esp: Esp

    def __init__(self, **kwargs: Any) -> None:
        self.not_configured: BaseException | None = None
        self.rejected: list[str] = []
        try:
            super().__init__(**kwargs)
        except (ImproperlyConfigured, ImportError, ValueError) as error:
            self.not_configured = error

    @method_decorator(csrf_exempt)
    @method_decorator(login_not_required)
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if self.not_configured is not None and request.method == "POST":
                raise self._refuse_unconfigured(self.not_configured)
            if request.method == "POST":
                _read_body(request)
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        except _Refused as refused:
            return HttpResponse(
                refused.reason, status=refused.status, content_type="text/plain; charset=utf-8"
            )

    def _refuse_unconfigured(self, error: BaseException) -> _Refused:
        logger.error("The %s tracking webhook is not configured: %s", self.esp.name, error)
        return _Refused(403, "This webhook is not configured on this site.")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.rejected = []
        response = super().post(request, *args, **kwargs)  # type: ignore[misc]
        if self.rejected and response.status_code == 200:
            logger.warning(
                "%s webhook: %d event(s) refused: %s",
                self.esp.name,
                len(self.rejected),
                "; ".join(self.rejected),
            )
            return HttpResponse(
                f"{len(self.rejected)} event(s) could not be read: " + "; ".join(self.rejected),
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        return response

    def run_validators(self, request: HttpRequest) -> None:
        try:
            super().run_validators(request)  # type: ignore[misc]
        except AnymailWebhookValidationFailure:
            raise  # a SuspiciousOperation: Django answers 400 and logs it
        except ImproperlyConfigured as error:
            # Mandrill looks for its key only when a POST comes.
            raise self._refuse_unconfigured(error) from error
        except NORMALISATION_ERRORS as error:
            raise _Refused(
                400, f"The request cannot be authenticated ({_describe(error)})."
            ) from None
        try:
            check_body(request, self.esp)
        except PayloadError as error:
            raise _Refused(400, f"The body is not what {self.esp.name} posts: {error}.") from None
        self.verify_message(request)

    def verify_message(self, request: HttpRequest) -> None:
        """More checks after authentication, before anything is acted on (see SES)."""

    def parse_events(self, request: HttpRequest) -> list[Any]:
        try:
            events = super().parse_events(request)  # type: ignore[misc]
        except NORMALISATION_ERRORS as error:
            raise _Refused(400, f"The payload cannot be read ({_describe(error)}).") from None
        good = []
        for event in events:
            if isinstance(event, _Unreadable):
                self.rejected.append(event.reason)
                continue
            try:
                check_event(event)
            except PayloadError as error:
                self.rejected.append(str(error))
            else:
                good.append(event)
        return good

    def esp_to_anymail_event(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().esp_to_anymail_event(*args, **kwargs)  # type: ignore[misc]
        except NORMALISATION_ERRORS as error:
            return _Unreadable(f"an event Anymail cannot read ({_describe(error)})")


class SnsVerifiedMixin(TrackingWebhookMixin):
    """Amazon SES: every SNS message's signature is verified before it is acted on."""

    def verify_message(self, request: HttpRequest) -> None:
        message = self._parse_sns_message(request)  # type: ignore[attr-defined]
        try:
            verify_sns_message(message)
        except CertificateUnavailable as error:
            logger.warning("Amazon SES webhook: %s", error)
            raise _Refused(503, "The SNS signing certificate cannot be fetched now.") from None
        if message["Type"] == "Notification":
            try:
                ses_notification_check(message["Message"])
            except PayloadError as error:
                raise _Refused(400, f"The SES notification cannot be read: {error}.") from None

    def auto_confirm_sns_subscription(self, sns_message: dict[str, Any]) -> None:
        """Confirm a verified subscription through AWS; when AWS cannot be
        reached or refuses (no credentials, no permission), answer 503, which
        SNS retries, instead of a 500."""
        try:
            super().auto_confirm_sns_subscription(sns_message)  # type: ignore[misc]
        except AnymailWebhookValidationFailure:
            raise
        except Exception as error:  # botocore's errors, whatever the cause
            logger.exception("Amazon SES webhook: the SNS subscription could not be confirmed")
            raise _Refused(
                503, f"The subscription cannot be confirmed now ({_describe(error)})."
            ) from None


# ESPs post events in batches (Mandrill up to 1,000 in one form field), and a
# batch refused for its size is sent again at the same size, then dropped:
# webhooks read up to this much, over Django's DATA_UPLOAD_MAX_MEMORY_SIZE
# (2.5 MB by default) for every other request.
WEBHOOK_BODY_LIMIT = 20 * 1024 * 1024


def _read_body(request: HttpRequest) -> None:
    """Read a webhook's body under WEBHOOK_BODY_LIMIT; Django then parses it
    from memory, without its own, smaller limit. 413 above."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > WEBHOOK_BODY_LIMIT:
        raise _Refused(413, "The body is larger than a webhook of this site accepts.")
    if not hasattr(request, "_body"):
        request._body = request.read(WEBHOOK_BODY_LIMIT)  # what HttpRequest.body caches


@cache
def tracking_view(view_class: type) -> type:
    """`view_class` (an Anymail tracking webhook view) with the behaviour described above."""
    esp = esp_named(view_class.esp_name)
    if esp is None:
        raise ImproperlyConfigured(f"{view_class.__name__}: not an ESP notifications knows")
    mixin = SnsVerifiedMixin if esp.key == "amazon_ses" else TrackingWebhookMixin
    return type(view_class.__name__, (mixin, view_class), {"esp": esp})
