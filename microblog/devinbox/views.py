"""DEBUG-only pages that show what the local SMTP sink received."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.csp import CSP
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override

from .maildir import caught_message, caught_messages


def debug_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The dev inbox does not exist unless DEBUG is on."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:  # type: ignore[no-untyped-def]
        if not settings.DEBUG:
            raise Http404("The dev inbox is available only with DEBUG on.")
        return view(request, *args, **kwargs)

    return wrapper


@debug_only
def inbox(request: HttpRequest) -> HttpResponse:
    messages = caught_messages(maildir=settings.DEV_INBOX_MAILDIR)
    return render(request, "devinbox/inbox.html", {"caught": messages})


@debug_only
def message_detail(request: HttpRequest, key: str) -> HttpResponse:
    message = caught_message(maildir=settings.DEV_INBOX_MAILDIR, key=key)
    if message is None:
        raise Http404("No such message in the dev inbox.")
    return render(
        request,
        "devinbox/message.html",
        {
            "caught": message,
            "text": message.body("text/plain"),
            "has_html": message.body("text/html") is not None,
        },
    )


# The email's own HTML, shown inside a sandboxed iframe: its inline styles are
# allowed, scripts, forms and plugins are not.
@debug_only
@xframe_options_sameorigin
@csp_override(
    {
        "default-src": [CSP.NONE],
        "style-src": [CSP.UNSAFE_INLINE],
        "img-src": ["https:", "http:", "data:"],
        "frame-ancestors": [CSP.SELF],
        "sandbox": True,
    }
)
def message_html(request: HttpRequest, key: str) -> HttpResponse:
    message = caught_message(maildir=settings.DEV_INBOX_MAILDIR, key=key)
    html = message.body("text/html") if message else None
    if html is None:
        raise Http404("This message has no HTML part.")
    return HttpResponse(html, content_type="text/html; charset=utf-8")
