"""Print the outbox's state; exit 1 when delivery looks unhealthy (for cron/monitoring)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from notifications.selectors import outbox_health


def _age(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.0f}s"


class Command(BaseCommand):
    help = "Counts by status, oldest due row, recent throughput and worker heartbeat."

    def handle(self, *args: Any, **options: Any) -> None:
        health = outbox_health()
        write = self.stdout.write
        write("Outbox by status:")
        for status, count in health.counts.items():
            write(f"  {status:<11} {count}")
        if health.estimated:
            # A big outbox: these counts come from the table statistics.
            write(f"  (estimated: {', '.join(sorted(health.estimated))})")
        write(f"Due now: {health.due}, oldest due row waiting: {_age(health.oldest_due_age)}")
        waiting = ", ".join(f"{cause} {n}" for cause, n in health.waiting.items() if n)
        next_due = health.next_due_at.isoformat() if health.next_due_at else "-"
        write(
            f"Waiting, not due yet: {health.waiting_total}"
            + (f" ({waiting})" if waiting else "")
            + f", next due at {next_due}"
        )
        write(f"Held for the digest: {health.held_total}")
        write(f"Last hour: {health.sent_last_hour} sent, {health.failed_last_hour} failed")
        last = health.last_success.isoformat() if health.last_success else "never"
        write(f"Last successful send: {last}")
        write(f"Worker heartbeat age: {_age(health.heartbeat_age)}")
        if health.healthy:
            write(self.style.SUCCESS("Healthy"))
            return
        for problem in health.problems:
            self.stderr.write(self.style.ERROR(f"Unhealthy: {problem}"))
        raise CommandError("notification delivery is unhealthy", returncode=1)
