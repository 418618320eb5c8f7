"""Print the outbox's state, as text or JSON; exit 1 when delivery looks unhealthy
(for cron and monitoring)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from notifications.selectors import OutboxHealth, outbox_health


def _age(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.0f}s"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def health_document(health: OutboxHealth) -> dict[str, Any]:
    """The figures of the text output under stable keys (docs/operations.md lists them).

    Ages are seconds (null: nothing due, or no heartbeat yet); times are ISO
    8601 in UTC (null: none).
    """
    return {
        "healthy": health.healthy,
        "problems": list(health.problems),
        "counts": dict(health.counts),
        "due": health.due,
        "oldest_due_age_seconds": health.oldest_due_age,
        "waiting": {
            "total": health.waiting_total,
            "by_cause": {str(cause): n for cause, n in health.waiting.items()},
            "next_due_at": _iso(health.next_due_at),
        },
        "held": {
            "total": health.held_total,
            "by_cause": {str(cause): n for cause, n in health.held.items()},
        },
        "last_hour": {"sent": health.sent_last_hour, "failed": health.failed_last_hour},
        "last_success_at": _iso(health.last_success),
        "heartbeat_age_seconds": health.heartbeat_age,
    }


class Command(BaseCommand):
    help = "Counts by status, oldest due row, recent throughput and worker heartbeat."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="Print the same figures as one JSON object (the exit status is the same).",
        )

    def handle(self, *args: Any, as_json: bool = False, **options: Any) -> None:
        health = outbox_health()
        if as_json:
            self.stdout.write(json.dumps(health_document(health), indent=2, sort_keys=True))
        else:
            self._write_text(health)
        if health.healthy:
            return
        if not as_json:  # the JSON's "problems" says it for a program
            for problem in health.problems:
                self.stderr.write(self.style.ERROR(f"Unhealthy: {problem}"))
        raise CommandError("notification delivery is unhealthy", returncode=1)

    def _write_text(self, health: OutboxHealth) -> None:
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
