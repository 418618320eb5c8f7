"""Create a few demo users with posts and follows, for local development only."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from accounts.services import follow_create, user_create
from microblog.services import post_create

DEMO_PASSWORD = "microblog-demo"  # noqa: S105 - a documented demo credential, DEBUG only

DEMO_USERS = {
    "alice": (
        "Coffee, trail running and tiny web apps.",
        [
            "Morning run done before the rain. Now: coffee and code.",
            "Shipped a small feature today. Small is underrated.",
        ],
    ),
    "bob": (
        "Baker by night, reader by day.",
        [
            "Sourdough attempt number 14 finally has an ear!",
            "Currently reading about the history of typefaces.",
        ],
    ),
    "carol": (
        "Photographing city birds.",
        [
            "A heron on the canal again this morning.",
            "Pigeons are more interesting than anyone admits.",
        ],
    ),
}

DEMO_FOLLOWS = [("alice", "bob"), ("alice", "carol"), ("bob", "alice"), ("carol", "alice")]


class Command(BaseCommand):
    help = "Create demo users with posts and follows (only when DEBUG is on; safe to rerun)."

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        if not settings.DEBUG:
            self.stdout.write("DEBUG is off: demo_users does nothing outside development.")
            return

        with transaction.atomic():
            users = {name: self._user(name, about) for name, (about, _) in DEMO_USERS.items()}
            for name, (_about, posts) in DEMO_USERS.items():
                if not users[name].posts.exists():
                    for body in posts:
                        post_create(author=users[name], body=body)
            for follower, followed in DEMO_FOLLOWS:
                follow_create(follower=users[follower], followed=users[followed])

        self.stdout.write(self.style.SUCCESS("Demo users are ready."))
        self.stdout.write(
            f"Log in at {settings.SITE_URL}/accounts/login/ as any of "
            f"{', '.join(DEMO_USERS)} with the password {DEMO_PASSWORD!r}."
        )

    def _user(self, username: str, about_me: str) -> User:
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            user = user_create(
                username=username, email=f"{username}@example.com", password=DEMO_PASSWORD
            )
            user.about_me = about_me
            user.save(update_fields=["about_me"])
            self.stdout.write(f"Created {username}.")
        return user
