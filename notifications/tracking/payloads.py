"""What a tracking webhook's body, and each event Anymail makes of it, must look like.

Anymail's webhook views index the body they are given without checking it,
so a body of the wrong shape (from a misconfigured ESP, a changed payload
format or someone holding the webhook credentials) raised inside the view and
answered 500. Here a body is read once, after the request is authenticated,
and refused with a reason when it is not what the ESP posts; each normalised
event is checked for what storing and acting on it needs. Nothing here
touches the database.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from anymail.exceptions import AnymailAPIError, AnymailConfigurationError
from anymail.signals import AnymailTrackingEvent, EventType
from django.http import HttpRequest
from django.http.request import RawPostDataException
from django.utils import timezone

from ..providers import Body, Esp

logger = logging.getLogger(__name__)

# What Anymail raises when a payload is not what its parser expects (and
# AnymailAPIError/AnymailConfigurationError for an SNS message or an event
# of a kind the tracking webhook does not take).
NORMALISATION_ERRORS: tuple[type[BaseException], ...] = (
    LookupError,
    TypeError,
    ValueError,
    AttributeError,
    AssertionError,
    ArithmeticError,
    RecursionError,
    # datetime.fromtimestamp() of a huge number: OverflowError, or OSError
    # (EOVERFLOW) from the C library, depending on the size.
    OSError,
    # A multipart body where the ESP posts JSON: once its fields are parsed
    # (by a middleware, or Anymail), Django no longer gives the raw body.
    RawPostDataException,
    AnymailAPIError,
    AnymailConfigurationError,
)

FORM_CONTENT_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
# Deeper than any ESP's payload; a deeper one is refused before anything
# walks it recursively.
MAX_DEPTH = 32
# Events dated outside these bounds are not real: ESPs retry for days, not years.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
EVENT_TYPES = {value for name, value in vars(EventType).items() if name.isupper()}


class PayloadError(ValueError):
    """A webhook body or event that cannot be recorded; the message says why."""


def _reject_constant(name: str) -> float:
    raise PayloadError(f"JSON with {name}")


def parse_json(data: bytes | str) -> Any:
    """JSON as the ESPs send it: UTF-8, no NaN or Infinity, not nested absurdly deep."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = json.loads(text, parse_constant=_reject_constant)
    except PayloadError:
        raise
    except (ValueError, RecursionError) as error:
        raise PayloadError("the body is not valid JSON") from error
    value_problem(value)
    return value


def value_problem(value: Any) -> None:
    """Raise PayloadError for a structure too deep, or with strings no database stores."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise PayloadError(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            stack.extend((key, depth + 1) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list | tuple):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            _string_problem(item)


def _string_problem(text: str) -> None:
    if "\x00" in text:
        raise PayloadError("a NUL character in a string")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise PayloadError("an unpaired surrogate in a string") from None


def check_body(request: HttpRequest, esp: Esp) -> None:
    """Raise PayloadError when `request`'s body is not what `esp` posts.

    A form post is checked through its fields: Anymail's signature check may
    have read them already, and once Django has parsed a multipart post it
    no longer gives access to the raw body.
    """
    body = esp.body
    is_form = request.content_type in FORM_CONTENT_TYPES
    if body is Body.FORM:
        if not is_form:
            raise PayloadError("expected form fields")
        events = request.POST.get("mandrill_events")
        if events is None:
            raise PayloadError("no mandrill_events field")
        if not isinstance(parse_json(events), list):
            raise PayloadError("mandrill_events is not a JSON array")
        return
    if body is Body.OBJECT_OR_FORM and is_form:
        for values in request.POST.lists():
            for value in values[1]:
                _string_problem(value)
        return
    try:
        raw = request.body
    except RawPostDataException:  # a multipart post, its fields already read
        raise PayloadError("expected JSON, not form fields") from None
    value = parse_json(raw)
    expected = {
        Body.OBJECT: (dict,),
        Body.OBJECT_OR_FORM: (dict,),
        Body.ARRAY: (list,),
        Body.OBJECT_OR_ARRAY: (dict, list),
    }[body]
    if not isinstance(value, expected):
        raise PayloadError(f"expected {body.value}")
    if esp.key == "sparkpost":
        _sparkpost_problem(value)
    if esp.key == "mailtrap" and not isinstance(value.get("events"), list):
        # Anymail reads a missing array as no events: a 200 for nothing.
        raise PayloadError('expected {"events": [...]}')


def _sparkpost_problem(events: list[Any]) -> None:
    """SparkPost: [{"msys": {<event class>: {…}}}], or {"msys": {}} (a ping)."""
    for item in events:
        classes = item.get("msys") if isinstance(item, dict) else None
        if not isinstance(classes, dict) or not all(
            isinstance(event, dict) for event in classes.values()
        ):
            raise PayloadError('expected events of the form {"msys": {"<class>": {…}}}')


# The text SNS posts once a topic is set up for SES event publishing.
SES_SETUP_MESSAGE = "Successfully validated SNS topic for Amazon SES event publishing."


def ses_notification_check(message: Any) -> None:
    """An SES notification (an SNS Notification's Message): a JSON object with its type."""
    if message == SES_SETUP_MESSAGE:
        return
    ses_event = parse_json(message) if isinstance(message, str) else None
    if not isinstance(ses_event, dict):
        raise PayloadError("the Message is not a JSON object")
    kind = ses_event.get("eventType", ses_event.get("notificationType"))
    if not isinstance(kind, str) or not kind:
        raise PayloadError("the Message has no eventType or notificationType")


def check_event(event: Any) -> None:
    """Raise PayloadError when a normalised event cannot be stored and acted on.

    Anymail passes through whatever type the payload had, so an address can
    arrive as a list, a date as a year-9999 timestamp, a message id as an
    object. An event with neither a recipient nor a message id names
    nothing to act on.
    """
    if not isinstance(event, AnymailTrackingEvent):
        return  # an inbound event (Mandrill's combined webhook): not recorded here
    if event.event_type not in EVENT_TYPES:
        raise PayloadError(f"unknown event type {event.event_type!r}")
    recipient = event.recipient
    if recipient is not None:
        if not isinstance(recipient, str):
            raise PayloadError("the recipient is not a string")
        if len(recipient) > 254 or "@" not in recipient or any(c.isspace() for c in recipient):
            raise PayloadError("the recipient is not an address")
        _string_problem(recipient)
    for name in ("message_id", "event_id"):
        value = getattr(event, name)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise PayloadError(f"the {name.replace('_', ' ')} is not a string")
            _string_problem(str(value))
    if not recipient and not event.message_id:
        raise PayloadError("the event names neither a recipient nor a message")
    for name in ("description", "mta_response", "reject_reason"):
        value = getattr(event, name)
        if value is not None and not isinstance(value, str):
            raise PayloadError(f"the {name.replace('_', ' ')} is not a string")
    timestamp = event.timestamp
    if timestamp is not None:
        if not isinstance(timestamp, datetime) or timezone.is_naive(timestamp):
            raise PayloadError("the timestamp is not a date and time")
        if not EARLIEST <= timestamp <= timezone.now() + FUTURE_SLACK:
            # The event itself still counts: Anymail reads some of Brevo's
            # times in seconds as milliseconds (1970), and a bounce refused
            # for its date would never be sent again. It is kept without one.
            logger.warning("Kept an event without its absurd timestamp (%s)", timestamp)
            event.timestamp = None
    if event.esp_event is not None and not hasattr(event.esp_event, "lists"):
        value_problem(event.esp_event)
