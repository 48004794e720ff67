"""factory_boy factories for the domain models; rows are valid and consistent by default."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model
from djmoney.money import Money

from financing.models import Commitment, Disbursement, ExchangeRate
from infrastructure.models import Permit, SecurityControl, Site, SitePhase
from localization.models import Locale, LocalizationRequirement
from partnerships.models import (
    Agreement,
    Country,
    Milestone,
    Organisation,
    Participant,
    Partnership,
    PartnershipCountry,
    Region,
    ReportRun,
    Risk,
)


def ensure_iso_countries() -> None:
    """The ISO countries, as the data migration loads them. A transactional test's flush removes
    them; serialized_rollback should bring them back, but a live-server test run between others
    has been seen to end without them, so tests that need them make sure."""
    from partnerships.reference import iso_country_rows

    if not Country.objects.exists():
        Country.objects.bulk_create([Country(**row) for row in iso_country_rows()])


def country(code: str) -> Country:
    """ISO countries are loaded by a data migration; tests fetch them rather than make them."""
    ensure_iso_countries()
    return Country.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory[Any]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class RegionFactory(factory.django.DjangoModelFactory[Region]):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"REGION-{n}")
    name = factory.Sequence(lambda n: f"Region {n}")


class OrganisationFactory(factory.django.DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = "government"
    home_country = factory.LazyFunction(lambda: country("AE"))


class PartnershipFactory(factory.django.DjangoModelFactory[Partnership]):
    class Meta:
        model = Partnership
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"P-{n:04d}")
    title = factory.Sequence(lambda n: f"Partnership {n}")
    lead_country = factory.LazyFunction(lambda: country("AE"))

    @factory.post_generation
    def countries(self, create: bool, extracted: list[Country] | None, **kwargs: object) -> None:
        if not create:
            return
        for member in {self.lead_country, *(extracted or [])}:
            PartnershipCountry.objects.get_or_create(partnership=self, country=member)


class AgreementFactory(factory.django.DjangoModelFactory[Agreement]):
    class Meta:
        model = Agreement

    partnership = factory.SubFactory(PartnershipFactory)
    title = "Memorandum of understanding"
    agreement_type = "mou"
    status = "draft"


class ParticipantFactory(factory.django.DjangoModelFactory[Participant]):
    class Meta:
        model = Participant

    partnership = factory.SubFactory(PartnershipFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = "funding"


class MilestoneFactory(factory.django.DjangoModelFactory[Milestone]):
    class Meta:
        model = Milestone

    partnership = factory.SubFactory(PartnershipFactory)
    workstream = "capacity"
    title = factory.Sequence(lambda n: f"Milestone {n}")
    due_on = datetime.date(2026, 6, 30)


class RiskFactory(factory.django.DjangoModelFactory[Risk]):
    class Meta:
        model = Risk

    partnership = factory.SubFactory(PartnershipFactory)
    title = factory.Sequence(lambda n: f"Risk {n}")
    likelihood = 3
    impact = 3


class SiteFactory(factory.django.DjangoModelFactory[Site]):
    class Meta:
        model = Site

    partnership = factory.SubFactory(PartnershipFactory)
    country = factory.SelfAttribute("partnership.lead_country")
    name = factory.Sequence(lambda n: f"Site {n}")
    planned_capacity_mw = Decimal("200")


class SitePhaseFactory(factory.django.DjangoModelFactory[SitePhase]):
    class Meta:
        model = SitePhase

    site = factory.SubFactory(SiteFactory)
    number = factory.Sequence(lambda n: n + 1)
    planned_mw = Decimal("100")


class PermitFactory(factory.django.DjangoModelFactory[Permit]):
    class Meta:
        model = Permit

    site = factory.SubFactory(SiteFactory)
    permit_type = "zoning"
    authority = "Municipality"


class SecurityControlFactory(factory.django.DjangoModelFactory[SecurityControl]):
    class Meta:
        model = SecurityControl

    site = factory.SubFactory(SiteFactory)
    control = "physical"


class CommitmentFactory(factory.django.DjangoModelFactory[Commitment]):
    class Meta:
        model = Commitment

    partnership = factory.SubFactory(PartnershipFactory)
    country = factory.SelfAttribute("partnership.lead_country")
    funder = factory.SubFactory(OrganisationFactory)
    side = "government"
    instrument = "equity"
    amount = Money("1000000", "USD")
    committed_on = factory.LazyAttribute(
        lambda c: None if c.status == "pledged" else datetime.date(2025, 6, 1)
    )
    status = "pledged"


class DisbursementFactory(factory.django.DjangoModelFactory[Disbursement]):
    class Meta:
        model = Disbursement

    commitment = factory.SubFactory(CommitmentFactory, status="committed")
    paid_on = datetime.date(2026, 1, 15)
    amount = Decimal("1000")
    reference = factory.Sequence(lambda n: f"REF-{n}")


class ExchangeRateFactory(factory.django.DjangoModelFactory[ExchangeRate]):
    class Meta:
        model = ExchangeRate

    currency = "AED"
    on = factory.Sequence(lambda n: datetime.date(2025, 1, 1) + datetime.timedelta(days=n))
    rate_to_usd = Decimal("0.2723")
    source = "Test"


class LocaleFactory(factory.django.DjangoModelFactory[Locale]):
    class Meta:
        model = Locale
        django_get_or_create = ("tag",)

    tag = "ar-AE"
    name = "Arabic (United Arab Emirates)"
    script = "Arab"
    direction = "rtl"


class RequirementFactory(factory.django.DjangoModelFactory[LocalizationRequirement]):
    class Meta:
        model = LocalizationRequirement

    partnership = factory.SubFactory(PartnershipFactory)
    country = factory.SelfAttribute("partnership.lead_country")
    locale = factory.SubFactory(LocaleFactory)
    title = factory.Sequence(lambda n: f"Requirement {n}")
    service_domain = "health"
    category = "language"


class ReportRunFactory(factory.django.DjangoModelFactory[ReportRun]):
    class Meta:
        model = ReportRun

    kind = "country"
    country = factory.LazyFunction(lambda: country("AE"))
    as_of = datetime.date(2026, 10, 31)
    language = "en"
