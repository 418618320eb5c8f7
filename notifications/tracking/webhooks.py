"""The tracking webhooks of every ESP Anymail ships, mounted from Anymail's own URL list.

Mount with ``path("webhooks/anymail/", include("notifications.tracking.webhooks"))``:
each tracking URL of ``anymail.urls`` (``<esp>/tracking/``, and Mandrill's
combined ``mandrill/`` and ``mandrill/tracking/``), under Anymail's URL names,
served by Anymail's view wrapped by ``views.tracking_view`` (403 until a
required signing key is configured, 400 for bodies and events Anymail cannot
normalise, SNS signatures verified for Amazon SES). The list follows
Anymail's as it grows. Inbound-mail webhooks are not mounted (the project
receives no mail), nor the deprecated ``sendinblue/`` alias of Brevo.
"""

from __future__ import annotations

from anymail import urls as anymail_urls
from django.urls import URLPattern

from .views import tracking_view


def _is_tracking(pattern: URLPattern) -> bool:
    view_class = getattr(pattern.callback, "view_class", None)
    return (
        view_class is not None
        and pattern.name is not None
        and not pattern.name.startswith("sendinblue")
        and (pattern.name.endswith("_tracking_webhook") or pattern.name == "mandrill_webhook")
    )


def _mounted(pattern: URLPattern) -> URLPattern:
    callback = pattern.callback
    view = tracking_view(callback.view_class).as_view(**getattr(callback, "view_initkwargs", {}))
    return URLPattern(pattern.pattern, view, pattern.default_args, pattern.name)


app_name = anymail_urls.app_name
urlpatterns = [_mounted(pattern) for pattern in anymail_urls.urlpatterns if _is_tracking(pattern)]
