"""Input no database can store is answered at the edge, before any view runs.

PostgreSQL refuses NUL characters in text: a username, search term or form
field carrying one would reach a query and fail there as a server error. A
path with one names nothing on this site (404); a query string or form field
with one is a malformed request (400). Headers and cookies are read by code
that is not ours (the session, the sign-in throttle records the User-Agent):
a cookie with one is dropped, a header has it replaced, before they are read.
"""

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse

NUL = "\x00"


def _has_nul(values: dict) -> bool:  # type: ignore[type-arg]
    return any(NUL in key or any(NUL in value for value in values.getlist(key)) for key in values)


class DropUnstorableHeadersMiddleware:
    """First in the chain: a cookie holding a NUL (Django reads the escape
    ``\\000`` in a quoted cookie as one) is dropped, so a planted session
    cookie means no session rather than an error on every page; a NUL in a
    header becomes U+FFFD."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name, value in list(request.COOKIES.items()):
            if NUL in name or NUL in value:
                del request.COOKIES[name]
        for key, value in request.META.items():
            if key.startswith("HTTP_") and isinstance(value, str) and NUL in value:
                request.META[key] = value.replace(NUL, "\ufffd")
        return self.get_response(request)


class RejectUnstorableInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path:
            raise Http404("No such page.")
        if _has_nul(request.GET):
            raise BadRequest("The request contains a NUL character.")
        if (
            request.method == "POST"
            and request.content_type
            in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            )
            and _has_nul(request.POST)
        ):
            raise BadRequest("The form contains a NUL character.")
        return self.get_response(request)
