"""Run real `manage.py` processes (qcluster, runserver) against the test database."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from notifications.tests.support.database import current_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


class ManagedProcess:
    """A `manage.py` subprocess in its own process group, logging to a file.

    A kill signals the whole group: killing only qcluster's main PID leaves
    its workers running as orphans. A stop asks the main process, which
    stops the others.
    """

    def __init__(self, args: list[str], log_path: Path, env: dict[str, str] | None = None):
        self.args = args
        self.log_path = log_path
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "microblog.settings.test",
            "DATABASE_URL": current_database_url(),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        return self.start_command([sys.executable, str(BASE_DIR / "manage.py"), *self.args])

    def start_command(self, command: list[str]) -> ManagedProcess:
        """Start any command (not only manage.py) the same way."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def signal(self, signum: int) -> None:
        """Send `signum` to every process of the group."""
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signum)

    def kill(self) -> None:
        """SIGKILL the whole group, as a crash would."""
        self.signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the main process, as an operator stops it; SIGKILL the group
        if it has not stopped within `timeout`.

        Not SIGTERM to the whole group: django-q2's sentinel dies of it at once
        and qcluster's main process then waits on it for ever (docs/operations.md).
        """
        if not self.proc or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        # Any worker the main process left behind (the group outlives its
        # leader, so not through `signal`, which asks whether the leader runs).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def wait_until(predicate, timeout: float, interval: float = 0.1, message: str = "") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(message or f"condition not met within {timeout}s")
