"""Settings of benchmark processes that try a django-q2 option the project
does not expose: microblog.settings.base plus Q_CLUSTER["queue_limit"] from
BENCH_Q_QUEUE_LIMIT (how many tasks a node's pusher takes from the broker
ahead of its workers; django-q2's default is workers squared)."""

import os

from microblog.settings.base import *  # noqa: F403
from microblog.settings.base import Q_CLUSTER

if os.environ.get("BENCH_Q_QUEUE_LIMIT"):
    Q_CLUSTER = {**Q_CLUSTER, "queue_limit": int(os.environ["BENCH_Q_QUEUE_LIMIT"])}
