"""What staff do to outbox emails from the admin: retry now, cancel, resend
as new; each says how many rows it changed and how many their status left
as they were."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ..actions import notification_cancel, notification_resend, notification_retry_now
from ..models import Notification
from ..transitions import reason_cancelled_by

BOTH = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


class OutboxActions:
    """The actions of NotificationAdmin (a ModelAdmin mixin)."""

    actions = ("retry_now", "cancel", "resend_as_new")

    @admin.action(description=_("Retry now"), permissions=("change",), location=BOTH)
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        done = [notification_retry_now(notification=row) for row in queryset]
        said = ngettext(
            "%(count)d email queued for retry.", "%(count)d emails queued for retry.", sum(done)
        )
        self._report(request, done, said, rechecked=True)

    @admin.action(description=_("Cancel"), permissions=("change",), location=BOTH)
    def cancel(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        reason = reason_cancelled_by(request.user)
        done = [notification_cancel(notification=row, reason=reason) for row in queryset]
        said = ngettext("%(count)d email cancelled.", "%(count)d emails cancelled.", sum(done))
        self._report(request, done, said)

    @admin.action(description=_("Resend as new"), permissions=("change",), location=BOTH)
    def resend_as_new(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        done = [notification_resend(notification=row) is not None for row in queryset]
        said = ngettext("%(count)d new email queued.", "%(count)d new emails queued.", sum(done))
        self._report(request, done, said, rechecked=True)

    def _report(
        self, request: HttpRequest, done: list[bool], said: str, *, rechecked: bool = False
    ) -> None:
        """How many rows an action changed (`said`, with %(count)d), and how
        many their status left as they were.

        A retried or resent row is stopped again, at once, for the reason it
        stopped before (a category turned off, a suppressed address): staff
        must not read "queued" as "will be sent".
        """
        message = said % {"count": sum(done)}
        if rechecked:
            message += " " + gettext(
                "Each is checked against its recipient's preferences and the suppression "
                "list again before it is sent, and may be cancelled or held for that."
            )
        self.message_user(request, message, messages.SUCCESS if any(done) else messages.WARNING)
        if not all(done):
            left = done.count(False)
            skipped = ngettext(
                "%(count)d left as it was: the action does not apply to its status.",
                "%(count)d left as they were: the action does not apply to their status.",
                left,
            )
            self.message_user(request, skipped % {"count": left}, messages.WARNING)
