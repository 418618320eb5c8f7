"""Reading a gettext catalogue with the standard library, for tests that check one.

The project's tests check the site's catalogue with these too.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Entry:
    msgid: str
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    obsolete: bool = False


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file (header excluded)."""
    entries: list[Entry] = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        entry, current = Entry(msgid=""), None
        seen_msgid = False
        for line in block.splitlines():
            if line.startswith("#~"):
                entry.obsolete = True
                continue
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
                continue
            if line.startswith("#:"):
                entry.references += line[2:].split()
                continue
            if line.startswith("#"):
                continue
            match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?) (\".*\")$", line)
            if match:
                keyword, index, text = match.groups()
                value = ast.literal_eval(text)
                if keyword == "msgid":
                    seen_msgid = True
                    entry.msgid = value
                    current = ("msgid", None)
                elif keyword == "msgid_plural":
                    entry.msgid_plural = value
                    current = ("msgid_plural", None)
                elif keyword.startswith("msgstr"):
                    slot = int(index) if index is not None else 0
                    entry.msgstr[slot] = value
                    current = ("msgstr", slot)
                else:
                    current = None
                continue
            if line.startswith('"') and current is not None:  # a continuation line
                value = ast.literal_eval(line)
                kind, slot = current
                if kind == "msgid":
                    entry.msgid += value
                elif kind == "msgid_plural":
                    entry.msgid_plural = (entry.msgid_plural or "") + value
                else:
                    entry.msgstr[slot] += value
        if seen_msgid and entry.msgid:
            entries.append(entry)
    return entries


PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]|\{\{\s*\w+\s*\}\}")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text)) | {m.group(0) for m in PLACEHOLDER.finditer(text)}


def stale_entries(catalogue: list[Entry], mo_path: Path) -> list[str]:
    """Messages whose compiled translation (.mo) differs from the .po file."""
    with mo_path.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for entry in catalogue:
        if entry.msgid_plural is None:
            if compiled.gettext(entry.msgid) != entry.msgstr[0]:
                stale.append(entry.msgid)
        elif compiled.ngettext(entry.msgid, entry.msgid_plural, 2) != entry.msgstr[0]:
            stale.append(entry.msgid)
    return stale


def broken_placeholders(catalogue: list[Entry]) -> list[tuple[str, str]]:
    """Translations that lose or add a placeholder of their message."""
    broken = []
    for entry in catalogue:
        wanted = placeholders(entry.msgid) | placeholders(entry.msgid_plural or "")
        for text in entry.msgstr.values():
            if placeholders(text) != wanted and not (
                entry.msgid_plural and placeholders(text) <= wanted
            ):
                broken.append((entry.msgid, text))
    return broken
