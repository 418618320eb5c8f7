"""Test settings plus a few knobs the end-to-end tests set through the
environment of the worker processes they start (short leases)."""

import os

from microblog.settings.test import *  # noqa: F403
from microblog.settings.test import DATABASES, NOTIFICATIONS

NOTIFICATIONS = {
    **NOTIFICATIONS,
    "LEASE_SECONDS": int(os.environ.get("NOTIFICATIONS_LEASE_SECONDS", "300")),
    "BATCH_SIZE": int(os.environ.get("NOTIFICATIONS_BATCH_SIZE", NOTIFICATIONS["BATCH_SIZE"])),
}

# A separate SQLite test file lets two test runs share a checkout.
if os.environ.get("TEST_SQLITE_NAME") and DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_SQLITE_NAME"]}
