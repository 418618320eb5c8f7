"""Notification types owned by posts (mention)."""
