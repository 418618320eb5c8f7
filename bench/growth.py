"""P7 growth: the outbox's everyday reads cost the same in a big table as in a small one.

Two fresh PostgreSQL databases, one with 10,000 outbox rows and one with
1,000,000, filled in bulk (one INSERT … SELECT generate_series per 100,000
rows) the way a year of traffic leaves them: mostly sent rows with their
rendered bodies (about 3.4 KB), some cancelled, failed and suppressed ones,
spread over 5,000 recipients at a steady 2,740 rows a day (so the big table
holds a year, the small one the last few days, and the last 48 hours look
the same in both), plus the same 3,000 rows not sent yet (due, waiting,
retrying, held). One recipient ("star") has a fifth of the history: 200,000
past emails in the big table.

Each round measures, on the small and then the big database (side by side,
warm: one untimed call first):

    claim      notifications_claim_due(limit=BATCH_SIZE), rolled back
    status     manage.py notifications_status
    admin      the outbox list, as staff (GET, the default view)
    search     the outbox list searched by one recipient's address (other case;
               25 emails to it in either table)
    dashboard  the delivery dashboard
    follow     follow_create of "star" by a new follower, with its enqueue
               (undone, untimed, after each round)

and prints the medians, the ratios (goal: ≤ 2x), and EXPLAIN (ANALYZE,
BUFFERS) of the slowest queries of each on the big database.

    python -m bench.growth [--quick] [--rows 1000000] [--small 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable
from contextlib import suppress

from bench.common import Project, table

RATE_PER_DAY = 2740  # a year of history in 1,000,000 rows
USERS = 5000
LIVE = 3000  # rows not sent yet, the same in both tables
# The recipient whose address the search looks for has as many emails in the
# big table as in the small one (a page's cost grows with the rows it shows).
SEARCHED_ROWS = 25

COLUMNS = (
    "kind, category, transactional, recipient_id, to_address, params, group_key, status,"
    " status_reason, attempts, next_attempt_at, claimed_by, last_error, message_key, provider,"
    " provider_message_id, delivery_status, language, subject, body_text, body_html, headers,"
    " address_outcomes, created_at, updated_at, sent_at"
)

# A year of history, newest first (k = 0 is the most recent). Every fifth row
# is the star's new-follower email; the rest go round the 5,000 users.
HISTORY_SQL = f"""
WITH h AS (
    SELECT k,
           k %% 5 = 0 AS star,
           (k %% 10) AS kk,
           k %% 250 = 3 AND k < 250 * %(searched_rows)s AS searched,
           CASE WHEN k %% 5 = 0 THEN %(star)s WHEN k %% 250 = 3 AND k < 250 * %(searched_rows)s
                THEN %(searched)s ELSE %(first)s + ((k::bigint * 7919) %% %(users)s) END AS uid,
           CASE WHEN k %% 100 = 0 THEN 'cancelled' WHEN k %% 100 = 1 THEN 'failed'
                WHEN k %% 200 = 2 THEN 'suppressed' ELSE 'sent' END AS status,
           now() - make_interval(secs => k * 86400.0 / {RATE_PER_DAY} + 60) AS made,
           encode(sha512(k::text::bytea), 'hex') || encode(sha512((k + 1)::text::bytea), 'hex')
             AS noise
    FROM generate_series(%(start)s, %(stop)s - 1) AS k
)
INSERT INTO notifications_notification ({COLUMNS})
SELECT
    CASE WHEN star OR kk IN (1, 3, 7, 9) THEN 'new_follower'
         WHEN kk IN (2, 6) THEN 'mention' ELSE 'email' END,
    CASE WHEN star OR kk IN (1, 3, 7, 9) THEN 'social'
         WHEN kk IN (2, 6) THEN 'mentions' ELSE '' END,
    NOT star AND kk IN (4, 8),
    CASE WHEN NOT star AND kk IN (4, 8) THEN NULL ELSE uid END,
    CASE WHEN star THEN 'star@example.com' WHEN searched THEN 'searched@example.com'
         ELSE 'u' || (uid - %(first)s) || '@example.com' END,
    jsonb_build_object('actor_ids', jsonb_build_array(k %% 4999 + 1)),
    CASE WHEN star OR kk IN (1, 3, 7, 9) THEN 'new_follower:' || uid ELSE '' END,
    status,
    CASE status WHEN 'sent' THEN '' WHEN 'cancelled' THEN 'Nobody left to tell (unfollowed)'
         WHEN 'failed' THEN 'Permanent failure: 550 mailbox unavailable'
         ELSE 'Suppressed: hard bounce' END,
    CASE status WHEN 'failed' THEN 3 WHEN 'sent' THEN 1 ELSE 0 END,
    made, '', CASE status WHEN 'failed' THEN '550 5.1.1 mailbox unavailable' ELSE '' END,
    substr(md5(k::text), 1, 24), 'smtp',
    CASE status WHEN 'sent' THEN '<' || md5(k::text) || '@mail.example.com>' ELSE '' END,
    '', 'en',
    CASE WHEN status IN ('sent', 'failed') THEN 'Someone is now following you!' ELSE '' END,
    CASE WHEN status IN ('sent', 'failed')
         THEN repeat('Hello, someone started following you on Microblog. ', 12) || noise
         ELSE '' END,
    CASE WHEN status IN ('sent', 'failed')
         THEN '<html><body style="font-family:sans-serif"><table role="presentation">'
              || repeat('<tr><td style="padding:8px;color:#333">Someone is now following you'
                        || '</td></tr>', 20) || '<p>' || noise || reverse(noise) || '</p></table>'
              || '</body></html>'
         ELSE '' END,
    '{{}}', '{{}}', made, made + interval '3 seconds',
    CASE WHEN status = 'sent' THEN made + interval '3 seconds' END
FROM h
"""  # noqa: S608 (constants only)

# The rows not sent yet: due now, waiting (coalescing), retrying, held.
LIVE_SQL = f"""
WITH l AS (
    SELECT j, j %% 10 AS jj, %(first)s + (j %% %(users)s) AS uid,
           now() - make_interval(secs => j) AS made
    FROM generate_series(0, %(live)s - 1) AS j
)
INSERT INTO notifications_notification ({COLUMNS})
SELECT
    CASE WHEN jj IN (3, 4, 5) THEN 'new_follower' ELSE 'mention' END,
    CASE WHEN jj IN (3, 4, 5) THEN 'social' ELSE 'mentions' END,
    false, uid, 'u' || (uid - %(first)s) || '@example.com',
    jsonb_build_object('actor_ids', jsonb_build_array(j %% 4999 + 1)),
    CASE WHEN jj IN (3, 4, 5) THEN 'new_follower:' || uid ELSE '' END,
    CASE WHEN jj IN (0, 1) THEN 'held' ELSE 'queued' END,
    CASE WHEN jj = 2 THEN 'Temporary failure: 451 try again later'
         WHEN jj IN (3, 4, 5) THEN 'Waiting for more events to join it' ELSE '' END,
    CASE WHEN jj = 2 THEN 2 ELSE 0 END,
    CASE WHEN jj IN (2, 3, 4, 5) THEN now() + make_interval(secs => 60 + j)
         ELSE now() - make_interval(secs => j %% 300) END,
    '', CASE WHEN jj = 2 THEN '451 4.3.0 try again later' ELSE '' END,
    substr(md5('live' || j), 1, 24), '', '', '', 'en', '', '', '', '{{}}', '{{}}',
    made, made, NULL
FROM l
"""  # noqa: S608 (constants only)


def fill(project: Project, *, rows: int) -> dict[str, object]:
    """Users and `rows` outbox rows in `project`'s database (Django set up on it)."""
    from django.db import connection

    from accounts.models import User

    User.objects.bulk_create(
        [User(username=f"u{i}", email=f"u{i}@example.com", password="!") for i in range(USERS)]
        + [
            User(username=name, email=f"{name}@example.com", password="!")
            for name in ("star", "fan", "searched")
        ],
        batch_size=1000,
    )
    User.objects.create_superuser("staff", "staff@example.com", "x")
    first = User.objects.get(username="u0").pk
    star = User.objects.get(username="star").pk
    searched = User.objects.get(username="searched").pk
    live = min(LIVE, rows // 4)
    history = rows - live
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        step = 100_000
        for start in range(0, history, step):
            stop = min(history, start + step)
            params = {
                "star": star,
                "searched": searched,
                "searched_rows": SEARCHED_ROWS,
                "first": first,
                "users": USERS,
                "start": start,
                "stop": stop,
            }
            cursor.execute(HISTORY_SQL, params)
            print(f"  {project.pg_name}: {stop:,} of {rows:,} rows", flush=True)
        cursor.execute(LIVE_SQL, {"first": first, "users": USERS, "live": live})
    from django.utils import timezone

    from notifications.models import Heartbeat

    Heartbeat.objects.update_or_create(name=Heartbeat.SWEEP, defaults={"seen_at": timezone.now()})
    with connection.cursor() as cursor:
        # What autovacuum does to a table that has grown: statistics and the
        # visibility map (index-only scans) are up to date.
        cursor.execute("VACUUM ANALYZE notifications_notification")
        cursor.execute("VACUUM ANALYZE accounts_user")
        # Write the filled pages out now, so that the measurements (a follow
        # commits) do not wait behind the fill's writeback.
        cursor.execute("CHECKPOINT")
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('notifications_notification'))"
        )
        size = cursor.fetchone()[0]
    return {"rows": rows, "size": size}


class Target:
    """One of the two databases: switching the default connection to it."""

    def __init__(self, project: Project, rows: int) -> None:
        self.project = project
        self.rows = rows
        self.client = None
        self.fan = self.star = None

    def use(self) -> None:
        from django.db import connections

        conn = connections["default"]
        if conn.settings_dict["NAME"] != self.project.pg_name:
            conn.close()
            conn.settings_dict["NAME"] = self.project.pg_name

    def prepare(self) -> None:
        from django.test import Client

        from accounts.models import User

        self.use()
        self.client = Client(raise_request_exception=True)
        self.client.force_login(User.objects.get(username="staff"))
        self.fan = User.objects.get(username="fan")
        self.star = User.objects.get(username="star")


def measures(target: Target) -> dict[str, Callable[[], None]]:
    from django.core.management import CommandError, call_command
    from django.db import transaction

    from accounts.services import follow_create, follow_delete
    from notifications.conf import conf
    from notifications.dispatch.claim import notifications_claim_due

    url = "/admin/notifications/notification/"
    address = "Searched@Example.COM"

    def claim() -> None:
        with transaction.atomic():
            rows = notifications_claim_due(limit=conf.BATCH_SIZE, worker="bench:p7")
            assert rows, "nothing due"
            transaction.set_rollback(True)

    def status() -> None:
        with suppress(CommandError):  # the due backlog is "late": exit status 1
            call_command("notifications_status", stdout=io.StringIO(), stderr=io.StringIO())

    def get(path: str, **query: str) -> Callable[[], None]:
        def request() -> None:
            response = target.client.get(path, query)
            assert response.status_code == 200, response.status_code

        return request

    def search() -> None:
        response = target.client.get(url, {"q": address})
        assert response.status_code == 200, response.status_code
        assert b"searched@example.com" in response.content

    def follow() -> None:
        follow_create(follower=target.fan, followed=target.star)

    def unfollow() -> None:
        follow_delete(follower=target.fan, followed=target.star)

    return {
        "claim": claim,
        "status": status,
        "admin": get(url),
        "search": search,
        "dashboard": get(url + "dashboard/"),
        "follow": follow,
        "_unfollow": unfollow,
    }


def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def explain(target: Target, fns: dict[str, Callable[[], None]], *, top: int) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest queries of each measure."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    target.use()
    for name, fn in fns.items():
        if name.startswith("_"):
            continue
        with CaptureQueriesContext(connection) as captured:
            fn()
        if name == "follow":
            fns["_unfollow"]()
        queries = [
            q
            for q in captured.captured_queries
            if q["sql"].lstrip().upper().startswith(("SELECT", "UPDATE", "INSERT", "WITH"))
        ]
        total = sum(float(q["time"]) for q in captured.captured_queries)
        print(
            f"\n### {name}: {len(captured.captured_queries)} queries, {total * 1000:.1f} ms in SQL"
        )
        for query in sorted(queries, key=lambda q: -float(q["time"]))[:top]:
            print(f"\n-- {float(query['time']) * 1000:.2f} ms\n{query['sql']}\n")
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                    for (line,) in cursor.fetchall():
                        print(f"    {line}")
                transaction.set_rollback(True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 rows against 200,000")
    parser.add_argument("--rows", type=int, default=None, help="the big table (1,000,000)")
    parser.add_argument("--small", type=int, default=10_000, help="the small table")
    parser.add_argument("--runs", type=int, default=5, help="rounds; each figure is their median")
    parser.add_argument("--top", type=int, default=2, help="queries explained per measure")
    args = parser.parse_args()
    big_rows = args.rows or (200_000 if args.quick else 1_000_000)
    env = {"ALLOWED_HOSTS": "127.0.0.1,localhost,testserver"}
    small = Project("p7_small", db="postgres", env=env)
    big = Project("p7_big", db="postgres", env=env)
    try:
        for project in (small, big):
            project.migrate()
        small.setup_django()
        from django.test.utils import override_settings

        # The admin pages without a collectstatic manifest.
        with override_settings(
            STORAGES={
                "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            }
        ):
            run(small, big, args=args, big_rows=big_rows)
    finally:
        small.close()
        big.close()


def run(small: Project, big: Project, *, args: argparse.Namespace, big_rows: int) -> None:
    targets = [Target(small, args.small), Target(big, big_rows)]
    sizes = {}
    for target in targets:
        target.use()
        started = time.perf_counter()
        info = fill(target.project, rows=target.rows)
        sizes[target.rows] = info["size"]
        print(
            f"filled {target.rows:,} rows ({info['size']}) in {time.perf_counter() - started:.0f}s"
        )
        target.prepare()
    fns = {}
    for target in targets:
        target.use()
        fns[target.rows] = measures(target)
        for name, fn in fns[target.rows].items():  # warm up
            fn() if not name.startswith("_") else None
        fns[target.rows]["_unfollow"]()
    names = [n for n in fns[targets[0].rows] if not n.startswith("_")]
    times: dict[tuple[str, int], list[float]] = {}
    for round_ in range(args.runs):
        for name in names:
            for target in targets:
                target.use()
                times.setdefault((name, target.rows), []).append(timed(fns[target.rows][name]))
                if name == "follow":
                    fns[target.rows]["_unfollow"]()
        print(f"round {round_ + 1} of {args.runs} done", flush=True)
    rows = []
    for name in names:
        a = statistics.median(times[(name, targets[0].rows)]) * 1000
        b = statistics.median(times[(name, targets[1].rows)]) * 1000
        rows.append(
            [name, f"{a:.1f} ms", f"{b:.1f} ms", f"{b / a:.2f}x", "met" if b <= 2 * a else "missed"]
        )
    print(
        f"\nP7 growth, median of {args.runs} rounds (outbox: {targets[0].rows:,} rows "
        f"{sizes[targets[0].rows]}, {targets[1].rows:,} rows {sizes[targets[1].rows]})\n"
    )
    print(
        table(
            ["measure", f"{targets[0].rows:,} rows", f"{targets[1].rows:,} rows", "ratio", "≤ 2x"],
            rows,
        )
    )
    explain(targets[1], fns[targets[1].rows], top=args.top)


if __name__ == "__main__":
    main()
