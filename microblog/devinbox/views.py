"""DEBUG-only pages that show what the local SMTP sink received."""

import re
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from notifications.previews import email_html_response

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


# The email's own HTML, shown inside a sandboxed iframe on the message page.
@debug_only
def message_html(request: HttpRequest, key: str) -> HttpResponse:
    message = caught_message(maildir=settings.DEV_INBOX_MAILDIR, key=key)
    html = message.body("text/html") if message else None
    if html is None:
        raise Http404("This message has no HTML part.")
    # Its links open in a tab of their own, as a mail client opens them: the
    # frame is sandboxed, and a link followed inside it would show nothing.
    head = re.search(r"<head[^>]*>", html, flags=re.IGNORECASE)
    at = head.end() if head else 0
    return email_html_response(f'{html[:at]}<base target="_blank">{html[at:]}', links_open=True)
