"""The database the running test uses, as a DATABASE_URL for a process it starts."""

from __future__ import annotations

from django.db import connection


def current_database_url() -> str:
    """A DATABASE_URL naming the test database of the current connection."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"
