"""Test settings for worker processes of the fault-injection suite.

The one knob the environment cannot already set: how long Anymail waits for
an ESP's HTTP API before giving up (30 s by default, too long for a test).
"""

import os

from microblog.settings.test import *  # noqa: F403
from microblog.settings.test import ANYMAIL

ANYMAIL = {
    **ANYMAIL,
    "REQUESTS_TIMEOUT": float(os.environ.get("ANYMAIL_REQUESTS_TIMEOUT", "30")),
}
