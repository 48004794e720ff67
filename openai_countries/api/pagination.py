"""Page-number pagination whose row count is cached.

Counting a filtered list of 50,000 commitments is most of what its first page costs. The count
is kept under a key made of the data version, the reader's scope and the list's query
(``partnerships.dashboards.scope_cache_key``): any write to the program's data starts a new
version, so a count is never older than the last write. The pages and the API share it.
"""

from __future__ import annotations

import hashlib
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

# Parameters that choose a page of a list, not its rows: they are not part of the count's key.
NOT_COUNTED = frozenset({"page", "page_size", "ordering", "format", "file"})


def count_cache_key(request: HttpRequest, list_name: str) -> str:
    from partnerships.dashboards import scope_cache_key

    query = sorted(
        (name, value)
        for name, values in request.GET.lists()
        if name not in NOT_COUNTED
        for value in values
    )
    digest = hashlib.sha256(repr(query).encode()).hexdigest()[:24]
    return scope_cache_key(request.user, "count", list_name, digest)


class CachedCountPaginator(Paginator):
    def __init__(self, *args: Any, count_key: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.count_key = count_key

    @cached_property
    def count(self) -> int:
        counted = cache.get(self.count_key)
        if counted is None:
            counted = Paginator.count.func(self)  # type: ignore[attr-defined]
            cache.set(self.count_key, counted, timeout=settings.DASHBOARD_CACHE_SECONDS)
        return int(counted)


class Pagination(PageNumberPagination):
    """50 rows a page by default; a client may ask for up to 200 with ``?page_size=``."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        self._count_key = count_cache_key(request, type(view).__qualname__ if view else "")
        return super().paginate_queryset(queryset, request, view)

    @property
    def django_paginator_class(self) -> Any:  # type: ignore[override]
        return partial(paginator_for, count_key=self._count_key)


def paginator_for(queryset: Any, per_page: int, *, count_key: str, **kwargs: Any) -> Paginator:
    """A paginator whose count is cached when writes to the listed model start a new data
    version (every program table); other lists (report runs, tokens, the audit) count."""
    from partnerships.signals import changes_rollups

    if changes_rollups(getattr(queryset, "model", None)):
        return CachedCountPaginator(queryset, per_page, count_key=count_key, **kwargs)
    return Paginator(queryset, per_page, **kwargs)
