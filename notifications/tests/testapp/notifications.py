"""The test app's notification types, one of each shape, and the services that start them.

* ``waved`` coalesces, and reaches the app as well as email: a burst of
  waves to one person is one email (and one in-app item) naming every waver;
  a wave taken back is withdrawn, or makes the email obsolete.
* ``note`` is one email per note (deduplicated by the note's id); a deleted
  note makes the email obsolete.
* ``security_alert`` is transactional: no preference, no unsubscribe link.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from notifications.conf import conf
from notifications.enqueue import notification_enqueue, notification_withdraw_actor
from notifications.models import Notification
from notifications.types import (
    EMAIL,
    IN_APP,
    Category,
    NotificationObsolete,
    NotificationType,
    register,
)

from .models import Note, Wave

WAVES = Category("waves", _("Waves"))
NOTES = Category("notes", _("Notes"))
ACCOUNT = Category("account", _("Account"), transactional=True)


def person_url(username: str) -> str:
    """Absolute URL of a person's page (the test project has none: any path will do)."""
    return conf.absolute_url(f"/people/{username}/")


def picture_url(username: str) -> str:
    """An absolute https image URL, as emails need."""
    return f"https://pictures.example.com/{username}.png"


def _card(user: Any) -> dict[str, str]:
    username = user.get_username()
    return {"username": username, "url": person_url(username), "picture": picture_url(username)}


def wavers_headline(names: list[str]) -> str:
    """ "bob waved at you", or the wording for several wavers."""
    if len(names) == 1:
        return gettext("%(name)s waved at you") % {"name": names[0]}
    if len(names) == 2:
        return gettext("%(first)s and %(second)s waved at you") % {
            "first": names[0],
            "second": names[1],
        }
    others = len(names) - 2
    return ngettext(
        "%(first)s, %(second)s and %(count)d other waved at you",
        "%(first)s, %(second)s and %(count)d others waved at you",
        others,
    ) % {"first": names[0], "second": names[1], "count": others}


def waved_context(*, wavers: list[Any]) -> dict[str, Any]:
    cards = [_card(user) for user in wavers]
    return {
        "wavers": cards,
        "first": cards[0],
        "headline": wavers_headline([card["username"] for card in cards]),
        "target_url": f"/people/{cards[0]['username']}/",
    }


@register
class Waved(NotificationType):
    """Someone (or, coalesced, several people) waved at the recipient."""

    key = "waved"
    category = WAVES
    template_prefix = "testapp/email/waved"
    channels = (EMAIL, IN_APP)
    coalesce = True

    def get_contexts(
        self, *, notifications: list[Notification]
    ) -> dict[int, dict[str, Any] | Exception]:
        """The waves and wavers of a whole batch, in two queries."""
        # actor_ids are JSON: the user model's key field reads them back (a
        # UUID key is stored as its text).
        to_key = get_user_model()._meta.pk.to_python
        actors = {
            row.pk: [to_key(a) for a in row.params.get("actor_ids", [])] for row in notifications
        }
        waves = set(
            Wave.objects.filter(
                target_id__in={row.recipient_id for row in notifications},
                actor_id__in={a for ids in actors.values() for a in ids},
            ).values_list("target_id", "actor_id")
        )
        users = get_user_model()._default_manager.in_bulk({actor for _, actor in waves})
        contexts: dict[int, dict[str, Any] | Exception] = {}
        for row in notifications:
            wavers = [
                users[pk]
                for pk in actors[row.pk]
                if (row.recipient_id, pk) in waves and users[pk].is_active
            ]
            if wavers:
                contexts[row.pk] = waved_context(wavers=wavers)
            else:
                contexts[row.pk] = NotificationObsolete("the wave was taken back before sending")
        return contexts

    def sample_context(self) -> dict[str, Any]:
        User = get_user_model()
        return waved_context(
            wavers=[User(username=name) for name in ("bob", "carol", "dave", "erin")]
        )


def note_context(*, note: Note) -> dict[str, Any]:
    return {"note": note, "author": _card(note.author)}


@register
class NoteLeft(NotificationType):
    """Someone left the recipient a note."""

    key = "note"
    category = NOTES
    template_prefix = "testapp/email/note"

    def get_context(self, *, notification: Notification) -> dict[str, Any]:
        note = (
            Note.objects.select_related("author")
            .filter(pk=notification.params.get("note_id"))
            .first()
        )
        if note is None:
            raise NotificationObsolete("the note was deleted before sending")
        return note_context(note=note)

    def sample_context(self) -> dict[str, Any]:
        author = get_user_model()(username="bob")
        return note_context(note=Note(pk=1, author=author, body="Lunch at noon? 🍜"))


@register
class SecurityAlert(NotificationType):
    """Something happened to the recipient's account (transactional)."""

    key = "security_alert"
    category = ACCOUNT
    template_prefix = "testapp/email/security_alert"

    def get_context(self, *, notification: Notification) -> dict[str, Any]:
        return {"what": notification.params.get("what", "")}

    def sample_params(self) -> dict[str, Any]:
        # No sample_context: the preview builds the context from these.
        return {"what": "a new sign-in"}


def wave_notify(*, wave: Wave) -> Notification | None:
    return notification_enqueue(kind=Waved.key, recipient=wave.target, actor_id=wave.actor_id)


def wave_withdraw(*, wave: Wave) -> int:
    return notification_withdraw_actor(
        kind=Waved.key, recipient_id=wave.target_id, actor_id=wave.actor_id
    )


def note_notify(*, note: Note) -> Notification | None:
    return notification_enqueue(
        kind=NoteLeft.key,
        recipient=note.recipient,
        params={"note_id": note.pk},
        dedupe_key=f"note:{note.pk}",
    )


def security_alert_notify(*, user: Any, what: str) -> Notification | None:
    return notification_enqueue(kind=SecurityAlert.key, recipient=user, params={"what": what})
