"""P2 on the ESP path: the engine through Anymail against a raw loop of the same backend.

A local stand-in for Postmark's HTTP API (the framework's test stand-in,
stdlib HTTP/1.1 with keep-alive and TCP_NODELAY) runs in a process of its
own (`python -m bench.anymail_path --serve`), writing one line per accepted
message. Against it, side by side
in one run:

* the engine: a backlog of new-follower rows drained by a qcluster
  (`Q_WORKERS=2`) with `EMAIL_PROVIDER=postmark`;
* raw: one process calling the same Anymail backend's `send_messages` over
  one open connection, message after message, with the engine's own email
  (subject, text, HTML and headers of the first message the engine sent in
  the same run). No database, no templates, no task queue.

The rate is messages the API accepted per second, from its first to its
last. Goal (issue: at least 0.8 of raw).

    python -m bench.anymail_path [--rows 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.backlog import backlog_create, queue_clear
from bench.common import RUN_DIR, Project, median, table, wait_for_port, wait_until

API_ENV = {"EMAIL_PROVIDER": "postmark", "ESP_API_KEY": "bench-token"}


def serve(port_file: Path, log: Path, capture: Path) -> None:
    """The fake Postmark API (the framework's test stand-in), one log line per message.

    Writes the port it listens on to `port_file` once it is up.
    """
    from notifications.tests.support.fake_esp import FakeEsp, RecordedRequest, postmark_ok

    out = log.open("a", buffering=1)

    def accept(request: RecordedRequest) -> tuple[int, object]:
        if not capture.exists():
            capture.write_bytes(request.body)
        out.write(f"{time.time():.6f}\n")
        return postmark_ok(request)

    api = FakeEsp(responder=accept).start()
    port_file.write_text(api.url.rsplit(":", 1)[1].strip("/"))
    threading.Event().wait()  # until terminated


class FakeApi:
    """The fake API in its own process, and what it accepted."""

    def __init__(self, name: str) -> None:
        self.log = RUN_DIR / f"{name}-api.log"
        self.capture = RUN_DIR / f"{name}-api-first.json"
        port_file = RUN_DIR / f"{name}-api.port"
        for path in (self.log, self.capture, port_file):
            path.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.anymail_path",
                "--serve",
                str(port_file),
                "--log",
                str(self.log),
                "--capture",
                str(self.capture),
            ]
        )
        wait_until(port_file.exists, timeout=15)
        wait_until(lambda: port_file.read_text().isdigit(), timeout=5)
        self.port = int(port_file.read_text())
        wait_for_port(self.port, timeout=15)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def times(self) -> list[float]:
        if not self.log.exists():
            return []
        return [float(line) for line in self.log.read_text().split()]

    def rate(self, count: int, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while len(self.times()) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.times())} of {count} accepted")
            time.sleep(0.2)
        times = self.times()[:count]
        return (count - 1) / (times[-1] - times[0])

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def raw_loop(api_url: str, first_payload: dict, count: int) -> None:
    """`count` sends of the engine's email through the same Anymail backend."""
    from anymail.backends.postmark import EmailBackend
    from django.core.mail import EmailMultiAlternatives

    headers = {h["Name"]: h["Value"] for h in first_payload.get("Headers", [])}
    backend = EmailBackend(server_token="bench-token", api_url=api_url)
    backend.open()
    try:
        for i in range(count):
            message = EmailMultiAlternatives(
                subject=first_payload["Subject"],
                body=first_payload["TextBody"],
                from_email=first_payload["From"],
                to=[f"r{i}@example.com"],
                headers=headers,
                connection=backend,
            )
            message.attach_alternative(first_payload["HtmlBody"], "text/html")
            backend.send_messages([message])
    finally:
        backend.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--serve", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--log", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--capture", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.log, args.capture)
        return

    project = Project("p2-anymail")
    rows = []
    try:
        project.migrate()
        project.setup_django(API_ENV)
        for run in range(1, args.runs + 1):
            engine_api = FakeApi(f"p2-anymail-engine-{run}")
            try:
                queue_clear()
                backlog_create(args.rows)
                worker = project.qcluster(
                    f"p2-anymail-qcluster-{run}.log",
                    {**API_ENV, "ESP_API_URL": engine_api.url, "Q_WORKERS": "2"},
                )
                try:
                    engine = engine_api.rate(args.rows, timeout=600)
                finally:
                    project.stop(worker)
                payload = json.loads(engine_api.capture.read_bytes())
            finally:
                engine_api.close()
            raw_api = FakeApi(f"p2-anymail-raw-{run}")
            try:
                raw_loop(raw_api.url, payload, args.rows)
                raw = raw_api.rate(args.rows, timeout=60)
            finally:
                raw_api.close()
            print(f"run {run}: engine {engine:.0f}/s, raw Anymail {raw:.0f}/s, {engine / raw:.2f}x")
            rows.append((engine, raw))
    finally:
        project.close()
    ratios = [engine / raw for engine, raw in rows]
    print(
        table(
            ["rows", "engine (median)", "raw Anymail (median)", "engine / raw (median)", "goal"],
            [
                [
                    f"{args.rows} x {args.runs} runs",
                    f"{median([e for e, _ in rows]):.0f}/s",
                    f"{median([r for _, r in rows]):.0f}/s",
                    f"{median(ratios):.2f}x",
                    "≥ 0.8x " + ("met" if median(ratios) >= 0.8 else "MISSED"),
                ]
            ],
        )
    )


if __name__ == "__main__":
    main()
