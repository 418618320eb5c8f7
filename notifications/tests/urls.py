"""URLs of the framework's test project: what a project mounts to use notifications."""

from django.contrib import admin
from django.urls import include, path

from notifications.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("notifications/", include("notifications.urls")),
    path("webhooks/anymail/", include("notifications.tracking.webhooks")),
    path("healthz", healthz, name="healthz"),
    # contrib auth's own views, so its password reset mail goes through the outbox.
    path("auth/", include("django.contrib.auth.urls")),
]
