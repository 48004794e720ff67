"""FilterSets of the ledger's models, shared by the API (``?field=``) and the pages."""

from __future__ import annotations

import django_filters

from financing.models import Commitment, CommitmentStatusTransition, Disbursement, ExchangeRate
from openai_countries.filters import CountryCodeFilter, ScopedFilterSet


class CommitmentFilterSet(ScopedFilterSet):
    country = CountryCodeFilter()
    confirmed = django_filters.BooleanFilter(
        field_name="government_confirmed_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Commitment
        fields = {
            "partnership": ["exact"],
            "site": ["exact"],
            "funder": ["exact"],
            "side": ["exact"],
            "instrument": ["exact"],
            "status": ["exact", "in"],
            "amount_currency": ["exact"],
            "committed_on": ["gte", "lte"],
        }


class DisbursementFilterSet(ScopedFilterSet):
    country = CountryCodeFilter()

    class Meta:
        model = Disbursement
        fields = {"commitment": ["exact"], "paid_on": ["gte", "lte"]}


class CommitmentTransitionFilterSet(ScopedFilterSet):
    country = CountryCodeFilter()

    class Meta:
        model = CommitmentStatusTransition
        fields = {"commitment": ["exact"], "to_status": ["exact"], "at": ["gte", "lte"]}


class ExchangeRateFilterSet(ScopedFilterSet):
    class Meta:
        model = ExchangeRate
        fields = {"currency": ["exact"], "on": ["exact", "gte", "lte"]}
