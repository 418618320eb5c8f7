"""Anymail's webhook URLs, answering a malformed JSON body with 400, not 500.

Anymail's tracking views parse the body and index the result without checking
it, so a broken or oddly shaped JSON body (from a misconfigured ESP or a
prober) raised inside the view. Each of Anymail's views is wrapped here, so the
URL list follows Anymail's own as it grows. Mount with
``path("webhooks/anymail/", include("notifications.webhooks"))``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps

from anymail import urls as anymail_urls
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import URLPattern

# The top-level JSON value each ESP posts: an array of events for these,
# one object for every other.
ARRAY_PAYLOAD_ESPS = {"sendgrid"}
# Bodies Anymail reads as form fields (Mailgun's legacy webhooks, inbound
# mail); every other body is JSON, whatever content type it was sent with.
FORM_CONTENT_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def reject_malformed_json(
    view: Callable[..., HttpResponse], *, esp: str
) -> Callable[..., HttpResponse]:
    expected = list if esp in ARRAY_PAYLOAD_ESPS else dict

    @wraps(view)  # keeps the csrf_exempt flag Anymail's views carry
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:  # type: ignore[no-untyped-def]
        if request.method == "POST" and request.content_type not in FORM_CONTENT_TYPES:
            try:
                payload = json.loads(request.body or b"")
            except ValueError:
                return HttpResponseBadRequest("The request body is not valid JSON.")
            if not isinstance(payload, expected):
                return HttpResponseBadRequest(
                    f"Expected a JSON {'array' if expected is list else 'object'}."
                )
        return view(request, *args, **kwargs)

    return wrapper


def _wrapped(pattern: URLPattern) -> URLPattern:
    esp = (pattern.name or "").split("_", 1)[0]
    return URLPattern(
        pattern.pattern,
        reject_malformed_json(pattern.callback, esp=esp),
        pattern.default_args,
        pattern.name,
    )


app_name = anymail_urls.app_name
urlpatterns = [_wrapped(pattern) for pattern in anymail_urls.urlpatterns]
