"""Recipient-facing pages: unsubscribe and preferences."""

app_name = "notifications"
urlpatterns: list = []
