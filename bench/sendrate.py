"""P6 send rate: a 20/s provider-wide limit held by 4 workers on 2 qcluster nodes.

A backlog of new-follower rows is queued while no worker runs; then two
qcluster nodes (Q_WORKERS=2 each, NOTIFICATIONS_DELIVERY_TASKS=4) start with
NOTIFICATIONS_SEND_RATE=20 and drain it to the loopback sink, which records
the time it accepted each message. The goal: no 10-second window at the sink
above 21 messages a second, nothing lost and nothing sent twice (counted by
X-Notification-ID). PostgreSQL and the Redis broker; the slots are shared
through Redis (SEND_RATE_REDIS_URL is the project's REDIS_URL) or, with
--shared database, through the database.

    python -m bench.sendrate [--quick] [--rows 1200] [--rate 20] [--shared redis|database]
"""

from __future__ import annotations

import argparse
import time

from bench.backlog import backlog_create
from bench.common import Project, sink, table, wait_until

REDIS_URL = "redis://127.0.0.1:6379/12"  # a database of its own, flushed before each run


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def most_in_a_window(times: list[float], window: float) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="400 rows")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--shared", choices=["redis", "database"], default="redis")
    args = parser.parse_args()
    rows = args.rows or (400 if args.quick else 1200)
    env = {
        "REDIS_URL": REDIS_URL,
        "Q_WORKERS": "2",
        "NOTIFICATIONS_DELIVERY_TASKS": "4",
        "NOTIFICATIONS_SEND_RATE": f"{args.rate:g}",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_SEND_RATE_SHARED": args.shared,
    }
    project = Project("p6", db="postgres", env=env)
    try:
        project.migrate()
        project.setup_django()
        from notifications.models import Notification, SendRate

        redis_flush()
        SendRate.objects.all().delete()
        assert backlog_create(rows) == rows
        expected = {str(pk) for pk in Notification.objects.values_list("id", flat=True)}
        with sink("p6") as engine_sink:
            nodes = [
                project.qcluster(f"p6-qcluster-{n}.log", {"EMAIL_URL": engine_sink.url})
                for n in range(2)
            ]
            started = time.time()
            try:
                timeout = rows / args.rate * 2 + 60
                wait_until(lambda: engine_sink.count() >= rows, timeout=timeout, interval=0.5)
                time.sleep(2.0)  # anything sent twice would show up now
            finally:
                for node in nodes:
                    project.stop(node)
            records = engine_sink.records()
        ids = [ident for ident, _ in records]
        times = [stamp for _, stamp in records]
        ten = most_in_a_window(times, 10.0) / 10
        one = most_in_a_window(times, 1.0)
        duplicates = len(ids) - len(set(ids))
        lost = len(expected - set(ids))
        span = max(times) - min(times)
        print(
            f"{len(ids)} messages in {span:.1f} s at the sink ({(len(ids) - 1) / span:.2f}/s); "
            f"the first {min(times) - started:.1f} s after the nodes were started"
        )
        goal = ten <= args.rate * 1.05 and not duplicates and not lost
        print()
        print(
            table(
                [
                    "backlog",
                    "limit",
                    "slots in",
                    "mean rate",
                    "busiest 10 s",
                    "busiest 1 s",
                    "duplicates",
                    "lost",
                    "goal",
                ],
                [
                    [
                        rows,
                        f"{args.rate:g}/s",
                        args.shared,
                        f"{(len(ids) - 1) / span:.2f}/s",
                        f"{ten:.1f}/s",
                        one,
                        duplicates,
                        lost,
                        f"≤ {args.rate * 1.05:g}/s, 0, 0 " + ("met" if goal else "MISSED"),
                    ]
                ],
            )
        )
    finally:
        project.close()


if __name__ == "__main__":
    main()
