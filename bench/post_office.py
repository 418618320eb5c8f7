"""P2 against django-post-office 3.12: the same email, the same sink, side by side.

In each run the engine first drains a backlog of new-follower rows (a
qcluster with `Q_WORKERS=2`, SQLite, the ORM broker) into the loopback sink,
which keeps the first message. That message's subject, text, HTML and
headers are then queued as as many django-post-office emails
(`post_office.mail.send`, to the same addresses, through the same SMTP
mailer), and post-office's own `send_queued_mail --processes 2` sends them
to a fresh sink. Rates are the sink's, first to last accepted message.

django-post-office is installed for this benchmark only:

    .venv/bin/pip install -r requirements/bench.txt
    python -m bench.post_office [--rows 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
from email import message_from_bytes, policy

from bench.backlog import drain, queue_clear
from bench.common import Project, median, sink, table, wait_until

# Headers post-office writes itself for every email.
OWN_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}


def email_parts(data: bytes) -> dict:
    """The engine's email as post-office takes it: subject, bodies, headers."""
    message = message_from_bytes(data, policy=policy.default)
    return {
        "sender": str(message["From"]),
        "subject": str(message["Subject"]),
        "message": message.get_body(("plain",)).get_content(),
        "html_message": message.get_body(("html",)).get_content(),
        "headers": {
            name: str(value) for name, value in message.items() if name.lower() not in OWN_HEADERS
        },
    }


def post_office_rate(project: Project, parts: dict, rows: int, name: str) -> float:
    from post_office import mail
    from post_office.models import Email

    Email.objects.all().delete()
    for i in range(rows):
        headers = {**parts["headers"], "X-Notification-ID": str(i + 1)}
        mail.send(
            recipients=[f"r{i}@example.com"],
            sender=parts["sender"],
            subject=parts["subject"],
            message=parts["message"],
            html_message=parts["html_message"],
            headers=headers,
            backend="delivery",
            priority="medium",
        )
    with sink(name) as po_sink:
        proc = project.start(
            ["manage.py", "send_queued_mail", "--processes", "2"],
            f"{name}.log",
            {"EMAIL_URL": po_sink.url},
        )
        try:
            wait_until(lambda: po_sink.count() >= rows, timeout=600, interval=0.2)
        finally:
            project.stop(proc)
        return po_sink.rate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    project = Project(
        "p2-post-office",
        env={"DJANGO_SETTINGS_MODULE": "bench.settings_post_office", "Q_WORKERS": "2"},
    )
    results = []
    try:
        project.migrate()
        project.setup_django()
        for run in range(1, args.runs + 1):
            queue_clear()
            engine = drain(project, rows=args.rows, name=f"p2po-engine-{run}", capture=True)
            assert not engine["duplicates"] and not engine["lost"], engine
            parts = email_parts(engine["message"])
            po = post_office_rate(project, parts, args.rows, f"p2po-post-office-{run}")
            print(
                f"run {run}: engine {engine['rate']:.0f}/s, post-office {po:.0f}/s, "
                f"{engine['rate'] / po:.2f}x"
            )
            results.append((engine["rate"], po))
    finally:
        project.close()
    ratio = median([e / p for e, p in results])
    print(
        table(
            ["rows", "engine (median)", "post-office (median)", "engine / post-office", "goal"],
            [
                [
                    f"{args.rows} x {args.runs} runs",
                    f"{median([e for e, _ in results]):.0f}/s",
                    f"{median([p for _, p in results]):.0f}/s",
                    f"{ratio:.2f}x",
                    "≥ 1.5x " + ("met" if ratio >= 1.5 else "MISSED"),
                ]
            ],
        )
    )


if __name__ == "__main__":
    main()
