"""Settings of the django-post-office comparison (bench.post_office): the
project's own, plus post_office, which is installed for that benchmark only
(requirements/bench.txt), never in the product."""

from microblog.settings.base import *  # noqa: F403
from microblog.settings.base import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "post_office"]
