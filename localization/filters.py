"""FilterSets of localization's models, shared by the API (``?field=``) and the pages."""

from __future__ import annotations

import django_filters

from localization.models import Locale, LocalizationRequirement, RequirementStatusTransition
from openai_countries.filters import CountryCodeFilter, ScopedFilterSet


class LocaleFilterSet(ScopedFilterSet):
    class Meta:
        model = Locale
        fields = {"direction": ["exact"], "script": ["exact"]}


class RequirementFilterSet(ScopedFilterSet):
    country = CountryCodeFilter()
    locale = django_filters.CharFilter(field_name="locale__tag", lookup_expr="iexact")

    class Meta:
        model = LocalizationRequirement
        fields = {
            "partnership": ["exact"],
            "service_domain": ["exact"],
            "category": ["exact"],
            "status": ["exact", "in"],
            "priority": ["exact", "lte"],
            "target_on": ["gte", "lte"],
        }


class RequirementTransitionFilterSet(ScopedFilterSet):
    country = CountryCodeFilter()

    class Meta:
        model = RequirementStatusTransition
        fields = {"requirement": ["exact"], "to_status": ["exact"], "at": ["gte", "lte"]}
