"""The tracking webhooks alone, mounted where a project would (for pytest.mark.urls)."""

from django.urls import include, path

urlpatterns = [path("webhooks/anymail/", include("notifications.tracking.webhooks"))]
