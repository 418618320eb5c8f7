"""Signed tokens for links sent by email (unsubscribe)."""


def unsubscribe_url(*, user_id: int, category: str) -> str:
    """Absolute one-click unsubscribe URL for one recipient and category."""
    raise NotImplementedError
