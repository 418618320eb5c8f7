"""Dispatch: from a due row to a sent email, and what to do when it fails.

The steps, each in its own module: ``claim`` (due rows under a lease),
``prepare`` (render, re-check preferences and suppressions, build the
message), ``send`` (one connection per batch), ``finish`` (one guarded UPDATE
and an attempt entry per row) and ``policy`` (failure classification and the
retry backoff). ``drain`` loops over batches for a task and holds the sweep.
Steps hand each other typed values (``outcomes``): an ``Outcome`` per row, a
``PreparedMessage`` per sendable row, a ``BatchReport`` per batch.
"""

from .claim import (
    notifications_claim_due,
    notifications_release_expired_leases,
    notifications_renew_leases,
    notifications_take_back_dead_claims,
)
from .drain import drain_due, sweep_outbox
from .outcomes import BatchReport, Outcome, PreparedMessage
from .policy import Failure, backoff_delay, classify_failure
from .send import notifications_send

__all__ = [
    "BatchReport",
    "Failure",
    "Outcome",
    "PreparedMessage",
    "backoff_delay",
    "classify_failure",
    "drain_due",
    "notifications_claim_due",
    "notifications_release_expired_leases",
    "notifications_renew_leases",
    "notifications_send",
    "notifications_take_back_dead_claims",
    "sweep_outbox",
]
