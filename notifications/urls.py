"""The framework's pages: the in-app feed, unsubscribe and preferences, and the metrics."""

from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.feed, name="feed"),
    path("<int:pk>/read/", views.item_read, name="item_read"),
    path("read/", views.items_read, name="items_read"),
    path("bell/", views.bell, name="count"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/", views.preferences, name="preferences"),
    path("metrics/", views.metrics, name="metrics"),
]
