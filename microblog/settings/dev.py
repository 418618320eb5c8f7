"""Local development: `make run`. DEBUG on unless the environment says otherwise."""

import os

os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: F403
from .base import DATABASES, env

# runserver serves every request on a thread of its own, so a kept connection
# would only wait to be collected (Django advises none in development).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
