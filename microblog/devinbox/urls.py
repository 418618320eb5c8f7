"""DEBUG-only dev inbox: the messages the local SMTP sink received."""

app_name = "devinbox"
urlpatterns: list = []
