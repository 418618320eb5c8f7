"""A loopback SMTP sink in its own process, for benchmarks.

It appends one line per accepted message to a file — the message's
X-Notification-ID (or Message-ID) and the time it was accepted — so a
benchmark can count deliveries, duplicates and losses, and measure rates,
without sharing a process (or a GIL) with the sender.

    python -m bench.sink --port 2525 --log var/bench/sink.log [--delay 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class CountingHandler:
    def __init__(self, log_path: Path, delay: float) -> None:
        self.log = log_path.open("a", buffering=1)
        self.delay = delay
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        ident = "-"
        for line in bytes(envelope.original_content or envelope.content).split(b"\r\n"):
            if not line:
                break  # end of headers
            name, _, value = line.partition(b":")
            if name.lower() == b"x-notification-id":
                ident = value.strip().decode()
                break
            if name.lower() == b"message-id":
                ident = value.strip().decode()
        with self.lock:
            self.log.write(f"{ident} {time.time():.6f}\n")
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds per message")
    args = parser.parse_args()
    args.log.parent.mkdir(parents=True, exist_ok=True)
    controller = Controller(
        CountingHandler(args.log, args.delay), hostname="127.0.0.1", port=args.port
    )
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
