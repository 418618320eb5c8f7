"""P8 the in-app feed: its cost does not grow with the number of items.

One person with 10, 100, 1,000 and 10,000 in-app items (new-follower items
naming up to 10 followers each, one in five unread): the feed page
(`/notifications/`, first page), a page of the site with the bell (`/`) and
the bell's own count (`/notifications/bell/`), each fetched by a signed-in
Django test client in this process. Counted: SQL queries per request (the
goal: the same at every size) and the median time of `--repeat` requests.

    python -m bench.feed [--db postgres] [--repeat 30] [--sizes 10,100,1000,10000]
"""

from __future__ import annotations

import argparse
import random
import time

from bench.common import Project, median, table

PAGES = (
    ("feed", "/notifications/"),
    ("home with bell", "/"),
    ("bell count", "/notifications/bell/"),
)


def fill(*, recipient, followers, size: int) -> None:  # type: ignore[no-untyped-def]
    """Give `recipient` exactly `size` items (old ones read, the newest unread)."""
    from django.utils import timezone

    from notifications.models import InAppItem

    InAppItem.objects.filter(recipient=recipient).delete()
    now = timezone.now()
    rng = random.Random(size)
    items = []
    for i in range(size):
        actors = rng.sample([f.pk for f in followers], k=rng.randint(1, 10))
        unread = i % 5 == 0
        items.append(
            InAppItem(
                recipient=recipient,
                kind="new_follower",
                category="social",
                params={"actor_ids": actors},
                # One unread item per group at most (a constraint): unread ones
                # get a group of their own.
                group_key=f"bench:{i}" if unread else "",
                created_at=now,
                updated_at=now - timezone.timedelta(seconds=i),
                read_at=None if unread else now,
            )
        )
    InAppItem.objects.bulk_create(items, batch_size=2000)


def measure(client, path: str, repeat: int) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """Queries of one request, and the median milliseconds of `repeat` requests."""
    from django.db import connection

    client.get(path)  # warm: per-process caches (content types, templates) filled
    queries: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    return len(queries), median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--sizes", default="10,100,1000,10000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    project = Project("p8-feed", db=args.db)
    try:
        project.migrate()
        project.setup_django()
        from django.conf import settings
        from django.test import Client
        from django.test.utils import override_settings

        from accounts.models import User

        # In-process requests: the test client's host, and static files
        # without collectstatic's manifest.
        plain_static = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        override_settings(ALLOWED_HOSTS=["testserver"], STORAGES=plain_static).enable()

        reader = User.objects.create(username="reader", email="reader@example.com")
        followers = User.objects.bulk_create(
            User(username=f"f{i}", email=f"f{i}@example.com") for i in range(50)
        )
        client = Client()
        client.force_login(reader)
        rows = []
        for size in sizes:
            fill(recipient=reader, followers=followers, size=size)
            for name, path in PAGES:
                count, ms = measure(client, path, args.repeat)
                rows.append([name, size, count, f"{ms:.1f}"])
        print(table(["page", "items", "queries", "median ms"], rows))
        by_page: dict[str, set[int]] = {}
        for name, _size, count, _ms in rows:
            by_page.setdefault(name, set()).add(count)
        for name, counts in by_page.items():
            verdict = "constant (met)" if len(counts) == 1 else f"varies {sorted(counts)} (missed)"
            print(f"{name}: queries {verdict}")
    finally:
        project.close()


if __name__ == "__main__":
    main()
