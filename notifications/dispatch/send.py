"""Sending a claimed batch over one connection of the delivery mailer.

The batch is prepared (rendered and checked), then sent message by message
over one open connection; each row's outcome is recorded right after its
own send, so a worker killed mid-batch resends at most the one email on the
wire. A slow batch (a stalling server) renews its lease before half of it has
run out and skips any row it no longer holds, so the sweep never hands a row
this worker is still sending to another.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from django.core.mail import mailers
from django.utils import timezone
from django.utils.module_loading import import_string

from ..channels.email import message_id_of
from ..conf import conf
from ..models import Notification
from .attempts import AttemptLog
from .claim import notifications_renew_leases
from .finish import finish_failure, finish_sent
from .outcomes import BatchReport, Outcome, PreparedMessage
from .policy import Failure, classify_failure
from .prepare import prepare_batch
from .rate import send_slot_wait

logger = logging.getLogger(__name__)

DEFAULT_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # Django's, for MAILERS


def provider_name(mailer: Any) -> str:
    """The ESP's name for an Anymail mailer, "smtp" for any other."""
    return str(getattr(mailer, "esp_name", "") or "smtp").lower()[:50]


def delivery_provider() -> str:
    """provider_name of the delivery mailer, read from its backend class (nothing is built)."""
    config = mailers.settings.get(conf.DELIVERY_MAILER) or {}
    try:
        backend = import_string(config.get("BACKEND", DEFAULT_BACKEND))
    except ImportError:
        return "unknown"  # the send itself reports it
    return provider_name(backend)


def notifications_send(*, notifications: list[Notification]) -> BatchReport:
    """Prepare and send rows claimed by notifications_claim_due; what became of each."""
    log = AttemptLog(provider=delivery_provider())
    report = BatchReport()
    try:
        prepared = prepare_batch(notifications, report=report, log=log)
        if prepared:
            _send_prepared(prepared, report=report, log=log)
    finally:
        log.flush()
    return report


class _Connection:
    """The delivery mailer's connection, opened on first use and reopened after a drop.

    When the server refuses the connection itself, every further row of the
    batch fails with that same transient failure instead of knocking again.
    """

    def __init__(self) -> None:
        self.mailer = mailers[conf.DELIVERY_MAILER]
        self.is_open = False
        self.refused: Failure | None = None

    def send(self, prepared: PreparedMessage) -> None:
        if self.refused is not None:
            raise _Refused(self.refused)
        if not self.is_open:
            try:
                self.mailer.open()
            except Exception as error:
                self.refused = classify_failure(error)
                raise
            self.is_open = True
        if not self.mailer.send_messages([prepared.message]):
            raise RuntimeError("the mailer accepted no message")

    def failure_of(self, error: Exception) -> Failure:
        if isinstance(error, _Refused):
            return error.failure
        failure = self.refused or classify_failure(error)
        if failure.connection_lost and self.is_open:
            self.close()
        return failure

    def close(self) -> None:
        if not self.is_open:
            return
        self.is_open = False
        try:
            self.mailer.close()
        except Exception:
            logger.warning("closing the delivery mailer failed", exc_info=True)


class _Refused(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


def _send_prepared(
    prepared: list[PreparedMessage], *, report: BatchReport, log: AttemptLog
) -> None:
    connection = _Connection()
    provider = provider_name(connection.mailer)
    half_lease = timedelta(seconds=conf.LEASE_SECONDS / 2)
    leases = [p.row.lease_expires_at for p in prepared if p.row.lease_expires_at]
    renew_at = min(leases) - half_lease if leases else None
    held: set[int] | None = None  # ids still under this claim's lease, once renewed
    try:
        for index, item in enumerate(prepared):
            row = item.row
            # The provider-wide send rate (rate.py): a slot, or the lease first.
            while not send_slot_wait(until=renew_at):
                held = notifications_renew_leases([p.row for p in prepared[index:]])
                renew_at = timezone.now() + half_lease
            if renew_at is not None and timezone.now() >= renew_at:
                held = notifications_renew_leases([p.row for p in prepared[index:]])
                renew_at = timezone.now() + half_lease
            if held is not None and row.pk not in held:
                report.add(row, Outcome.LEASE_LOST)
                continue
            started = timezone.now()
            clock = time.monotonic()
            try:
                connection.send(item)
            except Exception as error:
                failure = connection.failure_of(error)
                outcome = finish_failure(
                    row,
                    failure,
                    started=started,
                    log=log,
                    rendered=item.rendered,
                    to_address=item.to_address,
                )
            else:
                outcome = finish_sent(
                    item,
                    provider=provider,
                    message_id=message_id_of(item.message),
                    started=started,
                    log=log,
                )
                logger.info(
                    "notification %s sent in %.0f ms", row.pk, (time.monotonic() - clock) * 1000
                )
            report.add(row, outcome)
            log.flush_if_due()
    finally:
        connection.close()
