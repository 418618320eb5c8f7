"""Helpers shared by the benchmarks: processes, sinks, medians."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RUN_DIR = BASE_DIR / "var" / "bench"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout}s")


def start(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            args,
            cwd=BASE_DIR,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a process group (qcluster's workers included)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=5)


class Sink:
    """bench/sink.py in its own process; `lines()` are the delivered ids."""

    def __init__(self, name: str, delay: float = 0.0) -> None:
        self.port = free_port()
        self.log = RUN_DIR / f"{name}-sink-{self.port}.log"
        self.log.unlink(missing_ok=True)
        self.proc = start(
            [
                sys.executable,
                "-m",
                "bench.sink",
                "--port",
                str(self.port),
                "--log",
                str(self.log),
                "--delay",
                str(delay),
            ],
            RUN_DIR / f"{name}-sink-{self.port}.out",
        )
        import socket

        def listening() -> bool:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return True
            except OSError:
                return False

        wait_until(listening, timeout=15)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def count(self) -> int:
        return len(self.lines())

    def close(self) -> None:
        stop(self.proc)


@contextmanager
def sink(name: str, delay: float = 0.0) -> Iterator[Sink]:
    s = Sink(name, delay)
    try:
        yield s
    finally:
        s.close()


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
