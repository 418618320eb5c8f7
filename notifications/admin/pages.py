"""The outbox's staff pages beside its list: the delivery dashboard and the
previews of every notification type.

The dashboard answers, in this order: is delivery working (the workers'
heartbeat and the age of the due backlog), what is waiting and why (due now,
waiting for a reason, held for the digest), what happened in the last hour,
and a chart of the last 48 hours. Every figure carries its unit, and an empty
one says what it means ("nothing is due") instead of showing a blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..conf import conf
from ..explain import Cause, duration_text, kind_label, moment_text, row_wait
from ..models import Notification
from ..previews import email_html_iframe, preview_languages, render_sample, render_sample_in_app
from ..selectors import (
    OutboxHealth,
    notifications_per_hour,
    notifications_waiting_next,
    outbox_health,
)
from ..types import registry

Status = Notification.Status

# The SVG chart's drawing area, in its own units (it scales to the page width).
CHART_WIDTH, CHART_HEIGHT = 960, 250
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 44, 952, 12, 212


@dataclass(frozen=True)
class Figure:
    """One line of the dashboard: what, how many (with the unit), and a note."""

    label: str
    value: str
    note: str = ""
    url: str = ""
    level: int = 0  # 1: a part of the line above


def emails(count: int) -> str:
    return ngettext("%(count)d email", "%(count)d emails", count) % {"count": count}


def status_count(health: OutboxHealth, status: str) -> str:
    """The number of emails of a status, "about …" when it is the database's estimate."""
    text = emails(health.counts.get(status, 0))
    if status in health.estimated:
        return _("about %(emails)s") % {"emails": text}
    return text


def outbox_url(**filters: str) -> str:
    url = reverse("admin:notifications_notification_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


WAITING_CAUSES = {
    Cause.COALESCING: gettext_lazy("for more events to join them in one email"),
    Cause.UNSEEN: gettext_lazy("for the recipient to read them in the app first"),
    Cause.QUIET_HOURS: gettext_lazy("for the recipient's quiet hours to end"),
    Cause.RETRY: gettext_lazy("to be tried again after a temporary failure"),
    Cause.SCHEDULED: gettext_lazy("scheduled for later by the sender"),
}
HELD_CAUSES = {
    Cause.DIGEST: gettext_lazy("the recipient gets the category by digest"),
    Cause.HOURLY_LIMIT: gettext_lazy("the recipient reached the hourly limit"),
}


def health_summary(health: OutboxHealth) -> tuple[str, list[str]]:
    """The dashboard's headline and, when something is wrong, what and what to do."""
    warnings = []
    if health.heartbeat_missing:
        warnings.append(
            _(
                "No worker has reported yet, so nothing is being sent. Start the workers "
                "(manage.py qcluster) and keep the sweep schedule enabled."
            )
        )
    elif health.heartbeat_stale:
        warnings.append(
            _(
                "The workers last reported %(age)s ago (the limit is %(limit)s): they may "
                "have stopped. Check that qcluster is running."
            )
            % {
                "age": duration_text(health.heartbeat_age or 0),
                "limit": duration_text(conf.HEARTBEAT_MAX_AGE),
            }
        )
    if health.backlog_late:
        warnings.append(
            ngettext(
                "%(count)d email is due and has waited %(age)s (the limit is %(limit)s): "
                "the workers are behind or stuck.",
                "%(count)d emails are due and the oldest has waited %(age)s (the limit is "
                "%(limit)s): the workers are behind or stuck.",
                health.due,
            )
            % {
                "count": health.due,
                "age": duration_text(health.oldest_due_age or 0),
                "limit": duration_text(conf.MAX_DUE_AGE),
            }
        )
    if health.failing:
        warnings.append(
            _(
                "%(count)d emails failed in the last hour and none was sent: check the "
                "mail server or the provider's settings, then retry them from the outbox."
            )
            % {"count": health.failed_last_hour}
        )
    if warnings:
        return _("Delivery needs attention."), warnings
    return _("Delivery is healthy: the workers are running and nothing due is late."), []


def now_figures(health: OutboxHealth, now: datetime) -> list[Figure]:
    """What is not sent yet, and why."""
    oldest = (
        _("%(age)s (the limit is %(limit)s)")
        % {
            "age": duration_text(health.oldest_due_age),
            "limit": duration_text(conf.MAX_DUE_AGE),
        }
        if health.oldest_due_age is not None
        else _("none: nothing is due")
    )
    next_due = (
        _("the next comes due at %(time)s") % {"time": moment_text(health.next_due_at, now=now)}
        if health.next_due_at
        else ""
    )
    figures = [
        Figure(
            _("Due now, for the workers to send"),
            emails(health.due),
            url=outbox_url(status__exact=Status.QUEUED, due="now"),
        ),
        Figure(_("Longest a due email has waited"), oldest, level=1),
        Figure(
            _("Waiting, not due yet"),
            emails(health.waiting_total),
            next_due,
            url=outbox_url(status__exact=Status.QUEUED, due="later"),
        ),
    ]
    figures += [
        Figure(str(describe), emails(health.waiting[cause]), level=1)
        for cause, describe in WAITING_CAUSES.items()
        if health.waiting.get(cause)
    ]
    figures.append(
        Figure(
            _("Held for the daily digest"),
            emails(health.held_total),
            url=outbox_url(status__exact=Status.HELD),
        )
    )
    figures += [
        Figure(str(describe), emails(health.held[cause]), level=1)
        for cause, describe in HELD_CAUSES.items()
        if health.held.get(cause)
    ]
    figures.append(
        Figure(
            _("Being sent"),
            emails(health.counts.get(Status.SENDING, 0)),
            url=outbox_url(status__exact=Status.SENDING),
        )
    )
    return figures


def recent_figures(health: OutboxHealth, now: datetime) -> list[Figure]:
    """The last hour, the last success, the workers' heartbeat."""
    if health.last_success is None:
        last = _("never")
    else:
        last = _("%(time)s (%(age)s ago)") % {
            "time": moment_text(health.last_success, now=now),
            "age": duration_text((now - health.last_success).total_seconds()),
        }
    heartbeat = (
        _("never: no worker has reported")
        if health.heartbeat_age is None
        else _("%(age)s ago (the limit is %(limit)s)")
        % {
            "age": duration_text(health.heartbeat_age),
            "limit": duration_text(conf.HEARTBEAT_MAX_AGE),
        }
    )
    return [
        Figure(
            _("Sent in the last hour"),
            emails(health.sent_last_hour),
            url=outbox_url(status__exact=Status.SENT),
        ),
        Figure(
            _("Failed in the last hour"),
            emails(health.failed_last_hour),
            url=outbox_url(status__exact=Status.FAILED),
        ),
        Figure(_("Last email sent"), last),
        Figure(_("Workers last reported"), heartbeat),
    ]


def coming_up(now: datetime) -> list[dict[str, Any]]:
    """The waiting emails that go out next, each with why it waits and until when."""
    entries = []
    for row in notifications_waiting_next(limit=5, now=now):
        wait = row_wait(row, now=now)
        entries.append(
            {
                "url": reverse("admin:notifications_notification_change", args=[row.pk]),
                "name": f"#{row.pk} · {kind_label(row.kind)} → {row.to_address}",
                "reason": wait.text if wait else "",
            }
        )
    return entries


def _nice_ceiling(peak: int) -> int:
    """The chart's top: the first of 1, 2, 4, 5, 10, 20, 40, 50, 100… at or above `peak`."""
    step = 1
    while True:
        for factor in (1, 2, 4, 5):
            if factor * step >= peak:
                return factor * step
        step *= 10


def hourly_chart(hours: list[dict[str, Any]]) -> dict[str, Any]:
    """The 48-hour chart as SVG geometry: stacked bars, gridlines, axis labels, legend."""
    statuses = [status for status in Status]
    peak = max((hour["total"] for hour in hours), default=0)
    top = _nice_ceiling(max(peak, 1))
    plot_height = PLOT_BOTTOM - PLOT_TOP
    slot = (PLOT_RIGHT - PLOT_LEFT) / max(len(hours), 1)
    bars, labels = [], []
    for index, hour in enumerate(hours):
        x = PLOT_LEFT + index * slot
        y = float(PLOT_BOTTOM)
        local = timezone.localtime(hour["hour"])
        when = date_format(local, "MONTH_DAY_FORMAT") + " " + date_format(local, "H:i")
        for status in statuses:
            count = hour["counts"][status.value]
            if count:
                height = plot_height * count / top
                y -= height
                bars.append(
                    {
                        "status": status.value,
                        "x": round(x + 1, 1),
                        "y": round(y, 1),
                        "width": round(slot - 2, 1),
                        "height": round(height, 1),
                        "title": f"{when}: {status.label} {count}",
                    }
                )
        if local.hour % 6 == 0:
            text = date_format(local, "H:i")
            if local.hour == 0:
                text = date_format(local, "MONTH_DAY_FORMAT")
            centre = x + slot / 2
            # A label at either end of the axis is aligned to stay inside the chart.
            anchor = "middle"
            if centre > PLOT_RIGHT - 40:
                anchor, centre = "end", PLOT_RIGHT
            elif centre < PLOT_LEFT + 40:
                anchor, centre = "start", PLOT_LEFT
            labels.append({"x": round(centre, 1), "text": text, "anchor": anchor})
    ticks = sorted({0, top // 2, top}) if top % 2 == 0 else [0, top]
    gridlines = [
        {"y": round(PLOT_BOTTOM - plot_height * tick / top, 1), "value": tick} for tick in ticks
    ]
    totals = {
        status.value: sum(hour["counts"][status.value] for hour in hours) for status in Status
    }
    return {
        "bars": bars,
        "labels": labels,
        "gridlines": gridlines,
        "legend": [
            {"status": status.value, "label": capfirst(status.label), "total": totals[status.value]}
            for status in statuses
        ],
        "busy_hours": [
            {
                "hour": hour["hour"],
                "counts": [
                    (capfirst(status.label), hour["counts"][status.value])
                    for status in statuses
                    if hour["counts"][status.value]
                ],
                "total": hour["total"],
            }
            for hour in hours
            if hour["total"]
        ],
        "peak": peak,
        "empty": peak == 0,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "plot": {"left": PLOT_LEFT, "right": PLOT_RIGHT, "bottom": PLOT_BOTTOM},
        "axis_label_y": PLOT_BOTTOM + 24,
    }


def dashboard_view(model_admin: ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    now = timezone.now()
    health = outbox_health(now=now)
    headline, warnings = health_summary(health)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Email delivery"),
        "opts": model_admin.model._meta,
        "health": health,
        "headline": headline,
        "warnings": warnings,
        "now_figures": now_figures(health, now),
        "recent_figures": recent_figures(health, now),
        "by_status": [
            (capfirst(status.label), status_count(health, status.value), status.value)
            for status in Status
        ],
        "coming_up": coming_up(now),
        "chart": hourly_chart(notifications_per_hour(hours=48, now=now)),
        "now": now,
    }
    return TemplateResponse(request, "admin/notifications/dashboard.html", context)


def preview_view(model_admin: ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    previews = []
    for kind in registry.all():
        for code, name in preview_languages():
            entry: dict[str, Any] = {
                "kind": kind,
                "label": kind_label(kind.key),
                "language": name,
                "code": code,
                "anchor": f"{kind.key}-{code}",
            }
            try:
                rendered = render_sample(kind, code)
            except Exception as error:  # a broken template must not hide the others
                entry["error"] = f"{type(error).__name__}: {error}"
            else:
                entry["in_app"] = render_sample_in_app(kind, code)
                entry["subject"] = rendered.subject
                entry["text"] = rendered.body_text
                entry["html"] = email_html_iframe(
                    reverse("admin:notifications_preview_html", args=[kind.key, code])
                )
            previews.append(entry)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Notification previews"),
        "opts": model_admin.model._meta,
        "previews": previews,
    }
    return TemplateResponse(request, "admin/notifications/preview.html", context)
