"""P3 latency-bound delivery: the sink takes 100 ms per message.

One SMTP connection then carries at most 10 messages/s, so throughput comes
from sending over several connections at once: Q_WORKERS worker processes,
each running a deliver_due task with its own connection (the first task wakes
the others when the backlog is larger than one batch). Goal: at least 80 % of
workers x 10/s.

    python -m bench.latency [--quick] [--runs 3] [--workers 4]
"""

from __future__ import annotations

import argparse

from bench.backlog import drain
from bench.common import Project, median, table

DELAY = 0.1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="400 rows")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    rows = args.rows or (400 if args.quick else 1200)
    ceiling = args.workers / DELAY
    project = Project("p3", db=args.db)
    try:
        project.migrate()
        project.setup_django()
        results = []
        for run in range(args.runs):
            result = drain(
                project,
                rows=rows,
                name="p3",
                delay=DELAY,
                env={"Q_WORKERS": str(args.workers)},
            )
            results.append(result)
            print(
                f"run {run + 1}: {result['rate']:.1f}/s ({100 * result['rate'] / ceiling:.0f} % "
                f"of {ceiling:.0f}/s), duplicates {result['duplicates']}, lost {result['lost']}",
                flush=True,
            )
        rate = median([r["rate"] for r in results])
        print()
        print(
            table(
                ["backlog", "connections", "ceiling", "emails/s", "share", "goal"],
                [
                    [
                        f"{rows} ({args.db})",
                        args.workers,
                        f"{ceiling:.0f}/s",
                        f"{rate:.1f}",
                        f"{100 * rate / ceiling:.0f} %",
                        "≥ 80 % " + ("met" if rate >= 0.8 * ceiling else "MISSED"),
                    ]
                ],
            )
        )
    finally:
        project.close()


if __name__ == "__main__":
    main()
