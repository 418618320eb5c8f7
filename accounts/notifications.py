"""Notification types owned by accounts (new_follower)."""
