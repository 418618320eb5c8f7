"""P4 scale-out: two qcluster nodes against one, PostgreSQL and Redis.

Both runs use the same settings (Q_WORKERS=2 per node, DELIVERY_TASKS=4: the
workers of both nodes) and the latency-bound sink (100 ms per message); the
second node is the only difference. Deliveries are counted at the sink by
X-Notification-ID: no duplicate and no loss is allowed.

    python -m bench.scaleout [--quick] [--runs 3]
"""

from __future__ import annotations

import argparse

from bench.backlog import drain
from bench.common import Project, median, table

DELAY = 0.1
REDIS_URL = "redis://127.0.0.1:6379/11"  # a database of its own, flushed before each run
NODE_ENV = {"Q_WORKERS": "2", "NOTIFICATIONS_DELIVERY_TASKS": "4"}


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="300 rows")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--queue-limit",
        type=int,
        default=None,
        help="Q_CLUSTER queue_limit of every node (django-q2 default: workers squared)",
    )
    args = parser.parse_args()
    rows = args.rows or (300 if args.quick else 800)
    env = {"REDIS_URL": REDIS_URL}
    if args.queue_limit:
        env |= {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "BENCH_Q_QUEUE_LIMIT": str(args.queue_limit),
        }
    project = Project("p4", db="postgres", env=env)
    try:
        project.migrate()
        project.setup_django()
        results: dict[int, list[dict[str, float]]] = {1: [], 2: []}
        for run in range(args.runs):
            for nodes in (1, 2):
                result = drain(
                    project,
                    rows=rows,
                    name=f"p4-{nodes}node",
                    delay=DELAY,
                    nodes=nodes,
                    env=NODE_ENV,
                    before_start=redis_flush,
                )
                results[nodes].append(result)
                print(
                    f"run {run + 1}, {nodes} node(s): {result['rate']:.1f}/s, "
                    f"duplicates {result['duplicates']}, lost {result['lost']}",
                    flush=True,
                )
        one = median([r["rate"] for r in results[1]])
        two = median([r["rate"] for r in results[2]])
        ratios = [b["rate"] / a["rate"] for a, b in zip(results[1], results[2], strict=True)]
        duplicates = sum(r["duplicates"] for rs in results.values() for r in rs)
        lost = sum(r["lost"] for rs in results.values() for r in rs)
        ratio = median(ratios)
        print()
        print(
            table(
                ["backlog", "1 node", "2 nodes", "2 / 1", "duplicates", "lost", "goal"],
                [
                    [
                        f"{rows} x {args.runs} runs",
                        f"{one:.1f}/s",
                        f"{two:.1f}/s",
                        f"{ratio:.2f}x",
                        duplicates,
                        lost,
                        "≥ 1.8x, 0, 0 "
                        + ("met" if ratio >= 1.8 and not duplicates and not lost else "MISSED"),
                    ]
                ],
            )
        )
    finally:
        project.close()


if __name__ == "__main__":
    main()
