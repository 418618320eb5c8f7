"""The rows that worker processes share to coordinate: one row each, read and
written by compare-and-swap UPDATEs, never by staff.

* `Heartbeat`: when the periodic sweep last ran (operators' health checks).
* `WakeUp`: whether a wake-up is already queued (enqueue/wakeup.py), and when
  rows last came due (dispatch/watch.py).
* `SendRate`: the next free slot of a provider-wide send rate (dispatch/rate.py).
"""

from django.db import models


class Heartbeat(models.Model):
    """Last time a worker process proved it was alive (written by the sweep)."""

    SWEEP = "sweep"  # the name the periodic sweep records under

    name = models.CharField(max_length=100, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class WakeUp(models.Model):
    """Whether a deliver_due wake-up is already waiting in the task queue.

    One row. A commit that queued rows sets it and enqueues a wake-up only
    when it was not set; the next deliver_due clears it before it claims, so
    a burst of events costs one queued task instead of one per event.
    """

    pending = models.BooleanField(default=False)
    # When a worker last woke the others because rows came due (a backoff or a
    # coalescing window ended): one wake-up per due moment, cluster-wide.
    due_woken_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "wake-up pending" if self.pending else "no wake-up pending"


class SendRate(models.Model):
    """The next free send slot of a provider-wide rate limit, shared by every worker:
    one row per limit (dispatch/rate.py), advanced by a compare-and-swap UPDATE."""

    name = models.CharField(max_length=100, unique=True)
    next_slot_us = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: next slot at {self.next_slot_us / 1e6:.6f}"
