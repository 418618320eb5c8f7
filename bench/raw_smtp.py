"""Baselines: raw smtplib over one connection, no templates, no database.

Two of them, each the ceiling the engine is compared with:

* ``send_bytes``: exactly the bytes of one email the engine delivered in the
  same run (captured by the sink), sent again and again. This is the wire's
  limit for the engine's own messages: the honest baseline.
* ``send``: a small (0.7 KB) text+HTML message built per send with the email
  package's MIME classes. The older baseline, kept for comparison; it costs
  the sender more CPU per message than sending ready bytes does, and its
  message is seven times smaller than the engine's.

    python -m bench.raw_smtp --port 2525 --count 2000 [--file message.eml]
"""

from __future__ import annotations

import argparse
import smtplib
import time
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

FROM = "noreply@microblog.localhost"


def build(i: int) -> bytes:
    """One small text+HTML message, built with the same MIME classes Django uses."""
    message = MIMEMultipart("alternative")
    message["Subject"] = f"user{i} is now following you!"
    message["From"] = "Microblog <noreply@microblog.localhost>"
    message["To"] = f"user{i}@example.com"
    message["X-Notification-ID"] = f"raw-{i}"
    message.attach(MIMEText(f"user{i} is now following you!\n\nhttp://127.0.0.1:8000/u/user{i}/\n"))
    message.attach(
        MIMEText(
            f"<p><a href='http://127.0.0.1:8000/u/user{i}/'>user{i}</a> is now following you!</p>",
            "html",
        )
    )
    return message.as_bytes()


def send(port: int, count: int) -> float:
    """Send `count` small built messages over one connection; messages per second."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for i in range(count):
            smtp.sendmail(FROM, [f"user{i}@example.com"], build(i))
    return count / (time.perf_counter() - started)


def send_bytes(port: int, count: int, data: bytes) -> float:
    """Send the ready message `data` (CRLF line ends) `count` times over one
    connection, as the engine would hand it to smtplib; messages per second."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for i in range(count):
            smtp.sendmail(FROM, [f"r{i}@example.com"], data)
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--file", type=Path, default=None, help="send this message's bytes")
    args = parser.parse_args()
    if args.file:
        rate = send_bytes(args.port, args.count, args.file.read_bytes())
    else:
        rate = send(args.port, args.count)
    print(f"{rate:.0f} msgs/s")


if __name__ == "__main__":
    main()
