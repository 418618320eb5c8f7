"""A loopback SMTP sink in its own process, for benchmarks.

It appends one line per accepted message to a file — the message's
X-Notification-ID (or Message-ID) and the time it was accepted — so a
benchmark can count deliveries, duplicates and losses, and measure rates,
without sharing a process (or a GIL) with the sender. With `--capture` it
also keeps the DATA bytes of the first message it accepts (dot-unstuffed,
CRLF line ends), so a baseline can send exactly what the engine sent.

The server is a small asyncio protocol speaking the part of SMTP that
smtplib and Django's backend use (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
QUIT), not aiosmtpd: at a thousand messages a second aiosmtpd's own work
per message would be what the benchmark measures. `python -m bench.sink
--ceiling` measures what this sink itself can take (its CPU time per
message), so a benchmark can show that it is not the bottleneck.

    python -m bench.sink --port 2525 --log var/bench/sink.log [--delay 0.1] [--capture FILE]
    python -m bench.sink --ceiling
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
from pathlib import Path

_ID_HEADERS = (b"x-notification-id", b"message-id")


def message_ident(data: bytes) -> str:
    """X-Notification-ID of a message, else its Message-ID, else "-"."""
    head = data.split(b"\r\n\r\n", 1)[0]
    found: dict[bytes, bytes] = {}
    for line in head.split(b"\r\n"):
        name, sep, value = line.partition(b":")
        if sep and name.lower() in _ID_HEADERS:
            found.setdefault(name.lower(), value.strip())
    for name in _ID_HEADERS:
        if name in found:
            return found[name].decode("ascii", "replace")
    return "-"


class Recorder:
    """Where accepted messages are written: one line each, flushed every 50 ms."""

    def __init__(self, log_path: Path, capture: Path | None) -> None:
        self.log = log_path.open("a")
        self.capture = capture
        self.pending: list[str] = []
        self.accepted = 0

    def accept(self, data: bytes) -> None:
        self.accepted += 1
        if self.capture is not None:
            self.capture.write_bytes(data)
            self.capture = None
        self.pending.append(f"{message_ident(data)} {time.time():.6f}\n")

    def flush(self) -> None:
        if self.pending:
            self.log.write("".join(self.pending))
            self.log.flush()
            self.pending.clear()


class SmtpSession(asyncio.Protocol):
    """One client connection: commands line by line, DATA until "." alone."""

    def __init__(self, recorder: Recorder, delay: float) -> None:
        self.recorder = recorder
        self.delay = delay
        self.buffer = b""
        self.in_data = False
        self.lines: list[bytes] = []
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(b"220 bench.sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.in_data:
                if self.buffer.startswith(b".\r\n"):  # an empty message
                    end = -2
                else:
                    end = self.buffer.find(b"\r\n.\r\n")
                    if end < 0:
                        return
                body = self.buffer[: end + 2]
                self.buffer = self.buffer[end + 5 :]
                self.in_data = False
                self._message(body.replace(b"\r\n..", b"\r\n."))
                continue
            line, sep, rest = self.buffer.partition(b"\r\n")
            if not sep:
                return
            self.buffer = rest
            self._command(line)

    def _message(self, body: bytes) -> None:
        if body.startswith(b".."):
            body = body[1:]
        self.recorder.accept(body)
        if self.delay:
            asyncio.get_running_loop().call_later(self.delay, self._reply, b"250 OK\r\n")
        else:
            self._reply(b"250 OK\r\n")

    def _reply(self, reply: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(reply)

    def _command(self, line: bytes) -> None:
        verb = line[:4].upper()
        if verb == b"EHLO":
            self._reply(b"250-bench.sink\r\n250-8BITMIME\r\n250 SIZE 33554432\r\n")
        elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            self._reply(b"250 OK\r\n")
        elif verb == b"DATA":
            self.in_data = True
            self._reply(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == b"QUIT":
            self._reply(b"221 Bye\r\n")
            if self.transport is not None:
                self.transport.close()
        else:
            self._reply(b"502 Command not implemented\r\n")


async def serve(
    port: int, log: Path, delay: float, capture: Path | None, stop: asyncio.Event
) -> None:
    recorder = Recorder(log, capture)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SmtpSession(recorder, delay), "127.0.0.1", port, reuse_address=True
    )
    try:
        while not stop.is_set():
            await asyncio.sleep(0.05)
            recorder.flush()
    finally:
        server.close()
        recorder.flush()


def ceiling(messages: int = 20000, clients: int = 2) -> None:
    """The sink's own ceiling: its CPU time per message, fed pre-built messages."""
    import smtplib
    import subprocess
    import sys
    import tempfile
    import threading

    from bench.common import free_port, wait_for_port

    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "sink.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.sink", "--port", str(port), "--log", str(log)]
        )
        try:
            wait_for_port(port, timeout=15)
            body = b"X-Notification-ID: 1\r\nSubject: x\r\n\r\n" + b"x" * 76 + b"\r\n"
            before = _cpu_seconds(proc.pid)
            started = time.perf_counter()

            def client() -> None:
                with smtplib.SMTP("127.0.0.1", port) as smtp:
                    for _ in range(messages // clients):
                        smtp.sendmail("a@example.com", ["b@example.com"], body)

            threads = [threading.Thread(target=client) for _ in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            cpu = _cpu_seconds(proc.pid) - before
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)
    per = cpu / messages
    print(
        f"{messages} messages from {clients} clients in {elapsed:.2f} s; the sink used "
        f"{cpu:.2f} s of CPU: {per * 1e6:.0f} µs per message, a ceiling of "
        f"{1 / per:.0f} messages/s on one core"
    )


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (from /proc)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int)
    parser.add_argument("--log", type=Path)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds per message")
    parser.add_argument("--capture", type=Path, default=None, help="keep the first message here")
    parser.add_argument("--ceiling", action="store_true", help="measure this sink's own ceiling")
    args = parser.parse_args()
    if args.ceiling:
        ceiling()
        return
    args.log.parent.mkdir(parents=True, exist_ok=True)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.run_until_complete(serve(args.port, args.log, args.delay, args.capture, stop))


if __name__ == "__main__":
    main()
