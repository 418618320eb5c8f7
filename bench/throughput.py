"""P2 throughput: drain a backlog of new-follower notifications.

A backlog of new-follower rows is queued while no worker runs; then qcluster
starts (Q_WORKERS=2) and the loopback sink measures emails per second (first
to last accepted message). The sink keeps the first email it accepted; in the
same run raw smtplib sends exactly those bytes as many times over one
connection to another sink (the ceiling for the engine's own email), and the
older baseline sends small messages built per send.

    python -m bench.throughput [--quick] [--runs 3] [--rows 5000] [--db postgres]
    python -m bench.throughput --dkim [--quick]          # also DKIM-signed, side by side
    python -m bench.throughput --profile [--rows 1000]   # deliver_due in-process
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from bench import raw_smtp
from bench.backlog import drain
from bench.common import RUN_DIR, Project, median, sink, table, wait_until

RAW_COUNT = 2000
REDIS_URL = "redis://127.0.0.1:6379/13"  # P2 on PostgreSQL: a Redis database of its own


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


# Where a row's time goes, by the functions that own it (cumulative seconds).
PROFILE_PARTS = [
    ("claim (notifications_claim_due)", "notifications_claim_due"),
    ("prepare: total (_prepare)", "_prepare"),
    ("  type contexts, per batch (_batch_contexts)", "_batch_contexts"),
    ("  type context, per row (get_context)", "get_context"),
    ("  templates (render_to_string/render_text)", "render_text"),
    ("  html template", "render_to_string"),
    ("  css_inline", "inline_css"),
    ("  unsubscribe link (signing)", "unsubscribe_link"),
    ("  preference/suppression checks", "delivery_block_reason"),
    ("  build_message", "build_message"),
    ("MIME building (EmailMessage.message)", "message"),
    ("SMTP send (send_messages)", "send_messages"),
    ("outcome: _finish", "_finish"),
    ("outcome: _record_attempt", "_record_attempt"),
    ("outcome: attempts of a batch (AttemptLog.flush)", "flush"),
]


def dkim_env() -> dict[str, str]:
    """The environment that makes the SMTP mailer sign with DKIM (a key made for the run)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    path = RUN_DIR / "dkim-bench.pem"
    if not path.exists():
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return {
        "DKIM_DOMAIN": "microblog.localhost",
        "DKIM_SELECTOR": "bench",
        "DKIM_PRIVATE_KEY_PATH": str(path),
    }


def raw_rate() -> float:
    """The old baseline: small messages built per send (bench.raw_smtp.send)."""
    with sink("p2-raw-small") as raw_sink:
        raw_smtp.send(raw_sink.port, RAW_COUNT)
        return raw_sink.rate()


def raw_bytes_rate(message: bytes, count: int) -> tuple[float, float]:
    """The honest baseline: the engine's own email, `count` times over one
    connection. Messages per second at the sink, and the share of that time
    the sink itself was busy (its CPU time over the wall time)."""
    with sink("p2-raw-own") as raw_sink:
        cpu = raw_sink.cpu_seconds()
        started = time.perf_counter()
        raw_smtp.send_bytes(raw_sink.port, count, message)
        wait_until(lambda: raw_sink.count() >= count, timeout=30)
        busy = (raw_sink.cpu_seconds() - cpu) / (time.perf_counter() - started)
        return raw_sink.rate(), busy


def profile(rows: int) -> None:
    """Run deliver_due in this process under cProfile and show where time goes."""
    with sink("p2-profile") as profile_sink:
        project = Project("p2-profile")
        project.migrate()
        project.setup_django({"EMAIL_URL": profile_sink.url})
        from django.db import connection, reset_queries
        from django.test.utils import CaptureQueriesContext

        from bench.backlog import backlog_create
        from notifications.tasks import deliver_due

        backlog_create(rows)
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            handled = deliver_due(max_batches=10_000)
        elapsed = time.perf_counter() - started
        print(
            f"deliver_due in-process: {handled} rows in {elapsed:.2f} s, "
            f"{handled / elapsed:.0f} rows/s, {len(queries) / handled:.1f} queries per row"
        )
        wait_until(lambda: profile_sink.count() >= handled, timeout=10)
        profile_sink.reset()
        backlog_create(rows)
        reset_queries()
        profiler = cProfile.Profile()
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            handled = profiler.runcall(deliver_due, max_batches=10_000)
        elapsed = time.perf_counter() - started
        wait_until(lambda: profile_sink.count() >= rows, timeout=10)
        assert profile_sink.count() == rows, profile_sink.count()
        print(
            f"the same under cProfile: {handled} rows in {elapsed:.2f} s, "
            f"{handled / elapsed:.0f} rows/s, {len(queries) / handled:.1f} queries per row\n"
        )
        stats = pstats.Stats(profiler)
        by_name: dict[str, float] = {}
        for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
            if "site-packages" in filename and name not in ("message", "send_messages"):
                continue
            ours = "mail/message.py" in filename or "rendering.py" in filename
            if name == "message" and not ours:
                continue
            by_name[name] = max(by_name.get(name, 0.0), ct)
        total = stats.total_tt
        out = []
        for label, name in PROFILE_PARTS:
            seconds = by_name.get(name, 0.0)
            out.append([label, f"{seconds * 1000 / handled:.2f}", f"{100 * seconds / total:.0f} %"])
        print(table(["part", "ms per row", "share"], out))
        print()
        stats.sort_stats("tottime").print_stats(12)
        stats.sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 rows, 3 runs")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--db",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="postgres: PostgreSQL and the Redis broker (Redis database 13)",
    )
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--dkim", action="store_true", help="also drain with DKIM signing on, side by side"
    )
    args = parser.parse_args()
    if args.profile:
        profile(args.rows or 1000)
        return
    rows = args.rows or (1000 if args.quick else 5000)
    env = {"REDIS_URL": REDIS_URL} if args.db == "postgres" else {}
    before_start = redis_flush if args.db == "postgres" else None
    project = Project("p2", db=args.db, env=env)
    try:
        project.migrate()
        project.setup_django()
        results = []
        for run in range(args.runs):
            engine = drain(
                project, rows=rows, name="p2-engine", capture=True, before_start=before_start
            )
            message = engine["message"]
            own, busy = raw_bytes_rate(message, rows)
            small = raw_rate()
            result = {
                "engine": engine["rate"],
                "own": own,
                "small": small,
                "size": len(message),
                "busy": busy,
                "delivered": engine["delivered"],
                "duplicates": engine["duplicates"],
                "lost": engine["lost"],
            }
            line = (
                f"run {run + 1}: engine {engine['rate']:.0f}/s; raw, its own "
                f"{len(message) / 1024:.1f} KB email {own:.0f}/s "
                f"({100 * engine['rate'] / own:.0f} %, sink busy {100 * busy:.0f} %); "
                f"raw, 0.7 KB built per send {small:.0f}/s ({100 * engine['rate'] / small:.0f} %); "
                f"delivered {engine['delivered']}, duplicates {engine['duplicates']}, "
                f"lost {engine['lost']}"
            )
            if args.dkim:
                signed = drain(
                    project, rows=rows, name="p2-dkim", env=dkim_env(), before_start=before_start
                )
                result["signed"] = signed["rate"]
                line += (
                    f"; DKIM-signed {signed['rate']:.0f}/s "
                    f"({100 * signed['rate'] / engine['rate']:.0f} % of unsigned), "
                    f"delivered {signed['delivered']}, duplicates {signed['duplicates']}"
                )
            results.append(result)
            print(line, flush=True)
        own_ratio = median([r["engine"] / r["own"] for r in results])
        small_ratio = median([r["engine"] / r["small"] for r in results])
        print()
        print(
            table(
                [
                    "backlog",
                    "email",
                    "raw, its bytes",
                    "raw, 0.7 KB",
                    "engine",
                    "engine / raw (its bytes)",
                    "engine / raw (0.7 KB)",
                    "goal",
                ],
                [
                    [
                        f"{rows} ({args.db})",
                        f"{median([r['size'] for r in results]) / 1024:.1f} KB",
                        f"{median([r['own'] for r in results]):.0f}/s",
                        f"{median([r['small'] for r in results]):.0f}/s",
                        f"{median([r['engine'] for r in results]):.0f}/s",
                        f"{100 * own_ratio:.0f} %",
                        f"{100 * small_ratio:.0f} %",
                        "≥ 60 % of its bytes " + ("met" if own_ratio >= 0.6 else "MISSED"),
                    ]
                ],
            )
        )
        if args.dkim:
            cost = median([r["signed"] / r["engine"] for r in results])
            print()
            print(
                table(
                    ["backlog", "unsigned", "DKIM-signed", "signed / unsigned"],
                    [
                        [
                            f"{rows} ({args.db})",
                            f"{median([r['engine'] for r in results]):.0f}/s",
                            f"{median([r['signed'] for r in results]):.0f}/s",
                            f"{100 * cost:.0f} %",
                        ]
                    ],
                )
            )
    finally:
        project.close()


if __name__ == "__main__":
    main()
