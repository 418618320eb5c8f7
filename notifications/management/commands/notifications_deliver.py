"""Send what is due now, in this process (draining by hand, or a worker-less setup)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from notifications.tasks import deliver_due


class Command(BaseCommand):
    help = (
        "Claim and send every due outbox row in this process, batch after batch, then "
        "exit. Workers (qcluster, or a django.tasks worker) do this by themselves; this "
        "is for draining by hand, or for a setup without a task worker."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # spread=False: no helper tasks and no follow-up task; this process
        # goes on itself until nothing is due.
        handled = 0
        while batch := deliver_due(spread=False):
            handled += batch
        self.stdout.write(f"Handled {handled} row(s).")
