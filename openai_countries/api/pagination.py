"""Page-number pagination whose row count is cached.

Counting a filtered list of 50,000 commitments is most of what its first page costs. The count
is kept under a key made of the data version, the reader's scope and the list's query
(``partnerships.dashboards.scope_cache_key``): any write to the program's data starts a new
version, so a count is never older than the last write. The pages and the API share it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
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
    """Counts once per data version; finds a page's rows on the list's index alone.

    A page is the rows whose primary keys the list's own query gives at that offset, in the
    list's order: the database walks the ordering's index past the earlier pages without
    joining anything to them, and joins the related rows of those 50 only. Otherwise page 100
    of a list joined its country and locale to the 4,950 rows before it.
    """

    def __init__(
        self, *args: Any, count_key: str, shape: Callable[[Any], Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.count_key = count_key
        self.shape = shape  # what a page's rows become once found (the API's .values() rows)

    def page(self, number: Any) -> Any:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows: Any = self.object_list
        shape = self.shape or (lambda found: found)
        if _one_row_per_key(rows):
            rows = shape(_by_key(rows, rows.values("pk")[bottom:top]))
        else:
            rows = shape(rows)[bottom:top]
        return self._get_page(rows, number, self)  # type: ignore[attr-defined]

    @cached_property
    def count(self) -> int:
        counted = cache.get(self.count_key)
        if counted is None:
            counted = Paginator.count.func(self)  # type: ignore[attr-defined]
            cache.set(self.count_key, counted, timeout=settings.DASHBOARD_CACHE_SECONDS)
        return int(counted)


def _by_key(rows: Any, keys: Any) -> Any:
    """The rows of ``rows`` whose primary keys ``keys`` gives, joined, loaded and ordered as
    ``rows`` are, but without its filters: ``keys`` was found with them. Repeated around the
    keys, a liaison's country filter made PostgreSQL expect one row where there are fifty and
    join each of them to the countries by scanning all of them. Rows shaped by anything a
    filter's join may feed (annotations, extra, values) keep their filters."""
    query = rows.query
    if query.annotations or query.extra or query.extra_order_by or rows._fields is not None:
        return rows.filter(pk__in=keys)
    found = rows.all()  # the queryset's class, prefetches and hints
    found.query = type(query)(rows.model)
    found = found.filter(pk__in=keys)
    found.query.select_related = query.select_related
    found.query.deferred_loading = query.deferred_loading
    found.query.order_by = query.order_by
    found.query.default_ordering = query.default_ordering
    found.query.standard_ordering = query.standard_ordering
    return found


def _one_row_per_key(rows: Any) -> bool:
    """Whether a list is a plain queryset of its model's rows (no grouping, no DISTINCT)."""
    query = getattr(rows, "query", None)
    if query is None or query.distinct or query.group_by is not None:
        return False
    return not any(getattr(a, "contains_aggregate", False) for a in query.annotations.values())


class Pagination(PageNumberPagination):
    """50 rows a page by default; a client may ask for up to 200 with ``?page_size=``."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(
        self,
        queryset: Any,
        request: Any,
        view: Any = None,
        *,
        shape: Callable[[Any], Any] | None = None,
    ) -> Any:
        """A page of ``queryset``; ``shape`` turns the page's rows into what is shown."""
        self._count_key = count_cache_key(request, type(view).__qualname__ if view else "")
        self._shape = shape
        return super().paginate_queryset(queryset, request, view)

    @property
    def django_paginator_class(self) -> Any:  # type: ignore[override]
        return partial(paginator_for, count_key=self._count_key, shape=self._shape)


def paginator_for(
    queryset: Any,
    per_page: int,
    *,
    count_key: str,
    shape: Callable[[Any], Any] | None = None,
    **kwargs: Any,
) -> Paginator:
    """A paginator whose count is cached when writes to the listed model start a new data
    version (every program table); other lists (report runs, tokens, the audit) count."""
    from partnerships.signals import changes_rollups

    if changes_rollups(getattr(queryset, "model", None)):
        return CachedCountPaginator(queryset, per_page, count_key=count_key, shape=shape, **kwargs)
    return Paginator(shape(queryset) if shape is not None else queryset, per_page, **kwargs)
