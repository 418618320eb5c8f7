"""P1 request isolation: the follow POST with notifications on and off.

Two runserver processes of the same build on the same database, one with
NOTIFICATIONS_ENABLED=false, take follow requests in alternation from one
logged-in session while qcluster delivers to a mail server that is healthy,
stalls 3 s per message, or is down. The follow's cost of notifications is the
ratio of the two latencies (goal: at most 1.10 in every case).

    python -m bench.isolation [--quick] [--runs 3] [--requests 150]
"""

from __future__ import annotations

import argparse
import secrets
import time
from contextlib import ExitStack

import requests

from bench.common import Project, free_port, median, p95, sink, table

SCENARIOS = ("healthy", "stalling 3 s", "down")


def follow_latencies(
    base_url: str, http: requests.Session, csrf: str, targets: list[str]
) -> list[float]:
    times = []
    for username in targets:
        started = time.perf_counter()
        response = http.post(
            f"{base_url}/u/{username}/follow/",
            data={"csrfmiddlewaretoken": csrf},
            allow_redirects=False,
            timeout=30,
        )
        times.append(time.perf_counter() - started)
        assert response.status_code == 302, (username, response.status_code, response.text[:300])
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="60 requests per server and case")
    parser.add_argument("--requests", type=int, default=None, help="per server, case and run")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    count = args.requests or (60 if args.quick else 150)
    project = Project("p1")
    try:
        project.migrate()
        project.setup_django()
        from django.test import Client

        from accounts.models import User

        total = 2 * count * len(SCENARIOS) * args.runs + 40
        User.objects.bulk_create(
            (User(username=f"t{i}", email=f"t{i}@example.com") for i in range(total)),
            batch_size=1000,
        )
        actor = User.objects.create_user("actor", "actor@example.com", "pw-actor-12345")
        browser = Client()
        browser.force_login(actor)  # a session row both servers read
        http = requests.Session()
        http.cookies.set("sessionid", browser.cookies["sessionid"].value)
        csrf = secrets.token_hex(16)  # an unmasked 32-character CSRF secret
        http.cookies.set("csrftoken", csrf)

        servers = {}
        for label, enabled in (("on", "true"), ("off", "false")):
            port = free_port()
            project.runserver(port, f"p1-web-{label}.log", {"NOTIFICATIONS_ENABLED": enabled})
            servers[label] = f"http://127.0.0.1:{port}"
        names = iter(f"t{i}" for i in range(total))
        for base_url in servers.values():  # warm up each server
            follow_latencies(base_url, http, csrf, [next(names) for _ in range(20)])

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
                        order = ("on", "off") if i % 2 == 0 else ("off", "on")
                        for label in order:
                            latency = follow_latencies(servers[label], http, csrf, [next(names)])
                            (on if label == "on" else off).extend(latency)
                    results[scenario]["on"].append(on)
                    results[scenario]["off"].append(off)
                    print(
                        f"run {run + 1}, mail server {scenario}: median on "
                        f"{1000 * median(on):.1f} ms, off {1000 * median(off):.1f} ms, "
                        f"ratio {median(on) / median(off):.2f}",
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
            rows.append(
                [
                    scenario,
                    f"{1000 * med_on:.1f} / {1000 * p95_on:.1f}",
                    f"{1000 * med_off:.1f} / {1000 * p95_off:.1f}",
                    f"{ratio:.2f}",
                    f"{p95_ratio:.2f}",
                    "≤ 1.10 " + ("met" if ratio <= 1.10 else "MISSED"),
                ]
            )
        print()
        print(
            table(
                [
                    "mail server",
                    "on: median / p95 (ms)",
                    "off: median / p95 (ms)",
                    "median ratio",
                    "p95 ratio",
                    "goal (median)",
                ],
                rows,
            )
        )
    finally:
        project.close()


if __name__ == "__main__":
    main()
