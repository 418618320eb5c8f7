from django.urls import path

from . import views

app_name = "timeline"

urlpatterns = [
    path("", views.home, name="home"),
    path("explore/", views.explore, name="explore"),
    path("p/<int:pk>/", views.post_detail, name="post"),
    path("u/<str:username>/", views.profile, name="profile"),
    path(
        "u/<str:username>/followers/", views.follow_list, {"showing": "followers"}, name="followers"
    ),
    path(
        "u/<str:username>/following/", views.follow_list, {"showing": "following"}, name="following"
    ),
]
