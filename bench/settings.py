"""Settings of benchmark processes that try options the project does not expose:
microblog.settings.base plus Q_CLUSTER["queue_limit"] from BENCH_Q_QUEUE_LIMIT
(how many tasks a node's pusher takes from the broker ahead of its workers;
django-q2's default is workers squared), and with BENCH_SEND_RATE_SHARED=database
the send-rate slots in the database although Redis is the broker."""

import os

from microblog.settings.base import *  # noqa: F403
from microblog.settings.base import Q_CLUSTER

if os.environ.get("BENCH_Q_QUEUE_LIMIT"):
    Q_CLUSTER = {**Q_CLUSTER, "queue_limit": int(os.environ["BENCH_Q_QUEUE_LIMIT"])}

if os.environ.get("BENCH_SEND_RATE_SHARED") == "database":
    from microblog.settings.base import NOTIFICATIONS

    NOTIFICATIONS = {**NOTIFICATIONS, "SEND_RATE_REDIS_URL": None}
