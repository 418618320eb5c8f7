from django.urls import path

from . import views

app_name = "timeline"

urlpatterns = [
    path("", views.home, name="home"),
    path("explore/", views.explore, name="explore"),
]
