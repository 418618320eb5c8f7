"""Create a few demo users with posts and follows, and a staff account for the
admin, for local development only."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Follow, User
from accounts.services import user_create
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

# The admin (outbox, delivery dashboard, previews) needs a staff account; a
# newcomer trying the product should not have to run createsuperuser first.
DEMO_STAFF = "staff"


class Command(BaseCommand):
    help = (
        "Create demo users with posts and follows, and a demo staff account for the admin "
        "(only when DEBUG is on; safe to rerun)."
    )

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
            # Seed data, not events: bulk_create sends no post_save, so these
            # follows email nobody. Otherwise alice's first new-follower email
            # would open a coalescing window, and the follow a newcomer makes
            # in their first minutes would wait in the outbox until it closes.
            Follow.objects.bulk_create(
                [
                    Follow(follower=users[follower], followed=users[followed])
                    for follower, followed in DEMO_FOLLOWS
                ],
                ignore_conflicts=True,
            )
            staff = self._staff()

        site = settings.SITE_URL
        self.stdout.write(self.style.SUCCESS("Demo users are ready."))
        self.stdout.write(f"Demo accounts (DEBUG only), all with the password {DEMO_PASSWORD!r}:")
        self.stdout.write(f"  {', '.join(DEMO_USERS)}: log in at {site}/accounts/login/")
        if staff.is_staff:
            self.stdout.write(
                f"  {staff.username} (staff and superuser): the admin at {site}/admin/"
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"  A user named {staff.username!r} exists and is not staff; it was left "
                    "as it is. Create an admin with: manage.py createsuperuser"
                )
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

    def _staff(self) -> User:
        """The demo staff account. An existing user of that name is never
        promoted: someone may have signed up with it."""
        user = User.objects.filter(username__iexact=DEMO_STAFF).first()
        if user is None:
            user = user_create(
                username=DEMO_STAFF,
                email=f"{DEMO_STAFF}@example.com",
                password=DEMO_PASSWORD,
                superuser=True,
            )
            self.stdout.write(f"Created {DEMO_STAFF} (staff).")
        return user
