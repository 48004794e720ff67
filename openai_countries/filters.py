"""FilterSet building blocks shared by pages and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend

from openai_countries.scoping import is_country_scoped


class CountryCodeFilter(django_filters.CharFilter):
    """``?country=AE`` (or ``ae``; several as ``AE,NO``) on a row's declared country path.

    It narrows rows the user may already see; restrict() has applied the user's scope before.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("country"))
        kwargs.setdefault("help_text", _("ISO 3166-1 alpha-2 code(s), comma-separated"))
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if not value:
            return qs
        codes = [code.strip().upper() for code in str(value).split(",") if code.strip()]
        from partnerships.models import Country

        return qs.in_countries(Country.objects.filter(code__in=codes))  # type: ignore[attr-defined]


class ScopedFilterSet(django_filters.FilterSet):
    """Base of every FilterSet: a filter naming a related row (``?partnership=12``) accepts only
    rows the user may see, so another country's id is refused exactly like an unknown one (and
    the browsable API's filter form lists nothing of other countries)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        for name, declared in self.filters.items():
            if not isinstance(
                declared,
                django_filters.ModelChoiceFilter | django_filters.ModelMultipleChoiceFilter,
            ):
                continue
            model = self._meta.model._meta.get_field(declared.field_name.split("__")[0])
            related: Any = getattr(model, "related_model", None)
            if related is not None and is_country_scoped(related):
                restricted = related._default_manager.restrict(user, "view")
                self.filters[name].queryset = restricted


# Parameters that choose how a list is shown, searched or downloaded, not a filter of its rows.
NOT_FILTERS = frozenset({"page", "page_size", "ordering", "search", "format", "file"})


def names_a_filter(params: Any) -> bool:
    """True when a request's query parameters hold anything a FilterSet could read."""
    return any(name not in NOT_FILTERS for name in params)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend without its cost where it does nothing: it builds the whole
    FilterSet and its form (deep copies of every filter and form field) for every request,
    while a request that names no filter, a plain page of a list, is filtered by none (a test
    holds every FilterSet to that)."""

    def filter_queryset(self, request: Any, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        if not names_a_filter(request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)
