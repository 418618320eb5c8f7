"""Input no database can store is answered at the edge, before any view runs.

PostgreSQL refuses NUL characters in text: a username, search term or form
field carrying one would reach a query and fail there as a server error. A
path with one names nothing on this site (404); a query string or form field
with one is a malformed request (400).
"""

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse

NUL = "\x00"


def _has_nul(values: dict) -> bool:  # type: ignore[type-arg]
    return any(NUL in key or any(NUL in value for value in values.getlist(key)) for key in values)


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
