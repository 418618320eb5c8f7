"""Helpers shared by the benchmarks: processes, sinks, medians."""

from __future__ import annotations

import os
import signal
import socket
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


def wait_for_port(port: int, timeout: float) -> None:
    """Wait until something listens on 127.0.0.1:`port`."""

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    wait_until(listening, timeout=timeout)


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
    """Stop a process group (qcluster's workers included): SIGTERM to its main
    process, which stops the rest (SIGTERM to the whole group leaves qcluster
    hanging, docs/operations.md), then SIGKILL to whatever is left."""
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=5)


class Sink:
    """bench/sink.py in its own process; `lines()` are the delivered ids."""

    def __init__(self, name: str, delay: float = 0.0, capture: bool = False) -> None:
        self.port = free_port()
        self.log = RUN_DIR / f"{name}-sink-{self.port}.log"
        self.log.unlink(missing_ok=True)
        # With `capture`, the DATA bytes of the first message accepted.
        self.captured = RUN_DIR / f"{name}-sink-{self.port}.eml" if capture else None
        if self.captured is not None:
            self.captured.unlink(missing_ok=True)
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
                *(["--capture", str(self.captured)] if self.captured is not None else []),
            ],
            RUN_DIR / f"{name}-sink-{self.port}.out",
        )
        wait_for_port(self.port, timeout=15)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def records(self) -> list[tuple[str, float]]:
        """(X-Notification-ID, time accepted) of every message received."""
        if not self.log.exists():
            return []
        records = []
        for line in self.log.read_text().splitlines():
            ident, _, stamp = line.rpartition(" ")
            if ident:
                records.append((ident, float(stamp)))
        return records

    def lines(self) -> list[str]:
        return [ident for ident, _ in self.records()]

    def count(self) -> int:
        if not self.log.exists():
            return 0
        with self.log.open("rb") as log:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: log.read(1 << 16), b""))

    def rate(self, skip: int = 0) -> float:
        """Messages per second between the first and the last accepted message.

        Leaves out process start-up: the clock starts at message `skip` + 1.
        """
        times = sorted(stamp for _, stamp in self.records())[skip:]
        if len(times) < 2 or times[-1] == times[0]:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    def reset(self) -> None:
        self.log.write_text("")

    def cpu_seconds(self) -> float:
        """CPU time the sink process has used so far (user + system)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def message(self) -> bytes:
        """The first message the sink accepted (a sink started with `capture`)."""
        assert self.captured is not None, "this sink captures nothing"
        wait_until(self.captured.exists, timeout=10)
        return self.captured.read_bytes()

    def close(self) -> None:
        stop(self.proc)


@contextmanager
def sink(name: str, delay: float = 0.0, capture: bool = False) -> Iterator[Sink]:
    s = Sink(name, delay, capture)
    try:
        yield s
    finally:
        s.close()


PYTHON = sys.executable


class Project:
    """A dedicated database for one benchmark, and the processes that use it.

    `db` is "sqlite" (a fresh file under var/bench/) or "postgres" (a fresh
    database on 127.0.0.1:5432, dropped by `drop()`). Processes run
    microblog.settings.base with DEBUG off and the environment in `env`.
    """

    def __init__(self, name: str, db: str = "sqlite", env: dict[str, str] | None = None) -> None:
        self.name = name
        self.db = db
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        if db == "sqlite":
            path = RUN_DIR / f"{name}.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            url = f"sqlite:///{path}"
        elif db == "postgres":
            self.pg_name = f"bench_{name}"
            self._pg(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            self._pg(f'CREATE DATABASE "{self.pg_name}"')
            url = f"postgres://postgres@127.0.0.1:5432/{self.pg_name}"
        else:
            raise ValueError(f"unknown database {db!r}")
        self.env = {
            "DJANGO_SETTINGS_MODULE": "microblog.settings.base",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": url,
            **(env or {}),
        }
        self.processes: list[subprocess.Popen] = []

    @staticmethod
    def _pg(sql: str) -> None:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute(sql)

    def manage(self, *args: str, env: dict[str, str] | None = None) -> None:
        subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=BASE_DIR,
            env={**os.environ, **self.env, **(env or {})},
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def migrate(self) -> None:
        self.manage("migrate", "--noinput")

    def setup_django(self, env: dict[str, str] | None = None) -> None:
        """Configure Django in this process on the benchmark's database."""
        os.environ.update({**self.env, **(env or {})})
        import django

        django.setup()

    def start(
        self, args: list[str], log: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen:
        proc = start([PYTHON, *args], RUN_DIR / log, env={**self.env, **(env or {})})
        self.processes.append(proc)
        return proc

    def qcluster(self, log: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        return self.start(["manage.py", "qcluster"], log, env)

    def runserver(self, port: int, log: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        proc = self.start(
            ["manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
            log,
            env,
        )
        wait_for_port(port, timeout=30)
        return proc

    def gunicorn(
        self, port: int, log: str, env: dict[str, str] | None = None, workers: int = 2
    ) -> subprocess.Popen:
        """The production server: gunicorn with deploy/gunicorn.conf.py."""
        proc = self.start(
            [
                "-m",
                "gunicorn",
                "-c",
                "deploy/gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "microblog.wsgi",
            ],
            log,
            {"GUNICORN_ACCESS_LOG": "", "GUNICORN_LOG_LEVEL": "warning", **(env or {})},
        )
        wait_for_port(port, timeout=30)
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        stop(proc)
        if proc in self.processes:
            self.processes.remove(proc)

    def close(self) -> None:
        for proc in list(self.processes):
            self.stop(proc)
        if self.db == "postgres":
            from django.db import connections

            connections.close_all()
            with suppress(Exception):
                self._pg(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


def children(pid: int) -> list[int]:
    """Every descendant of `pid` (from /proc)."""
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rpartition(")")[2].split()[1])
            if ppid == parent:
                found.append(int(entry.name))
                frontier.append(int(entry.name))
    return found


def rss_kib(pid: int) -> int:
    """VmRSS of a process in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A small Markdown table."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
