"""Hostile but authenticated webhook input: a 4xx and nothing recorded, never a 500.

Every request here passes the webhook's authentication (basic auth, and the
ESP's signature where it signs), so it reaches Anymail's parser. Classes of
bad input, each posted to every mounted tracking webhook:

* events of the wrong type or shape, a list where a string belongs,
* absurd timestamps, NUL bytes and unpaired surrogates, NaN,
* very deep nesting (RecursionError in a parser),
* bodies that are not JSON, or are form or multipart data, to JSON ESPs.

A batch with one bad event records the good ones and answers 400 (see
docs/security.md); an error while storing (the database is down) answers
500 so the ESP delivers again. A property-based test then replaces any part
of each ESP's recorded payload with arbitrary JSON: never a 5xx, and a 4xx
records nothing.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from notifications.models import Suppression, TrackingEvent
from notifications.providers import ESPS

from .test_webhooks_esps import payload
from .webhook_requests import (
    AUTH,
    SECRETS,
    anymail_settings,
    request_for,
    sns_certificate,
    sns_notification,
    sns_request,
    sns_sign,
    webhook_path,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("notifications.tests.webhook_urls"),
    pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning"),
]

TRACKED = sorted(key for key, esp in ESPS.items() if esp.has_tracking_webhook)
BATCHES = ["mailjet", "mailtrap", "mandrill", "sendgrid", "sparkpost", "unisender_go"]


@pytest.fixture(autouse=True)
def webhook_keys(settings):  # type: ignore[no-untyped-def]
    settings.ANYMAIL = anymail_settings()
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "SNS_CERTIFICATE_FETCHER": sns_certificate,
        "SNS_TOPIC_ARNS": [],
    }


def post_arguments(esp: str, arguments: dict[str, Any]):  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)
    return client.post(webhook_path(esp), **arguments, **AUTH)


def nothing_recorded() -> bool:
    return not TrackingEvent.objects.exists() and not Suppression.objects.exists()


# --- Where an event sits in each ESP's payload, and its fields -----------------------


def events_of(esp: str, body: Any) -> list[Any]:
    """The list the ESP's events sit in, inside a payload of it (mutable)."""
    if esp in ("mailjet", "mandrill", "sendgrid", "sparkpost"):
        return body
    if esp == "mailtrap":
        return body["events"]
    if esp == "unisender_go":
        return body["events_by_user"][0]["events"]
    raise KeyError(esp)


def with_event(esp: str, event: Any) -> Any:
    """A payload of `esp` whose (one) event is `event`: whatever type that is."""
    body = payload(esp, "hard_bounce")
    if esp == "mailgun":
        body["event-data"] = event
    elif esp == "unisender_go":
        events_of(esp, body)[0]["event_data"] = event
    elif esp == "sparkpost":
        body[0] = {"msys": {"message_event": event}}
    elif esp in BATCHES:
        events_of(esp, body)[0] = event
    else:
        body = event
    return body


def the_event(esp: str, body: Any) -> dict[str, Any]:
    """The event dict inside a payload (the object the field paths below start from)."""
    if esp == "mailgun":
        return body["event-data"]
    if esp == "unisender_go":
        return events_of(esp, body)[0]["event_data"]
    if esp == "sparkpost":
        return body[0]["msys"]["message_event"]
    if esp in BATCHES:
        return events_of(esp, body)[0]
    return body


# The field holding the recipient (or, where Anymail tolerates a bad recipient,
# the message id) and the event's time, in each ESP's event.
STRING_FIELD = {
    "amazon_ses": ("bounce", "bouncedRecipients", 0, "emailAddress"),
    "brevo": ("email",),
    "mailersend": ("data", "email", "recipient", "email"),
    "mailgun": ("recipient",),
    "mailjet": ("email",),
    "mailtrap": ("email",),
    "mandrill": ("msg", "email"),
    # Anymail drops a Postal recipient it cannot parse: the message id then.
    "postal": ("payload", "original_message", "id"),
    "postmark": ("Email",),
    "resend": ("data", "email_id"),
    "sendgrid": ("email",),
    "sparkpost": ("raw_rcpt_to",),
    "unisender_go": ("email",),
}
TIME_FIELD = {
    "brevo": ("ts_epoch", 1000),
    "mailersend": (("data", "created_at"), "iso"),
    "mailgun": ("timestamp", 1),
    "mailjet": ("time", 1),
    "mailtrap": ("timestamp", 1),
    "mandrill": ("ts", 1),
    "postal": ("timestamp", 1),
    "postmark": ("BouncedAt", "iso"),
    "resend": ("created_at", "iso"),
    "sendgrid": ("timestamp", 1),
    "sparkpost": ("timestamp", "str"),
    "unisender_go": ("event_time", "unisender"),
}


def set_path(target: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def with_field(esp: str, path: tuple[Any, ...], value: Any) -> Any:
    body = payload(esp, "hard_bounce")
    set_path(the_event(esp, body), path, value)
    return body


def absurd_time(esp: str, year: int) -> Any:
    field, kind = TIME_FIELD[esp]
    path = field if isinstance(field, tuple) else (field,)
    seconds = {1969: -1, 9999: 253402300799}[year]
    value: Any
    if kind == "iso":
        value = f"{year}-12-31T23:59:59Z"
    elif kind == "unisender":
        value = f"{year}-12-31 23:59:59"
    elif kind == "str":
        value = str(seconds)
    else:
        value = seconds * kind
    return with_field(esp, path, value)


def sns_with_timestamp(timestamp: str) -> dict[str, Any]:
    envelope = sns_notification(payload("amazon_ses", "hard_bounce"))
    envelope["Timestamp"] = timestamp
    return sns_request(sns_sign(envelope))


# --- The table -------------------------------------------------------------------------

DEEP = 100_000
JSON_ESPS = [esp for esp in TRACKED if esp != "mandrill"]


def hostile_requests(esp: str) -> list[tuple[str, dict[str, Any]]]:
    """(case, POST arguments) of authenticated requests `esp`'s webhook must refuse."""
    cases: list[tuple[str, Any]] = [
        ("event is a string", with_event(esp, "hard_bounce")),
        ("event is a number", with_event(esp, 42)),
        ("event is null", with_event(esp, None)),
        ("event is a list", with_event(esp, [payload(esp, "hard_bounce")])),
        ("event is empty", with_event(esp, {})),
        ("event of another shape", with_event(esp, {"unexpected": {"shape": True}})),
        ("a list where a string belongs", with_field(esp, STRING_FIELD[esp], ["a@x.org"])),
        ("an object where a string belongs", with_field(esp, STRING_FIELD[esp], {"a": 1})),
        ("a NUL byte in a string", with_field(esp, STRING_FIELD[esp], "gone\x00@example.com")),
        ("an unpaired surrogate", with_field(esp, STRING_FIELD[esp], "gone\ud800@example.com")),
        ("nested 50 deep", with_field(esp, STRING_FIELD[esp], json.loads("[" * 50 + "]" * 50))),
    ]
    requests = [(case, request_for(esp, body)) for case, body in cases]
    form = "application/x-www-form-urlencoded"
    if esp == "amazon_ses":
        requests += [
            ("a Message that is not JSON", request_for(esp, "{not json")),
            ("a Message nested 100,000 deep", request_for(esp, "[" * DEEP + "]" * DEEP)),
        ]
    elif esp == "mandrill":
        as_json = json.dumps(payload(esp, "hard_bounce")).encode()
        requests += [
            (
                "mandrill_events not JSON",
                request_for(esp, b"mandrill_events=%7B", content_type=form),
            ),
            ("JSON instead of form fields", request_for(esp, as_json)),
        ]
    else:
        field = STRING_FIELD[esp]
        deep = b"[" * DEEP + b"]" * DEEP
        multipart = "multipart/form-data; boundary=BoUnDaRy"
        requests += [
            ("NaN in the body", _spliced(esp, field, b"NaN")),
            ("nested 100,000 deep", _spliced(esp, field, deep)),
            ("not UTF-8", _spliced(esp, field, b'"gone\xe9@example.com"')),
            ("not JSON at all", request_for(esp, b"this is not json")),
            ("form fields", request_for(esp, b"event=bounce&email=a%40b.org", content_type=form)),
            ("multipart data", request_for(esp, _multipart(), content_type=multipart)),
        ]
    return requests


def _spliced(esp: str, field: tuple[Any, ...], raw: bytes) -> dict[str, Any]:
    """A payload with `raw` bytes (not valid JSON) at `field`, signed as `esp` signs."""
    marker = "__SPLICE_HERE__"
    body = with_field(esp, field, marker)
    quoted = json.dumps(marker).encode()
    if esp == "mailgun":
        arguments = request_for(esp, body)  # the signature block does not cover the event
        return {**arguments, "data": arguments["data"].replace(quoted, raw)}
    if esp == "unisender_go":
        # The signature is an MD5 of the body itself: computed over the spliced bytes.
        text = json.dumps({**body, "auth": "__AUTH__"}, separators=(",", ":")).encode()
        text = text.replace(quoted, raw)
        key = SECRETS["unisender_go"].encode()
        auth = hashlib.md5(text.replace(b"__AUTH__", key)).hexdigest().encode()  # noqa: S324
        return {**request_for(esp, b""), "data": text.replace(b"__AUTH__", auth)}
    return request_for(esp, json.dumps(body).encode().replace(quoted, raw))


def _multipart() -> bytes:
    return (
        b"--BoUnDaRy\r\n"
        b'Content-Disposition: form-data; name="event"\r\n\r\n'
        b"bounce\r\n"
        b"--BoUnDaRy\r\n"
        b'Content-Disposition: form-data; name="email"\r\n\r\n'
        b"gone@example.com\r\n"
        b"--BoUnDaRy--\r\n"
    )


CASES = [
    pytest.param(esp, case, arguments, id=f"{esp}: {case}")
    for esp in TRACKED
    for case, arguments in hostile_requests(esp)
]


@pytest.mark.parametrize(("esp", "case", "arguments"), CASES)
def test_authenticated_hostile_input_is_a_bad_request_and_records_nothing(esp, case, arguments):
    response = post_arguments(esp, arguments)

    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert nothing_recorded()


def absurd_time_requests(esp: str) -> list[tuple[str, dict[str, Any]]]:
    if esp == "amazon_ses":
        return [
            ("in year 9999", sns_with_timestamp("9999-12-31T23:59:59.000Z")),
            ("in 1969", sns_with_timestamp("1969-12-31T23:59:59.000Z")),
        ]
    return [
        ("in year 9999", request_for(esp, absurd_time(esp, 9999))),
        ("in 1969", request_for(esp, absurd_time(esp, 1969))),
    ]


@pytest.mark.parametrize(
    ("esp", "arguments"),
    [
        pytest.param(esp, arguments, id=f"{esp}: {case}")
        for esp in TRACKED
        for case, arguments in absurd_time_requests(esp)
    ],
)
def test_an_event_with_an_absurd_timestamp_is_kept_without_it(esp, arguments):
    """Anymail reads some of Brevo's real times in seconds as milliseconds
    (1970): refusing the event would lose a bounce the ESP never sends again."""
    response = post_arguments(esp, arguments)

    assert response.status_code == 200
    event = TrackingEvent.objects.get()
    assert event.timestamp is None
    assert Suppression.objects.get().address == "gone@example.com"


# --- Batches and storage errors ---------------------------------------------------------


@pytest.mark.parametrize("esp", BATCHES)
def test_one_bad_event_in_a_batch_does_not_lose_the_good_one(esp):
    body = payload(esp, "hard_bounce")
    good = copy.deepcopy(events_of(esp, body)[0])
    bad = copy.deepcopy(good)
    if esp == "unisender_go":
        bad["event_data"]["email"] = ["two@example.com", "addresses@example.com"]
    elif esp == "sparkpost":
        bad["msys"]["message_event"]["raw_rcpt_to"] = ["two@example.com"]
    elif esp == "mandrill":
        bad["msg"]["email"] = ["two@example.com"]
    else:
        bad["email"] = ["two@example.com"]
    events_of(esp, body)[:] = [bad, good]

    first = post_arguments(esp, request_for(esp, body))
    again = post_arguments(esp, request_for(esp, body, attempt=1))

    assert first.status_code == again.status_code == 400
    assert b"1 event(s) could not be read" in first.content
    # The good event is recorded, once, however often the ESP delivers the batch.
    assert TrackingEvent.objects.count() == 1
    assert Suppression.objects.get().address == "gone@example.com"


@pytest.mark.parametrize("esp", TRACKED)
def test_a_storage_error_answers_500_so_the_esp_delivers_again(esp, monkeypatch):
    def database_down(**kwargs: Any) -> None:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("notifications.tracking.events.tracking_event_record", database_down)

    response = post_arguments(esp, request_for(esp, payload(esp, "hard_bounce")))

    assert response.status_code == 500


# --- Any part of a real payload replaced by anything ---------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


@pytest.mark.parametrize("esp", TRACKED)
@hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_part_of_a_payload_replaced_by_anything_is_never_a_server_error(esp, data):
    body = payload(esp, "hard_bounce")
    path = data.draw(st.sampled_from(paths(body)), label="path")
    set_path(body, path, data.draw(JSON_VALUES, label="value"))
    before = (TrackingEvent.objects.count(), Suppression.objects.count())

    response = post_arguments(esp, request_for(esp, body))

    assert response.status_code in (200, 400), (response.status_code, response.content[:300])
    if response.status_code == 400:
        assert (TrackingEvent.objects.count(), Suppression.objects.count()) == before


def _get_path(value, path):  # type: ignore[no-untyped-def]
    for key in path:
        value = value[key]
    return value


@pytest.mark.parametrize("esp", TRACKED)
@pytest.mark.parametrize("huge", [67_768_036_191_676_796_929, -(10**20), 1e308])
def test_a_number_too_big_for_a_date_is_never_a_server_error(esp, huge):
    """datetime.fromtimestamp() of such a number raises OverflowError or, from
    the C library, OSError (EOVERFLOW); either is the payload's fault."""
    body = payload(esp, "hard_bounce")
    numbers = [
        path
        for path in paths(body)
        if isinstance(_get_path(body, path), int | float)
        and not isinstance(_get_path(body, path), bool)
    ]
    for path in numbers:
        changed = payload(esp, "hard_bounce")
        set_path(changed, path, huge)

        response = post_arguments(esp, request_for(esp, changed))

        assert response.status_code in (200, 400), (path, response.status_code)


def test_a_batch_bigger_than_django_s_upload_limit_is_read_whole():
    """Mandrill posts up to 1,000 events in one form field: 3 MB of them is
    over Django's 2.5 MB default, and refusing it would lose every event."""
    good = payload("mandrill", "hard_bounce")
    events = []
    for n in range(1000):
        event = copy.deepcopy(events_of("mandrill", good)[0])
        event["_id"] = f"event-{n}"
        event["msg"]["email"] = f"gone{n}@example.com"
        event["msg"]["metadata"] = {"padding": "x" * 3000}
        events.append(event)

    arguments = request_for("mandrill", events)
    assert len(arguments["data"]) > 3 * 1024 * 1024
    response = post_arguments("mandrill", arguments)

    assert response.status_code == 200, response.content[:300]
    assert Suppression.objects.count() == 1000


def test_a_body_over_the_webhooks_own_limit_is_refused_before_it_is_read():
    response = Client().post(
        webhook_path("mandrill"),
        b"x",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(30 * 1024 * 1024),
        **AUTH,
    )
    assert response.status_code == 413
    assert nothing_recorded()
