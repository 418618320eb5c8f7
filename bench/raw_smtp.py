"""Baseline: raw smtplib over one connection, small text+HTML messages.

This is the ceiling the engine is compared with: no templates, no database,
one pre-built message shape per send.

    python -m bench.raw_smtp --port 2525 --count 2000
"""

from __future__ import annotations

import argparse
import smtplib
import time
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText


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
    """Send `count` messages over one connection; return messages per second."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for i in range(count):
            smtp.sendmail("noreply@microblog.localhost", [f"user{i}@example.com"], build(i))
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    print(f"{send(args.port, args.count):.0f} msgs/s")


if __name__ == "__main__":
    main()
