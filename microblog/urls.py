from django.contrib import admin
from django.urls import include, path

from notifications.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("notifications/", include("notifications.urls")),
    path("webhooks/anymail/", include("notifications.tracking.webhooks")),
    path("healthz", healthz, name="healthz"),
    path("dev/inbox/", include("microblog.devinbox.urls")),
    path("", include("accounts.urls")),
    path("", include("microblog.timeline_urls")),
]
