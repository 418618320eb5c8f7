"""One way to paginate every list page."""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZE = 20


def paginate(request: HttpRequest, queryset: QuerySet, *, per_page: int = PAGE_SIZE) -> Page:
    """The page named by ?page= (the last page if too high, the first if invalid)."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
