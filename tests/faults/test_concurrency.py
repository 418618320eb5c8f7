"""Several processes follow one person at the same moment: coalescing holds.

Each process is a real `manage.py shell` making real follows, each in its own
transaction, as web requests would; a real qcluster delivers to a real SMTP
sink. Whatever the interleaving, the database allows one pending row per
recipient and type, so a burst becomes at most two emails (the first at once,
the rest when the coalescing window ends) naming every follower once.
"""

from __future__ import annotations

import time

import pytest

from accounts.models import User
from notifications.models import Notification
from tests.support.processes import ManagedProcess, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
Status = Notification.Status

PROCESSES = 4
FOLLOWS_EACH = 50
WINDOW = 20  # seconds of the coalescing window, as in the report that found the race

FOLLOW_SCRIPT = """
import os, time
from accounts.models import User
from accounts.services import follow_create
target = User.objects.get(username=os.environ["TARGET"])
fans = list(User.objects.filter(username__startswith=os.environ["FANS"]).order_by("pk"))
start_at = float(os.environ["START_AT"])
time.sleep(max(0.0, start_at - time.time()))
for fan in fans:
    follow_create(follower=fan, followed=target)
print("followed", len(fans))
"""


def _followers_named(rows: list[Notification]) -> list[int]:
    return [actor for row in rows for actor in row.params.get("actor_ids", [])]


@pytest.mark.timeout(150)
@pytest.mark.parametrize("hourly_limit", ["0", "20"], ids=["no-ceiling", "ceiling-20"])
def test_a_burst_of_concurrent_follows_makes_at_most_two_emails_naming_everyone_once(
    qcluster, smtp_sink, run_dir, hourly_limit
):
    env = {
        "NOTIFICATIONS_COALESCE_WINDOW": str(WINDOW),
        "NOTIFICATIONS_HOURLY_LIMIT": hourly_limit,
    }
    target = User.objects.create(username="popular", email="popular@example.com", password="!")
    fans = []
    for process in range(PROCESSES):
        fans += User.objects.bulk_create(
            User(username=f"p{process}fan{i}", email=f"p{process}fan{i}@example.com", password="!")
            for i in range(FOLLOWS_EACH)
        )
    qcluster(env)
    start_at = time.time() + 3  # every process is up and waiting by then
    followers = [
        ManagedProcess(
            ["shell", "-c", FOLLOW_SCRIPT],
            run_dir / f"follow-{process}.log",
            env={**env, "TARGET": "popular", "FANS": f"p{process}fan", "START_AT": str(start_at)},
        ).start()
        for process in range(PROCESSES)
    ]
    for process in followers:
        assert process.proc is not None
        assert process.proc.wait(timeout=60) == 0, process.log()[-2000:]
    burst_seconds = time.time() - start_at
    assert burst_seconds < WINDOW, f"the follows took {burst_seconds:.1f}s, longer than the window"

    # The second email is due when the window after the first one ends.
    def delivered() -> bool:
        rows = Notification.objects.filter(recipient=target)
        return not rows.filter(status__in=[Status.QUEUED, Status.SENDING]).exists()

    wait_until(delivered, timeout=WINDOW + 30, interval=0.5)

    to_target = [m for m in smtp_sink.messages if m.envelope_to == ["popular@example.com"]]
    sent = list(Notification.objects.filter(recipient=target, status=Status.SENT))
    print(f"{len(to_target)} email(s) for {len(fans)} concurrent follows in {burst_seconds:.1f}s")
    assert 1 <= len(to_target) <= 2
    assert len(sent) == len(to_target)
    named = _followers_named(sent)
    assert sorted(named) == sorted(fan.pk for fan in fans)  # everyone, exactly once
    assert not Notification.objects.filter(recipient=target, status=Status.HELD).exists()


MENTION_SCRIPT = """
import os, time
from accounts.models import User
from microblog.services import post_create
authors = list(User.objects.filter(username__startswith=os.environ["FANS"]).order_by("pk"))
start_at = float(os.environ["START_AT"])
time.sleep(max(0.0, start_at - time.time()))
for author in authors:
    post_create(author=author, body="hello @" + os.environ["TARGET"])
print("mentioned", len(authors))
"""

MENTIONS_EACH = 10
CEILING = 2  # reached within the first, simultaneous mentions of the processes


@pytest.mark.timeout(120)
def test_concurrent_mentions_never_push_past_the_hourly_ceiling(run_dir):
    """Mentions are not coalesced: each is its own email, and the hourly
    ceiling is counted under a per-recipient lock so that concurrent posts
    cannot each see room under it."""
    env = {"NOTIFICATIONS_HOURLY_LIMIT": str(CEILING)}
    target = User.objects.create(username="famous", email="famous@example.com", password="!")
    for process in range(PROCESSES):
        User.objects.bulk_create(
            User(username=f"m{process}au{i}", email=f"m{process}au{i}@example.com", password="!")
            for i in range(MENTIONS_EACH)
        )
    start_at = time.time() + 3
    authors = [
        ManagedProcess(
            ["shell", "-c", MENTION_SCRIPT],
            run_dir / f"mention-{process}.log",
            env={**env, "TARGET": "famous", "FANS": f"m{process}au", "START_AT": str(start_at)},
        ).start()
        for process in range(PROCESSES)
    ]
    for process in authors:
        assert process.proc is not None
        assert process.proc.wait(timeout=60) == 0, process.log()[-2000:]

    rows = Notification.objects.filter(recipient=target, kind="mention")
    going_out = rows.exclude(status=Status.HELD).count()
    held = rows.filter(status=Status.HELD).count()
    print(f"{going_out} mention email(s) going out, {held} held for the digest")
    assert going_out == CEILING
    assert held == PROCESSES * MENTIONS_EACH - CEILING  # folded into the digest, not lost
