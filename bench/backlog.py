"""Building a notification backlog in a benchmark's database (Django set up).

Follows are written in bulk (no signal), and their new-follower rows through
the outbox's own service, notification_enqueue, a chunk per transaction: the
same rows a burst of follow requests leaves behind while no worker runs.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction


def users_ensure(count: int) -> tuple[object, list[object]]:
    """The actor "fan" and `count` recipients r0…r{count-1} (created once)."""
    from accounts.models import Follow, User

    fan, _ = User.objects.get_or_create(username="fan", defaults={"email": "fan@example.com"})
    have = User.objects.filter(username__startswith="r").count()
    if have < count:
        User.objects.bulk_create(
            (User(username=f"r{i}", email=f"r{i}@example.com") for i in range(have, count)),
            batch_size=1000,
        )
    recipients = list(User.objects.filter(username__startswith="r").order_by("id")[:count])
    followed = set(Follow.objects.filter(follower=fan).values_list("followed_id", flat=True))
    Follow.objects.bulk_create(
        (Follow(follower=fan, followed=r) for r in recipients if r.pk not in followed),
        batch_size=1000,
    )
    return fan, recipients


def backlog_create(count: int, chunk: int = 500) -> int:
    """Empty the outbox and queue `count` new-follower rows; returns the count."""
    from accounts.notifications import NewFollower
    from notifications.enqueue import notification_enqueue
    from notifications.models import Notification

    fan, recipients = users_ensure(count)
    Notification.objects.all().delete()
    for start in range(0, count, chunk):
        with transaction.atomic():
            for recipient in recipients[start : start + chunk]:
                notification_enqueue(kind=NewFollower.key, recipient=recipient, actor_id=fan.pk)
    return Notification.objects.filter(status=Notification.Status.QUEUED).count()


def queue_clear() -> None:
    """Drop the wake-up tasks waiting in django-q2's ORM queue (if it is used)."""
    from django_q.models import OrmQ

    OrmQ.objects.all().delete()


def drain(
    project: object,
    *,
    rows: int,
    name: str,
    delay: float = 0.0,
    nodes: int = 1,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    before_start: object = None,
    capture: bool = False,
) -> dict[str, Any]:
    """Queue `rows`, start `nodes` qcluster processes, wait for every email.

    Returns the rate at the sink (first to last accepted message), the
    duplicates and losses counted by X-Notification-ID, the sink's CPU time
    and, with `capture`, the bytes of the first email delivered ("message").
    """
    import time

    from bench.common import sink, wait_until
    from notifications.models import Notification

    if before_start is not None:
        before_start()
    queued = backlog_create(rows)
    assert queued == rows, (queued, rows)
    expected = {str(pk) for pk in Notification.objects.values_list("id", flat=True)}
    with sink(name, delay=delay, capture=capture) as engine_sink:
        workers = [
            project.qcluster(
                f"{name}-qcluster-{n}.log", {"EMAIL_URL": engine_sink.url, **(env or {})}
            )
            for n in range(nodes)
        ]
        try:
            wait_until(lambda: engine_sink.count() >= rows, timeout=timeout, interval=0.2)
            time.sleep(1.0)  # anything sent twice would show up now
        finally:
            for worker in workers:
                project.stop(worker)
        ids = engine_sink.lines()
        return {
            "rate": engine_sink.rate(),
            "delivered": len(ids),
            "duplicates": len(ids) - len(set(ids)),
            "lost": len(expected - set(ids)),
            "sink_cpu": engine_sink.cpu_seconds(),
            "message": engine_sink.message() if capture else b"",
        }


def backlog_bulk(count: int, offset: int = 0) -> int:
    """Queue `count` new-follower rows in bulk (the rows notification_enqueue
    writes for a first follow, without its per-row queries or wake-ups).

    For backlogs too large to build through the service in a benchmark's
    time; recipients r{offset}… must not have a pending row already.
    """
    from django.utils import timezone

    from accounts.notifications import NewFollower
    from notifications.models import Notification

    fan, recipients = users_ensure(offset + count)
    now = timezone.now()
    kind = NewFollower
    Notification.objects.bulk_create(
        (
            Notification(
                kind=kind.key,
                category=kind.category.key,
                transactional=kind.category.transactional,
                recipient=recipient,
                to_address=recipient.email,
                params={"actor_ids": [fan.pk]},
                group_key=f"{kind.key}:{recipient.pk}",
                next_attempt_at=now,
            )
            for recipient in recipients[offset : offset + count]
        ),
        batch_size=1000,
    )
    return count
