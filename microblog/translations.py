"""Strings of Django and django-axes that their own catalogues leave untranslated.

The admin shows them to staff (the empty choice of its action menu, the
names of the sign-in throttling records), and Django 6.1's and django-axes' Simplified
Chinese catalogues lack them. Marking them here keeps them in the project's
catalogue, which LOCALE_PATHS puts before every app's own.
"""

from django.utils.translation import gettext_noop

DJANGO_STRINGS = (
    gettext_noop("- Select an option -"),
)

AXES_STRINGS = (
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
)
