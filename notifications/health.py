"""Health of the delivery pipeline, for load balancers and operators.

``GET /healthz`` answers 200 when the database and the task broker answer,
503 otherwise, with a JSON body saying which part failed. The worker's
heartbeat and the outbox backlog are reported too but do not fail the check
(a stuck worker must not take the web servers out of rotation); use
``manage.py notifications_status`` to alert on those.
"""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        logger.exception("health check: database unreachable")
        return False


def _broker() -> bool:
    try:
        from django_q.brokers import get_broker

        broker = get_broker()
        return broker.ping() is not False
    except Exception:
        logger.exception("health check: task broker unreachable")
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database(), "broker": _broker()}
    body: dict = {"status": "ok" if all(checks.values()) else "error", "checks": checks}
    if checks["database"]:
        from .selectors import heartbeat_age, notifications_oldest_due_age

        body["worker_heartbeat_age"] = heartbeat_age()
        body["oldest_due_age"] = notifications_oldest_due_age()
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)
