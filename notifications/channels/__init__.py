"""Channels: how a notification reaches its recipient (email; in-app)."""
