"""The project's admin site: Django's, named for staff, with bounded input.

Every ModelAdmin registered on it, the project's and third-party ones
(django-q2, django-axes, auth), answers hand-made input that would fail in
the database with a 400 instead of a server error:

* an action's selected keys must be keys of the model (Django filters on
  them unchecked: ``abc`` raised ValueError, a number beyond SQLite's range
  OverflowError);
* a search is at most SEARCH_MAX_CHARACTERS long and SEARCH_MAX_WORDS words
  (SQLite refuses a LIKE pattern of 50,000 bytes, and a query of a thousand
  words exceeds its expression depth).

The admin's own pages never send such input.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import BadRequest, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

SEARCH_MAX_CHARACTERS = 1000
SEARCH_MAX_WORDS = 50


class BoundedInputMixin:
    """Placed before a ModelAdmin class by MicroblogAdminSite.register."""

    model: Any

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        if len(search_term) > SEARCH_MAX_CHARACTERS or len(search_term.split()) > SEARCH_MAX_WORDS:
            raise BadRequest(
                f"A search of at most {SEARCH_MAX_CHARACTERS} characters "
                f"and {SEARCH_MAX_WORDS} words, please."
            )
        return super().get_search_results(request, queryset, search_term)  # type: ignore[misc]

    def response_action(
        self, request: HttpRequest, queryset: QuerySet, **kwargs: Any
    ) -> HttpResponse | None:
        key = self.model._meta.pk
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            try:
                key.clean(value, None)
            except ValidationError:
                raise BadRequest("A selected row is not one of this list's.") from None
        return super().response_action(request, queryset, **kwargs)  # type: ignore[misc]


class MicroblogAdminSite(admin.AdminSite):
    # The admin says whose it is; "Django administration" means nothing to staff.
    site_header = _("Microblog admin")
    site_title = _("Microblog admin")

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        base = admin_class or admin.ModelAdmin
        bounded = type(base.__name__, (BoundedInputMixin, base), {"__module__": base.__module__})
        super().register(model_or_iterable, bounded, **options)
