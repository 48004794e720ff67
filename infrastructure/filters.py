"""FilterSets of infrastructure's models, shared by the API (``?field=``) and the pages."""

from __future__ import annotations

from infrastructure.models import Permit, SecurityControl, Site, SitePhase, SiteStatusTransition
from openai_countries.filters import CountryCodeFilter, ScopedFilterSet


class SiteFilterSet(ScopedFilterSet):
    country = CountryCodeFilter()

    class Meta:
        model = Site
        fields = {
            "partnership": ["exact"],
            "status": ["exact", "in"],
            "operator": ["exact"],
            "residency_class": ["exact"],
            "cooling_type": ["exact"],
            "planned_capacity_mw": ["gte", "lte"],
        }


class SitePhaseFilterSet(ScopedFilterSet):
    country = CountryCodeFilter()

    class Meta:
        model = SitePhase
        fields = {
            "site": ["exact"],
            "planned_ready_on": ["gte", "lte"],
            "actual_ready_on": ["isnull"],
        }


class PermitFilterSet(ScopedFilterSet):
    country = CountryCodeFilter()

    class Meta:
        model = Permit
        fields = {
            "site": ["exact"],
            "permit_type": ["exact"],
            "status": ["exact"],
            "required": ["exact"],
        }


class SecurityControlFilterSet(ScopedFilterSet):
    country = CountryCodeFilter()

    class Meta:
        model = SecurityControl
        fields = {"site": ["exact"], "control": ["exact"], "status": ["exact"]}


class SiteTransitionFilterSet(ScopedFilterSet):
    country = CountryCodeFilter()

    class Meta:
        model = SiteStatusTransition
        fields = {"site": ["exact"], "to_status": ["exact"], "at": ["gte", "lte"]}
