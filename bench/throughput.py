"""P2 throughput: drain a backlog of new-follower notifications.

A backlog of new-follower rows is queued while no worker runs; then qcluster
starts and the loopback sink measures emails per second (first to last
accepted message). In the same run, raw smtplib over one connection gives the
ceiling to compare with.

    python -m bench.throughput [--quick] [--runs 3] [--rows 5000]
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
from bench.common import RUN_DIR, Project, median, sink, table

RAW_COUNT = 2000

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
    with sink("p2-raw") as raw_sink:
        raw_smtp.send(raw_sink.port, RAW_COUNT)
        return raw_sink.rate()


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
        profile_sink.reset()
        backlog_create(rows)
        reset_queries()
        profiler = cProfile.Profile()
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            handled = profiler.runcall(deliver_due, max_batches=10_000)
        elapsed = time.perf_counter() - started
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
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--dkim", action="store_true", help="also drain with DKIM signing on, side by side"
    )
    args = parser.parse_args()
    if args.profile:
        profile(args.rows or 1000)
        return
    rows = args.rows or (1000 if args.quick else 5000)
    project = Project("p2", db=args.db)
    try:
        project.migrate()
        project.setup_django()
        results = []
        signed_rates = []
        for run in range(args.runs):
            raw = raw_rate()
            result = drain(project, rows=rows, name="p2-engine")
            engine, delivered = result["rate"], result["delivered"]
            unique = delivered - result["duplicates"]
            results.append((raw, engine, delivered, unique))
            line = (
                f"run {run + 1}: raw {raw:.0f}/s, engine {engine:.0f}/s "
                f"({100 * engine / raw:.0f} %), delivered {delivered}, unique {unique}"
            )
            if args.dkim:
                signed = drain(project, rows=rows, name="p2-dkim", env=dkim_env())
                signed_rates.append(signed["rate"])
                line += (
                    f"; DKIM-signed {signed['rate']:.0f}/s "
                    f"({100 * signed['rate'] / engine:.0f} % of unsigned), "
                    f"delivered {signed['delivered']}, duplicates {signed['duplicates']}"
                )
            print(line, flush=True)
        ratios = [e / r for r, e, _, _ in results]
        print()
        print(
            table(
                ["backlog", "raw smtplib (msgs/s)", "engine (emails/s)", "engine / raw", "goal"],
                [
                    [
                        f"{rows} ({args.db})",
                        f"{median([r for r, *_ in results]):.0f}",
                        f"{median([e for _, e, *_ in results]):.0f}",
                        f"{100 * median(ratios):.0f} %",
                        "≥ 50 % " + ("met" if median(ratios) >= 0.5 else "MISSED"),
                    ]
                ],
            )
        )
        if args.dkim:
            unsigned = [e for _, e, *_ in results]
            cost = [s / u for s, u in zip(signed_rates, unsigned, strict=True)]
            print()
            print(
                table(
                    [
                        "backlog",
                        "unsigned (emails/s)",
                        "DKIM-signed (emails/s)",
                        "signed / unsigned",
                    ],
                    [
                        [
                            f"{rows} ({args.db})",
                            f"{median(unsigned):.0f}",
                            f"{median(signed_rates):.0f}",
                            f"{100 * median(cost):.0f} %",
                        ]
                    ],
                )
            )
    finally:
        project.close()


if __name__ == "__main__":
    main()
