"""End-to-end fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture
def workers(qcluster):  # type: ignore[no-untyped-def]
    """Like `qcluster`, but kills its processes at teardown.

    Every row is in the database, so a SIGKILL loses nothing; waiting for a
    graceful qcluster shutdown would add seconds to every test.
    """
    started = []

    def start(env=None):  # type: ignore[no-untyped-def]
        process = qcluster(env)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
