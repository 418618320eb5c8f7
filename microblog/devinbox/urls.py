"""DEBUG-only dev inbox: the messages the local SMTP sink received."""

from django.urls import path

from . import views

app_name = "devinbox"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<str:key>/", views.message_detail, name="message"),
    path("<str:key>/html/", views.message_html, name="message_html"),
]
