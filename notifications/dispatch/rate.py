"""The provider-wide send rate: at most SEND_RATE messages a second, across every worker.

ESPs enforce quotas (Amazon SES starts at 14 messages a second); a backlog
drained as fast as the workers allow turns into throttling errors and
retries. Every worker of every node asks ``send_slot_wait`` before it hands
a message to the delivery mailer.

The slots form one schedule shared through the database (a ``SendRate``
row, on SQLite and PostgreSQL alike) or, when SEND_RATE_REDIS_URL is set,
through Redis: the next free slot is a point in time, and a worker that
takes it moves it on by 1/SEND_RATE seconds (a compare-and-swap UPDATE, or
one Lua script). Slots are therefore at least 1/SEND_RATE apart, so no
window of N seconds holds more than N x SEND_RATE + 1 of them. A slot is
only taken when it is at most ``HORIZON`` ahead; otherwise the worker sleeps
in slices of at most ``SLICE`` and asks again, so waiting workers do not
queue up reservations far ahead, and a worker never sleeps past the time it
must renew its claim's lease (``until``): it returns False then, renews, and
asks again.

With the database, slot times are the workers' clocks (nodes must keep
their clocks in sync, as with NTP; a skew of d seconds lets at most
d x SEND_RATE extra messages into a window); with Redis they are Redis's.
"""

from __future__ import annotations

import time
from datetime import datetime
from threading import Lock
from typing import Any

from ..conf import conf
from ..models import SendRate

# The longest a waiting worker sleeps before it asks again (seconds).
SLICE = 0.25
# How far ahead a worker may take a slot (seconds).
HORIZON = 0.5
DEFAULT_NAME = "delivery"

_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local ahead = slot - now
if ahead > tonumber(ARGV[2]) then
    return {0, ahead, string.format('%.0f', slot)}
end
local after = slot + tonumber(ARGV[1])
local keep_ms = math.floor((after - now) / 1000) + 60000
redis.call('SET', KEYS[1], string.format('%.0f', after), 'PX', keep_ms)
return {1, ahead, string.format('%.0f', slot)}
"""


class _DatabaseSlots:
    """The schedule in a SendRate row, advanced by compare-and-swap."""

    def reserve(self, name: str, *, interval_us: int, horizon_us: int) -> tuple[bool, int, int]:
        """(taken, microseconds until the slot, the slot's time in microseconds)."""
        for _ in range(20):
            current = SendRate.objects.filter(name=name).values_list("next_slot_us", flat=True)
            next_slot = current.first()
            if next_slot is None:
                SendRate.objects.get_or_create(name=name)
                continue
            now = time.time_ns() // 1000
            slot = max(now, next_slot)
            ahead = slot - now
            if ahead > horizon_us:
                return False, ahead, slot
            won = SendRate.objects.filter(name=name, next_slot_us=next_slot).update(
                next_slot_us=slot + interval_us
            )
            if won:
                return True, ahead, slot
        return False, 0, 0  # every try lost to another worker: ask again at once


class _RedisSlots:
    """The schedule in one Redis key, advanced by a Lua script (Redis's clock)."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.script = self.client.register_script(_RESERVE)

    def reserve(self, name: str, *, interval_us: int, horizon_us: int) -> tuple[bool, int, int]:
        key = f"notifications:send-rate:{name}"
        taken, ahead, slot = self.script(keys=[key], args=[interval_us, horizon_us])
        return bool(taken), int(ahead), int(slot)


_redis: dict[str, _RedisSlots] = {}
_redis_lock = Lock()


def _slots() -> Any:
    url = conf.SEND_RATE_REDIS_URL
    if not url:
        return _DatabaseSlots()
    with _redis_lock:
        if url not in _redis:
            _redis[url] = _RedisSlots(url)
        return _redis[url]


def send_slot_wait(*, until: datetime | None = None, name: str = DEFAULT_NAME) -> bool:
    """Wait for the next send slot under SEND_RATE; True once it is this worker's.

    Returns at once without a limit. Returns False, having taken nothing,
    when `until` (the time the caller must renew its lease) comes first.
    """
    rate = conf.SEND_RATE
    if not rate:
        return True
    return slot_take(rate=float(rate), until=until, name=name) is not None


def slot_take(*, rate: float, until: datetime | None, name: str) -> int | None:
    """Take the next slot at `rate` and sleep until it; the slot's time (µs), or None."""
    slots = _slots()
    interval_us = max(1, round(1_000_000 / rate))
    deadline = until.timestamp() if until is not None else None
    while True:
        left = None if deadline is None else deadline - time.time()
        if left is not None and left <= 0:
            return None
        horizon = HORIZON if left is None else min(HORIZON, left)
        taken, ahead_us, slot_us = slots.reserve(
            name, interval_us=interval_us, horizon_us=round(horizon * 1_000_000)
        )
        ahead = ahead_us / 1e6
        if taken:
            if ahead > 0:
                time.sleep(ahead)
            return slot_us
        # Sleep until the slot comes within the horizon, in slices, not past `until`.
        pause = min(SLICE, max(ahead - HORIZON, 0.005))
        if left is not None:
            pause = min(pause, max(left, 0.0))
        time.sleep(pause)
