"""Where the dev inbox is, for pages that point newcomers to it (DEBUG only)."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


def dev_inbox(request: HttpRequest) -> dict[str, Any]:
    return {"dev_inbox_url": reverse("devinbox:inbox") if settings.DEBUG else ""}
