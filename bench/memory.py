"""P5 memory: qcluster worker RSS while draining a large backlog.

The backlog is written in bulk while qcluster idles; a warm-up of 200 rows
first loads every module and template the worker needs (a one-off cost), then
VmRSS of every qcluster process is sampled from /proc while the backlog
drains. Goal: a worker's peak grows at most 10 % over its warmed-up idle size.

    python -m bench.memory [--quick] [--rows 50000]
"""

from __future__ import annotations

import argparse
import time

from bench.common import Project, children, rss_kib, sink, table, wait_until

WARM_UP = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 rows")
    parser.add_argument("--rows", type=int, default=None)
    args = parser.parse_args()
    rows = args.rows or (10_000 if args.quick else 50_000)
    project = Project("p5")
    try:
        project.migrate()
        project.setup_django()
        from bench.backlog import backlog_bulk
        from notifications.queue import wake as notifications_wake

        backlog_bulk(WARM_UP)
        with sink("p5") as mail:
            cluster = project.qcluster("p5-qcluster.log", {"EMAIL_URL": mail.url})
            notifications_wake()
            wait_until(lambda: mail.count() >= WARM_UP, timeout=120, interval=0.2)
            backlog_bulk(rows, offset=WARM_UP)
            time.sleep(3)
            pids = children(cluster.pid)
            idle = {pid: max(rss_kib(pid) for _ in range(5) if not time.sleep(0.2)) for pid in pids}
            peak = dict(idle)
            notifications_wake()
            started = time.monotonic()
            while mail.count() < WARM_UP + rows:
                for pid in pids:
                    peak[pid] = max(peak[pid], rss_kib(pid))
                time.sleep(0.25)
                if time.monotonic() - started > 1800:
                    raise TimeoutError("the backlog did not drain in 30 minutes")
            elapsed = time.monotonic() - started
            ids = mail.lines()
            project.stop(cluster)
        out = []
        for pid in pids:
            growth = 100 * (peak[pid] - idle[pid]) / idle[pid] if idle[pid] else 0.0
            out.append(
                [pid, f"{idle[pid] / 1024:.1f}", f"{peak[pid] / 1024:.1f}", f"{growth:+.1f} %"]
            )
        worst = max((100 * (peak[p] - idle[p]) / idle[p] for p in pids if idle[p]), default=0.0)
        print(
            f"{rows} rows drained in {elapsed:.0f} s ({rows / elapsed:.0f}/s), "
            f"{len(ids)} messages, {len(ids) - len(set(ids))} duplicates\n"
        )
        print(table(["qcluster process", "idle RSS (MiB)", "peak RSS (MiB)", "growth"], out))
        print(
            f"\nlargest growth {worst:+.1f} % (goal ≤ 10 %: {'met' if worst <= 10 else 'MISSED'})"
        )
    finally:
        project.close()


if __name__ == "__main__":
    main()
