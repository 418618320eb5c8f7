# ruff: noqa: RUF001, RUF003 -- full-width punctuation is the point of this module.
"""Typography that differs by language, beyond what the catalogues translate."""

from django.utils.translation import get_language

# What follows a form label. Chinese typesetting uses the full-width colon;
# Django's own Simplified Chinese catalogue keeps the ASCII one.
LABEL_SUFFIXES = {"zh-hans": "："}
DEFAULT_LABEL_SUFFIX = ":"

# A label already ending in one of these (a question, say) gets no suffix, so
# "有什么新鲜事？" does not become "有什么新鲜事？：".
LABEL_ENDINGS = ":?.!：？。！"


def label_suffix(label: str, language: str | None = None) -> str:
    """The suffix to put after `label` in `language` (default: the active one)."""
    if not label or label[-1] in LABEL_ENDINGS:
        return ""
    return LABEL_SUFFIXES.get((language or get_language() or "").lower(), DEFAULT_LABEL_SUFFIX)
