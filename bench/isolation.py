"""P1 request isolation: the follow POST with notifications on and off.

Two servers of the same build on the same database, one with
NOTIFICATIONS_ENABLED=false, take follow requests in alternation while
qcluster delivers to a mail server that is healthy, stalls 3 s per message,
or is down. The follow's cost of notifications is the ratio of the two
latencies (goal: at most 1.10, median and p95, in every case).

The servers are what production runs: gunicorn with deploy/gunicorn.conf.py
(2 sync workers, DEBUG off, no access log) on SQLite, or on PostgreSQL with
Redis as broker and cache (`--db postgres`, Redis database 14). The client
signs in anew every 25 requests and drops the flash-message cookie a browser
would have shown on the next page, so neither the session row nor the
cookies grow through the run (they did with one session for the whole run,
and every request then paid for a 5 KB session). `--server runserver`
measures the older set-up.

`--in-process` times the follow service itself (`follow_create`) with
notifications on and off, in this process, with its queries; with
`--statements`, also the median time of each statement of a follow with
notifications on, as the caller waits for it (the driver and the database),
and what is left for Python.

    python -m bench.isolation [--quick] [--runs 3] [--db postgres] [--server runserver]
    python -m bench.isolation --in-process [--statements] [--db postgres]
"""

from __future__ import annotations

import argparse
import secrets
import time
from contextlib import ExitStack
from typing import Any

import requests

from bench.common import Project, free_port, median, p95, sink, table

SCENARIOS = ("healthy", "stalling 3 s", "down")
REDIS_URL = "redis://127.0.0.1:6379/14"  # P1 on PostgreSQL: a Redis database of its own
SESSION_REQUESTS = 25  # requests per sign-in


def signed_in(actor: Any) -> tuple[requests.Session, str]:
    """A new session of `actor` (a fresh session row) and its CSRF secret."""
    from django.test import Client

    browser = Client()
    browser.force_login(actor)  # a session row both servers read
    http = requests.Session()
    http.cookies.set("sessionid", browser.cookies["sessionid"].value)
    csrf = secrets.token_hex(16)  # an unmasked 32-character CSRF secret
    http.cookies.set("csrftoken", csrf)
    return http, csrf


def follow_latency(base_url: str, http: requests.Session, csrf: str, username: str) -> float:
    started = time.perf_counter()
    response = http.post(
        f"{base_url}/u/{username}/follow/",
        data={"csrfmiddlewaretoken": csrf},
        allow_redirects=False,
        timeout=30,
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 302, (username, response.status_code, response.text[:300])
    # The page after the redirect would show (and so clear) the flash message.
    http.cookies.pop("messages", None)
    return elapsed


def notifications(*, on: bool) -> Any:
    """Settings with notifications on or off, for the block they wrap."""
    from django.conf import settings
    from django.test.utils import override_settings

    return override_settings(NOTIFICATIONS={**settings.NOTIFICATIONS, "ENABLED": on})


def in_process(count: int, *, statements: bool = False) -> None:
    """follow_create with notifications on and off, alternating, in this process.

    The timed calls run as production runs them, without query capture: the
    debug cursor that records queries costs tens of microseconds a statement
    (on SQLite it quotes the parameters with one more query), which would
    charge the side with more statements for the measuring. The statements
    are counted afterwards, in follows of their own.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from accounts.services import follow_create

    users = list(User.objects.filter(username__startswith="t").order_by("pk")[: 3 * count + 40])
    actor = User.objects.get(username="actor")
    targets = iter(users)
    times: dict[str, list[float]] = {"on": [], "off": []}
    for i in range(count + 10):
        for label in ("on", "off") if i % 2 == 0 else ("off", "on"):
            with notifications(on=label == "on"):
                started = time.perf_counter()
                follow_create(follower=actor, followed=next(targets))
                elapsed = time.perf_counter() - started
            if i >= 10:  # the first ten pairs warm up
                times[label].append(elapsed)
    captured: dict[str, CaptureQueriesContext] = {}
    for label in ("on", "off"):
        with (
            notifications(on=label == "on"),
            CaptureQueriesContext(connection) as captured[label],
        ):
            follow_create(follower=actor, followed=next(targets))
    on, off = median(times["on"]), median(times["off"])
    print(
        table(
            ["follow_create", "median (ms)", "p95 (ms)", "queries"],
            [
                [
                    label,
                    f"{1000 * median(times[label]):.2f}",
                    f"{1000 * p95(times[label]):.2f}",
                    len(captured[label]),
                ]
                for label in ("on", "off")
            ],
        )
    )
    print(f"\nnotifications add {1000 * (on - off):.2f} ms (goal ≤ 1.5 ms)")
    print("\nthe queries of one follow with notifications on:")
    for query in captured["on"].captured_queries:
        print(f"  {query['time']} s  {query['sql'][:160]}")
    if statements:
        statement_times(count, targets=targets, actor=actor, added_ms=1000 * (on - off))


def statement_times(count: int, *, targets: Any, actor: Any, added_ms: float) -> None:
    """The median time of each statement of a follow with notifications on,
    from the call to the answer; the rest of what notifications add is Python
    (and the COMMIT writing more pages, which runs outside execute)."""
    from django.db import connection

    from accounts.services import follow_create

    times: dict[str, list[float]] = {}
    order: list[str] = []
    added: set[str] = set()  # the statements notifications add

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            # Savepoint names differ per call: one line for all of them.
            name = " ".join(sql.split()[:6])[:70] if "SAVEPOINT" not in sql else sql.split()[0]
            if name not in times:
                order.append(name)
            if "notifications_" in sql or "pg_advisory" in sql:
                added.add(name)
            times.setdefault(name, []).append(time.perf_counter() - started)

    with notifications(on=True):
        for _ in range(count):
            with connection.execute_wrapper(timed):
                follow_create(follower=actor, followed=next(targets))
    rows = [
        [f"{1e6 * median(times[name]):.0f}", f"{len(times[name]) / count:.1f}", name]
        for name in order
    ]
    print("\nper statement of a follow with notifications on (median, µs):")
    print(table(["µs", "per follow", "statement"], rows))
    database = sum(1000 * median(times[n]) * len(times[n]) / count for n in added)
    print(
        f"\nthe statements notifications add: {database:.2f} ms of the {added_ms:.2f} ms they add;"
        f" the rest, {added_ms - database:.2f} ms, is Python and the bigger COMMIT"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="60 requests per server and case")
    parser.add_argument("--requests", type=int, default=None, help="per server, case and run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--server", choices=["gunicorn", "runserver"], default="gunicorn")
    parser.add_argument("--in-process", action="store_true", help="time follow_create only")
    parser.add_argument(
        "--statements", action="store_true", help="with --in-process: each statement's time"
    )
    args = parser.parse_args()
    count = args.requests or (60 if args.quick else 150)
    env = {"REDIS_URL": REDIS_URL} if args.db == "postgres" else {}
    if args.db == "postgres":
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
    project = Project("p1", db=args.db, env=env)
    try:
        project.migrate()
        project.setup_django()
        from accounts.models import User

        total = 2 * count * len(SCENARIOS) * args.runs + 40
        User.objects.bulk_create(
            (User(username=f"t{i}", email=f"t{i}@example.com") for i in range(total)),
            batch_size=1000,
        )
        actor = User.objects.create_user("actor", "actor@example.com", "pw-actor-12345")
        if args.in_process:
            in_process(count * 2, statements=args.statements)
            return

        servers = {}
        for label, enabled in (("on", "true"), ("off", "false")):
            port = free_port()
            launch = project.gunicorn if args.server == "gunicorn" else project.runserver
            launch(port, f"p1-web-{label}.log", {"NOTIFICATIONS_ENABLED": enabled})
            servers[label] = f"http://127.0.0.1:{port}"
        names = iter(f"t{i}" for i in range(total))
        http, csrf = signed_in(actor)
        for base_url in servers.values():  # warm up each server (and each worker)
            for _ in range(20):
                follow_latency(base_url, http, csrf, next(names))

        results: dict[str, dict[str, list[list[float]]]] = {
            s: {"on": [], "off": []} for s in SCENARIOS
        }
        for run in range(args.runs):
            for scenario in SCENARIOS:
                with ExitStack() as stack:
                    if scenario == "down":
                        email_url = f"smtp://127.0.0.1:{free_port()}"  # nothing listens
                    else:
                        delay = 3.0 if scenario.startswith("stalling") else 0.0
                        mail = stack.enter_context(sink("p1", delay=delay))
                        email_url = mail.url
                    worker = project.qcluster("p1-qcluster.log", {"EMAIL_URL": email_url})
                    stack.callback(project.stop, worker)
                    time.sleep(2)  # qcluster up
                    on: list[float] = []
                    off: list[float] = []
                    for i in range(count):
                        if i % SESSION_REQUESTS == 0:
                            http, csrf = signed_in(actor)
                        order = ("on", "off") if i % 2 == 0 else ("off", "on")
                        for label in order:
                            latency = follow_latency(servers[label], http, csrf, next(names))
                            (on if label == "on" else off).append(latency)
                    results[scenario]["on"].append(on)
                    results[scenario]["off"].append(off)
                    print(
                        f"run {run + 1}, mail server {scenario}: median on "
                        f"{1000 * median(on):.1f} ms, off {1000 * median(off):.1f} ms, "
                        f"ratio {median(on) / median(off):.2f}; p95 on {1000 * p95(on):.1f} ms, "
                        f"off {1000 * p95(off):.1f} ms, ratio {p95(on) / p95(off):.2f}",
                        flush=True,
                    )
        rows = []
        for scenario in SCENARIOS:
            on_runs, off_runs = results[scenario]["on"], results[scenario]["off"]
            med_on = median([median(r) for r in on_runs])
            med_off = median([median(r) for r in off_runs])
            p95_on = median([p95(r) for r in on_runs])
            p95_off = median([p95(r) for r in off_runs])
            ratio = median([median(a) / median(b) for a, b in zip(on_runs, off_runs, strict=True)])
            p95_ratio = median([p95(a) / p95(b) for a, b in zip(on_runs, off_runs, strict=True)])
            met = ratio <= 1.10 and p95_ratio <= 1.10
            rows.append(
                [
                    scenario,
                    f"{1000 * med_on:.1f} / {1000 * p95_on:.1f}",
                    f"{1000 * med_off:.1f} / {1000 * p95_off:.1f}",
                    f"{ratio:.2f}",
                    f"{p95_ratio:.2f}",
                    "≤ 1.10 " + ("met" if met else "MISSED"),
                ]
            )
        print()
        print(f"{args.server}, {args.db}:")
        print(
            table(
                [
                    "mail server",
                    "on: median / p95 (ms)",
                    "off: median / p95 (ms)",
                    "median ratio",
                    "p95 ratio",
                    "goal (median and p95)",
                ],
                rows,
            )
        )
    finally:
        project.close()


if __name__ == "__main__":
    main()
