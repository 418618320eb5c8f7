"""@mentions in posts: finding them, and showing them as links to profiles."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import normalize_newlines

# "@alice" not preceded by a word character (so "bob@alice.com" is no mention);
# usernames are 3-30 of letters, digits, _ . - (a trailing dot ends a sentence).
MENTION_RE = re.compile(r"(?<![\w@.-])@([A-Za-z0-9_.-]{3,30})")


def _mentions(body: str):  # type: ignore[no-untyped-def]
    """(match, name) for each mention, the name without trailing dots or dashes."""
    for match in MENTION_RE.finditer(body):
        name = match.group(1).rstrip(".-")
        if len(name) >= 3:
            yield match, name


def mentioned_usernames(body: str) -> list[str]:
    """Lower-cased usernames mentioned in `body`, in order, without repeats."""
    seen: dict[str, None] = {}
    for _match, name in _mentions(body):
        seen.setdefault(name.lower(), None)
    return list(seen)


def linked_mentions(body: str, mentionable: Mapping[str, str]) -> SafeString:
    """`body` as escaped HTML with line breaks, each @mention of a user in
    `mentionable` (lower-cased name → username) a link to their profile.

    Mentions of anyone else stay plain text, so a post cannot link to a page
    that does not exist or reveal which names are taken.
    """
    pieces: list[str] = []
    done = 0
    for match, name in _mentions(body):
        username = mentionable.get(name.lower())
        if username is None:
            continue
        url = reverse("timeline:profile", kwargs={"username": username})
        pieces.append(escape(body[done : match.start()]))
        pieces.append(format_html('<a class="mention" href="{}">@{}</a>', url, name))
        done = match.start(1) + len(name)
    pieces.append(escape(body[done:]))
    return mark_safe(normalize_newlines("".join(pieces)).replace("\n", "<br>"))  # noqa: S308 - every piece is escaped above
