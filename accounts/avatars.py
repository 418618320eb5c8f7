"""Avatars the site draws itself: a person's initials on a colour derived from
their username.

Pages and emails ask no third party for a picture unless the operator turns
Gravatar on (settings.AVATARS_GRAVATAR): every Gravatar request sends a hash of
the person's email address to Gravatar, and shows a broken image wherever
there is no internet. The drawn avatar depends on the username alone, so a
browser may cache it.
"""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

# Backgrounds for white initials, each with a contrast ratio of at least 4.5:1
# against white (WCAG AA for text); a test checks it.
PALETTE = (
    "#1f56c4",  # blue
    "#0f766e",  # teal
    "#7c3aed",  # violet
    "#b42318",  # red
    "#15803d",  # green
    "#be185d",  # pink
    "#4338ca",  # indigo
    "#c2410c",  # orange
    "#0e7490",  # cyan
    "#475569",  # slate
)

# Sizes (px) the site draws; a request for another size gets the next larger
# one, so the cache stays small and nobody can ask for a huge image.
SIZES = (32, 48, 64, 96, 128, 192, 256)
DEFAULT_SIZE = 96

GRAVATAR_URL = "https://www.gravatar.com/avatar/"


def gravatar_enabled() -> bool:
    return bool(getattr(settings, "AVATARS_GRAVATAR", False))


def avatar_initials(username: str) -> str:
    """One or two capital letters or digits: the first of each of the first two
    parts of the username ("bob_lee" → "BL", "alice" → "A"), "?" if none."""
    parts = [
        part for part in username.replace(".", " ").replace("_", " ").replace("-", " ").split()
    ]
    letters = [c for part in parts[:2] for c in part[:1] if c.isascii() and c.isalnum()]
    return "".join(letters).upper() or "?"


def avatar_colour(username: str) -> str:
    """A palette colour chosen by the username (any case gives the same)."""
    digest = hashlib.sha256(username.lower().encode()).digest()
    return PALETTE[digest[0] % len(PALETTE)]


def avatar_size(requested: int | str | None) -> int:
    """The drawn size for a requested one: the smallest of SIZES that is at
    least as large, the largest for anything bigger, DEFAULT_SIZE if unreadable."""
    try:
        wanted = int(requested)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_SIZE
    return next((size for size in SIZES if size >= wanted), SIZES[-1])


def avatar_path(*, username: str, size: int = DEFAULT_SIZE) -> str:
    """The site-relative URL of the drawn avatar."""
    path = reverse("accounts:avatar", kwargs={"username": username})
    return f"{path}?{urlencode({'s': avatar_size(size)})}"


def gravatar_url(*, email: str, size: int) -> str:
    """Gravatar's picture for an email address (an identicon if it has none)."""
    digest = hashlib.md5(email.strip().lower().encode(), usedforsecurity=False).hexdigest()
    return f"{GRAVATAR_URL}{digest}?" + urlencode({"d": "identicon", "s": size})


def avatar_png(*, username: str, size: int) -> bytes:
    """The avatar of `username` as a PNG of `size` (snapped to SIZES) pixels."""
    return _draw(avatar_initials(username), avatar_colour(username), avatar_size(size))


@lru_cache(maxsize=512)
def _draw(initials: str, colour: str, size: int) -> bytes:
    # Imported here: only the avatar view needs Pillow, not every process.
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (size, size), colour)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=round(size * (0.46 if len(initials) == 1 else 0.38)))
    # A thin stroke in the text colour reads as a semi-bold weight.
    draw.text(
        (size / 2, size / 2),
        initials,
        fill="#ffffff",
        font=font,
        anchor="mm",
        stroke_width=max(1, size // 64),
        stroke_fill="#ffffff",
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
