"""Proof that the framework lifts into any Django project, unmodified.

In a temporary directory: `django-admin startproject`, an app with a custom
user model (AbstractBaseUser) whose address field is `email_address` and which
has no language attribute, `notifications` (this repository on PYTHONPATH)
added with minimal settings, one notification type with its three templates;
then migrate, enqueue inside a transaction, one delivery pass, and the email
is at a real SMTP server with absolute links. Every step is a `manage.py`
process of the blank project: nothing of this suite's settings reaches it.

The steps are those of "Using notifications in your own project" in
docs/notifications.md; keep the two in step.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import notifications
from notifications.tests.support.smtp import SmtpSink

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]

# The directory holding the notifications package (the repository root).
PACKAGE_PARENT = Path(notifications.__file__).resolve().parent.parent
# The whole proof stays under this many seconds.
BUDGET = 60.0

MEMBERS_MODELS = """\
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models


class MemberManager(BaseUserManager):
    def create_user(self, email_address, password=None):
        member = self.model(email_address=self.normalize_email(email_address))
        member.set_password(password)
        member.save(using=self._db)
        return member


class Member(AbstractBaseUser):
    email_address = models.EmailField(unique=True)
    is_active = models.BooleanField(default=True)

    EMAIL_FIELD = "email_address"
    USERNAME_FIELD = "email_address"

    objects = MemberManager()
"""

MEMBERS_APPS = """\
from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"

    def ready(self):
        from . import notifications  # noqa: F401 -- registers the notification type
"""

MEMBERS_NOTIFICATIONS = """\
from notifications.conf import conf
from notifications.types import Category, NotificationType, register


@register
class Hello(NotificationType):
    key = "hello"
    category = Category("news", "News")
    template_prefix = "members/email/hello"

    def get_context(self, *, notification):
        return {"topic": notification.params["topic"], "url": conf.absolute_url("/news/")}

    def sample_params(self):  # what the admin's previews render it with
        return {"topic": "the garden"}
"""

TEMPLATES = {
    "hello.subject.txt": "News about {{ topic }}\n",
    "hello.txt": (
        "There is news about {{ topic }}: {{ url }}\n"
        '{% include "notifications/email/footer.txt" with reason="You are a member." %}\n'
    ),
    "hello.html": (
        '{% extends "notifications/email/base.html" %}\n'
        '{% block content %}<p>There is news about {{ topic }}: <a href="{{ url }}">read it</a>.'
        "</p>{% endblock %}\n"
    ),
}

SETTINGS = """
INSTALLED_APPS += ["django_q", "notifications", "members"]
AUTH_USER_MODEL = "members.Member"
MAILERS = {
    "default": {"BACKEND": "notifications.backends.OutboxEmailBackend"},
    "delivery": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": SMTP_PORT},
    },
}
NOTIFICATIONS = {"SITE_URL": "https://blank.example"}
Q_CLUSTER = {"name": "blank", "orm": "default", "timeout": 60, "retry": 120, "max_attempts": 1}
"""

URLS = """\
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("notifications/", include("notifications.urls")),
]
"""

ENQUEUE = """\
from django.db import transaction
from members.models import Member
from notifications.enqueue import notification_enqueue

ada = Member.objects.create_user("ada@blank.example")
with transaction.atomic():
    notification_enqueue(kind="hello", recipient=ada, params={"topic": "the garden"})
"""

# Run by the test after the steps above: the email's unsubscribe link works in
# the blank project, and nothing of the repository's own apps was ever loaded.
UNSUBSCRIBE_AND_LIST_MODULES = """\
import sys
from django.test import Client
from members.models import Member
from notifications.preferences import preferences_for

client = Client(HTTP_HOST="localhost")
page = client.get("{path}")
print(page.status_code, "notifications-standalone" in page.content.decode())
print(client.post("{path}").status_code)
print(preferences_for(user=Member.objects.get()))
print(sorted({{name.split(".")[0] for name in sys.modules}} & {{"accounts", "microblog"}}))
"""


class BlankProject:
    """A directory with a Django project, and its manage.py run by this venv's python."""

    def __init__(self, root: Path, deadline: float) -> None:
        self.root = root
        self.deadline = deadline
        # Only what a shell would have: none of this suite's settings or database.
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(root),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(PACKAGE_PARENT),
        }

    def run(self, *args: str) -> str:
        remaining = self.deadline - time.monotonic()
        assert remaining > 0, f"the blank project took more than {BUDGET:.0f} s"
        result = subprocess.run(
            [sys.executable, *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=remaining,
        )
        assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}{result.stderr}"
        return result.stdout + result.stderr

    def manage(self, *args: str) -> str:
        return self.run("manage.py", *args)

    def write(self, relative: str, text: str, *, append: bool = False) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a" if append else "w") as file:
            file.write(text)


@pytest.fixture
def smtp_sink():  # type: ignore[no-untyped-def]
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def test_a_blank_project_with_its_own_user_model_sends_a_notification(tmp_path, smtp_sink):
    project = BlankProject(tmp_path, deadline=time.monotonic() + BUDGET)

    project.run("-m", "django", "startproject", "blank", ".")
    project.manage("startapp", "members")
    project.write("members/models.py", MEMBERS_MODELS)
    project.write("members/apps.py", MEMBERS_APPS)
    project.write("members/notifications.py", MEMBERS_NOTIFICATIONS)
    for name, text in TEMPLATES.items():
        project.write(f"members/templates/members/email/{name}", text)
    project.write(
        "blank/settings.py", SETTINGS.replace("SMTP_PORT", str(smtp_sink.port)), append=True
    )
    project.write("blank/urls.py", URLS)
    project.manage("makemigrations", "members")
    project.manage("migrate")

    assert project.manage("check").strip() == "System check identified no issues (0 silenced)."

    project.manage("shell", "-c", ENQUEUE)
    assert smtp_sink.messages == []  # enqueuing sends nothing
    assert "Handled 1 row(s)." in project.manage("notifications_deliver")

    [received] = smtp_sink.messages
    assert received.envelope_to == ["ada@blank.example"]
    assert received.header("Subject") == "News about the garden"
    text, html = received.part("text/plain"), received.part("text/html")
    assert text.startswith("There is news about the garden: https://blank.example/news/")
    assert 'href="https://blank.example/news/"' in html
    unsubscribe = received.header("List-Unsubscribe").strip("<>")
    assert unsubscribe.startswith("https://blank.example/notifications/unsubscribe/")
    assert unsubscribe in text
    assert 'href="https://blank.example/notifications/preferences/"' in html
    links = re.findall(r'href="([^"]+)"', html)
    assert links and all(link.startswith("https://blank.example/") for link in links)

    path = unsubscribe.removeprefix("https://blank.example")
    output = project.manage("shell", "-c", UNSUBSCRIBE_AND_LIST_MODULES.format(path=path))
    assert output.splitlines()[-4:] == ["200 True", "200", "{'news': 'off'}", "[]"]


# A user model whose key is not an integer: the key field's line and how
# create_user fills it.
KEYS = {
    "uuid": (
        "id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)",
        "",
    ),
    "text": (
        "handle = models.CharField(primary_key=True, max_length=40)",
        'handle=email_address.split("@")[0], ',
    ),
}


def keyed_members_models(key: str) -> str:
    """The recipe's user model, keyed by `key` (KEYS) instead of a number."""
    key_field, create_key = KEYS[key]
    model = "class Member(AbstractBaseUser):\n"
    create = "self.model(email_address="
    assert model in MEMBERS_MODELS and create in MEMBERS_MODELS  # the recipe still reads so
    keyed = MEMBERS_MODELS.replace(model, f"{model}    {key_field}\n")
    return "import uuid\n\n" + keyed.replace(create, f"self.model({create_key}email_address=")


# A coalescing type that also reaches the app, beside Hello: its params name
# the actors by key, read back through the user model's key field.
POKED = """

from django.contrib.auth import get_user_model
from notifications.types import EMAIL, IN_APP


@register
class Poked(NotificationType):
    key = "poked"
    category = Category("pokes", "Pokes")
    template_prefix = "members/email/poked"
    channels = (EMAIL, IN_APP)
    coalesce = True

    def get_context(self, *, notification):
        to_key = get_user_model()._meta.pk.to_python
        keys = [to_key(a) for a in notification.params["actor_ids"]]
        members = get_user_model()._default_manager.in_bulk(keys)
        names = " and ".join(members[key].email_address for key in keys)
        return {"names": names, "url": conf.absolute_url("/news/"), "target_url": "/news/"}
"""

POKED_TEMPLATES = {
    "poked.subject.txt": "Poked by {{ names }}\n",
    "poked.txt": (
        "{{ names }} poked you: {{ url }}\n"
        '{% include "notifications/email/footer.txt" with reason="You are a member." %}\n'
    ),
    "poked.html": (
        '{% extends "notifications/email/base.html" %}\n'
        "{% block content %}<p>{{ names }} poked you.</p>{% endblock %}\n"
    ),
    "poked.inapp.html": "{{ names }} poked you\n",
}

# Preferences are read by key (dee gets news by digest), two actors poke ada and
# one takes it back before anything is sent.
KEYED_ENQUEUE = """\
from django.db import transaction
from members.models import Member
from notifications.enqueue import notification_enqueue, notification_withdraw_actor
from notifications.preferences import preference_set

ada, bob, cy, dee = (
    Member.objects.create_user(f"{name}@blank.example") for name in ("ada", "bob", "cy", "dee")
)
preference_set(user=dee, category="news", mode="digest")
with transaction.atomic():
    row = notification_enqueue(kind="hello", recipient=dee, params={"topic": "the garden"})
print("dee's email:", row.status)
for actor in (bob, cy):
    with transaction.atomic():
        notification_enqueue(kind="poked", recipient=ada, actor_id=actor.pk)
# The keys as text, the way a URL or a form would give them.
changed = notification_withdraw_actor(kind="poked", recipient_id=str(ada.pk), actor_id=str(cy.pk))
print("withdrawn:", changed)
"""

# Ada's feed names bob alone; her unsubscribe link works, and a signed link
# naming a key no member can have is refused.
KEYED_FEED_AND_UNSUBSCRIBE = """\
from django.core import signing
from django.test import Client
from members.models import Member
from notifications.preferences import preferences_for

ada = Member.objects.get(email_address="ada@blank.example")
client = Client(HTTP_HOST="localhost")
client.force_login(ada)
feed = client.get("/notifications/").content.decode()
print("feed:", "bob@blank.example poked you" in feed, "cy@" in feed)
client.logout()
print("unsubscribed:", client.post("{path}").status_code)
print("preferences:", preferences_for(user=ada))
token = signing.dumps(["no such key", "pokes"], salt="notifications.unsubscribe")
print("no such key:", client.post(f"/notifications/unsubscribe/{{token}}/").status_code)
"""


@pytest.mark.parametrize("key", sorted(KEYS))
def test_a_blank_project_whose_users_have_a_key_that_is_not_a_number(tmp_path, smtp_sink, key):
    """Coalescing, withdrawal, preferences, the feed and unsubscribe links with
    a UUID or a text key: ids bound to hand-written SQL, kept in JSON params
    and signed into links."""
    project = BlankProject(tmp_path, deadline=time.monotonic() + BUDGET)

    project.run("-m", "django", "startproject", "blank", ".")
    project.manage("startapp", "members")
    project.write("members/models.py", keyed_members_models(key))
    project.write("members/apps.py", MEMBERS_APPS)
    project.write("members/notifications.py", MEMBERS_NOTIFICATIONS + POKED)
    for name, text in {**TEMPLATES, **POKED_TEMPLATES}.items():
        project.write(f"members/templates/members/email/{name}", text)
    project.write(
        "blank/settings.py", SETTINGS.replace("SMTP_PORT", str(smtp_sink.port)), append=True
    )
    project.write("blank/urls.py", URLS)
    project.manage("makemigrations", "members")
    project.manage("migrate")

    # Withdrawing cy changes ada's pending row and her unread item.
    lines = project.manage("shell", "-c", KEYED_ENQUEUE).splitlines()
    assert "dee's email: held" in lines  # for her daily digest
    assert "withdrawn: 2" in lines
    assert "Handled 1 row(s)." in project.manage("notifications_deliver")

    [received] = smtp_sink.messages
    assert received.envelope_to == ["ada@blank.example"]
    assert received.header("Subject") == "Poked by bob@blank.example"
    unsubscribe = received.header("List-Unsubscribe").strip("<>")
    path = unsubscribe.removeprefix("https://blank.example")
    output = project.manage("shell", "-c", KEYED_FEED_AND_UNSUBSCRIBE.format(path=path))
    said = dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)
    assert said["feed"] == "True False"
    assert said["unsubscribed"] == "200"
    assert said["preferences"] == "{'news': 'immediately', 'pokes': 'off'}"
    assert said["no such key"] == "400"
