"""Anymail's webhook URLs, answering a malformed JSON body with 400, not 500.

Anymail's tracking views parse the body and index the result without checking
it, so a broken or oddly shaped JSON body (from a misconfigured ESP or a
prober) raised inside the view. Each of Anymail's views is wrapped here, so the
URL list follows Anymail's own as it grows. Mount with
``path("webhooks/anymail/", include("notifications.tracking.webhooks"))``.

Only a request that carries the right basic-auth credentials is read here;
any other goes straight to Anymail's view, which refuses it before reading it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps

from anymail import urls as anymail_urls
from anymail.utils import get_anymail_setting, get_request_basic_auth
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import URLPattern
from django.utils.crypto import constant_time_compare

# The top-level JSON value each ESP posts, where it is not one object.
PAYLOAD_SHAPES: dict[str, tuple[type, ...]] = {
    "sendgrid": (list,),
    "sparkpost": (list,),
    "mailjet": (list, dict),  # an array of events, or one event when batching is off
}
# Bodies Anymail reads as form fields (Mailgun's legacy webhooks, Mandrill,
# inbound mail); every other body is JSON, whatever content type it came with.
FORM_CONTENT_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def _authenticated(request: HttpRequest) -> bool:
    secrets = get_anymail_setting("webhook_secret", default=[])
    if isinstance(secrets, str):
        secrets = [secrets]
    given = get_request_basic_auth(request)
    return given is not None and any(constant_time_compare(given, s) for s in secrets if s)


def _json_problem(request: HttpRequest, shapes: tuple[type, ...]) -> str | None:
    try:
        payload = json.loads(request.body or b"")
    except ValueError:
        return "The request body is not valid JSON."
    if not isinstance(payload, shapes):
        names = " or ".join("array" if shape is list else "object" for shape in shapes)
        return f"Expected a JSON {names}."
    return None


def reject_malformed_json(
    view: Callable[..., HttpResponse], *, esp: str
) -> Callable[..., HttpResponse]:
    shapes = PAYLOAD_SHAPES.get(esp, (dict,))

    @wraps(view)  # keeps the csrf_exempt flag Anymail's views carry
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:  # type: ignore[no-untyped-def]
        if (
            request.method == "POST"
            and request.content_type not in FORM_CONTENT_TYPES
            and _authenticated(request)
            and (problem := _json_problem(request, shapes))
        ):
            return HttpResponseBadRequest(problem)
        return view(request, *args, **kwargs)

    return wrapper


def _wrapped(pattern: URLPattern) -> URLPattern:
    # "anymail.webhooks.amazon_ses" -> "amazon_ses"
    esp = getattr(pattern.callback, "view_class", type(None)).__module__.rsplit(".", 1)[-1]
    return URLPattern(
        pattern.pattern,
        reject_malformed_json(pattern.callback, esp=esp),
        pattern.default_args,
        pattern.name,
    )


app_name = anymail_urls.app_name
urlpatterns = [_wrapped(pattern) for pattern in anymail_urls.urlpatterns]
