"""FilterSets of partnerships' models, shared by the API (``?field=``) and the pages."""

from __future__ import annotations

from typing import Any

import django_filters

from openai_countries.filters import CountryCodeFilter, ScopedFilterSet
from partnerships.models import (
    Agreement,
    Milestone,
    Organisation,
    Participant,
    Partnership,
    ReportRun,
    Risk,
    StageSignOff,
    StageTransition,
)


class PartnershipFilterSet(ScopedFilterSet):
    country = CountryCodeFilter()
    # By id only: a user picker would tell which user ids exist.
    owner = django_filters.NumberFilter(
        field_name="owner_id", min_value=1, max_value=2**63 - 1, decimal_places=0
    )
    region = django_filters.CharFilter(field_name="countries__region__code", distinct=True)

    class Meta:
        model = Partnership
        fields = {
            "stage": ["exact", "in"],
            "wave": ["exact"],
            "health_override": ["exact"],
            "provenance": ["exact"],
            "planned_start": ["gte", "lte"],
        }


class OrganisationFilterSet(ScopedFilterSet):
    home_country = django_filters.CharFilter(field_name="home_country__code", lookup_expr="iexact")

    class Meta:
        model = Organisation
        fields = {"kind": ["exact"]}


class ParticipantFilterSet(ScopedFilterSet):
    country = CountryCodeFilter()

    class Meta:
        model = Participant
        fields = {"partnership": ["exact"], "organisation": ["exact"], "role": ["exact"]}


class AgreementFilterSet(ScopedFilterSet):
    country = CountryCodeFilter()

    class Meta:
        model = Agreement
        fields = {
            "partnership": ["exact"],
            "agreement_type": ["exact"],
            "status": ["exact"],
            "signed_on": ["gte", "lte"],
        }


class MilestoneFilterSet(ScopedFilterSet):
    country = CountryCodeFilter()
    overdue = django_filters.BooleanFilter(method="filter_overdue")

    class Meta:
        model = Milestone
        fields = {
            "partnership": ["exact"],
            "workstream": ["exact"],
            "due_on": ["gte", "lte"],
            "completed_on": ["isnull"],
        }

    def filter_overdue(self, queryset: Any, name: str, value: bool) -> Any:
        from django.utils import timezone

        overdue = {"completed_on__isnull": True, "due_on__lt": timezone.localdate()}
        return queryset.filter(**overdue) if value else queryset.exclude(**overdue)


class RiskFilterSet(ScopedFilterSet):
    country = CountryCodeFilter()

    class Meta:
        model = Risk
        fields = {
            "partnership": ["exact"],
            "status": ["exact"],
            "likelihood": ["gte"],
            "impact": ["gte"],
        }


class StageTransitionFilterSet(ScopedFilterSet):
    country = CountryCodeFilter()

    class Meta:
        model = StageTransition
        fields = {"partnership": ["exact"], "to_status": ["exact"], "at": ["gte", "lte"]}


class StageSignOffFilterSet(ScopedFilterSet):
    country = CountryCodeFilter()

    class Meta:
        model = StageSignOff
        fields = {"partnership": ["exact"], "gate": ["exact"], "side": ["exact"]}


class ReportRunFilterSet(ScopedFilterSet):
    country = CountryCodeFilter()

    class Meta:
        model = ReportRun
        fields = {
            "kind": ["exact"],
            "status": ["exact"],
            "as_of": ["gte", "lte"],
            "language": ["exact"],
        }
