"""FilterSet building blocks shared by pages and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet


class CountryCodeFilter(django_filters.CharFilter):
    """``?country=AE`` (or ``ae``; several as ``AE,NO``) on a row's declared country path.

    It narrows rows the user may already see; restrict() has applied the user's scope before.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "ISO 3166-1 alpha-2 code(s), comma-separated")
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if not value:
            return qs
        codes = [code.strip().upper() for code in str(value).split(",") if code.strip()]
        from partnerships.models import Country

        return qs.in_countries(Country.objects.filter(code__in=codes))  # type: ignore[attr-defined]
