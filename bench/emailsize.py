"""What an email's bytes are made of: headers, text part, HTML part, inlined CSS.

Reads a message the sink captured (``bench.throughput`` leaves the engine's
first delivered email in ``var/bench/p2-engine-sink-*.eml``) and prints its
size by part, how much of the HTML is inlined ``style`` attributes, the
``<style>`` block and indentation, and what the transfer encoding adds. It
also checks what every delivered email must be: strictly parseable MIME,
CRLF line ends, no line over 998 octets.

    python -m bench.emailsize [FILE.eml]
"""

from __future__ import annotations

import argparse
import email.policy
import re
from email.parser import BytesParser
from pathlib import Path

from bench.common import RUN_DIR


def breakdown(data: bytes) -> list[tuple[str, int]]:
    """(what, bytes) rows describing `data`, a whole message with CRLF line ends."""
    head, _, body = data.partition(b"\r\n\r\n")
    message = BytesParser(policy=email.policy.strict).parsebytes(data)
    rows = [("whole message", len(data)), ("top-level headers", len(head) + 4)]
    raw_parts = body.split(b"--" + message.get_boundary().encode())
    for part, raw in zip(message.walk(), [b"", *raw_parts[1:]], strict=False):
        if part.is_multipart():
            continue
        text = part.get_content()
        kind = part.get_content_type()
        cte = part.get("Content-Transfer-Encoding", "7bit")
        rows.append((f"{kind} part on the wire ({cte})", len(raw)))
        decoded = text.encode("utf-8")
        rows.append((f"  {kind} decoded", len(decoded)))
        if kind == "text/html":
            styles = re.findall(r' style="[^"]*"', text)
            rows.append((f"  inlined style attributes ({len(styles)})", sum(map(len, styles))))
            blocks = re.findall(r"<style.*?</style>", text, re.S)
            rows.append(("  <style> block (dark mode)", sum(map(len, blocks))))
            indent = re.findall(r"\n[ \t]+|\n(?=\n)", text)
            rows.append(("  indentation and blank lines", sum(map(len, indent)) - len(indent)))
            classes = re.findall(r' class="[^"]*"', text)
            rows.append((f"  class attributes ({len(classes)})", sum(map(len, classes))))
    return rows


def check(data: bytes) -> list[str]:
    """What is wrong with `data` as an email on the wire (empty when nothing)."""
    problems = []
    try:
        BytesParser(policy=email.policy.strict).parsebytes(data)
    except Exception as error:  # the strict policy raises on any defect
        problems.append(f"strict parse: {error}")
    if re.search(rb"(?<!\r)\n|\r(?!\n)", data):
        problems.append("a line end other than CRLF")
    longest = max(len(line) for line in data.split(b"\r\n"))
    if longest > 998:
        problems.append(f"a line of {longest} octets")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", type=Path, nargs="?")
    args = parser.parse_args()
    path = args.file or max(RUN_DIR.glob("p2-engine-sink-*.eml"), key=lambda p: p.stat().st_mtime)
    data = path.read_bytes()
    print(path)
    for what, size in breakdown(data):
        print(f"{what:<48} {size:>6} B")
    problems = check(data)
    print("valid MIME, CRLF, lines ≤ 998 octets" if not problems else "; ".join(problems))


if __name__ == "__main__":
    main()
