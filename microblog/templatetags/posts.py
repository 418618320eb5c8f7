"""Template filters for showing posts."""

from collections.abc import Mapping

from django import template
from django.utils.safestring import SafeString

from microblog.mentions import linked_mentions as _linked_mentions

register = template.Library()


@register.filter
def linked_mentions(body: str, mentionable: Mapping[str, str] | None) -> SafeString:
    """{{ post.body|linked_mentions:mentionable }}: the body escaped, with line
    breaks, and mentions of the users in `mentionable` linked to their profiles
    (the view loads `mentionable` for the whole page with mentionable_users)."""
    return _linked_mentions(body, mentionable or {})
