"""A seeded generator of N countries' worth of program data, for benchmarks.

Rows are written with ``bulk_create`` in a handful of statements per model (no per-row history:
this is benchmark data, labelled illustrative, with codes starting ``SC-``), so 200 countries load
in well under a minute on PostgreSQL.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from babel.core import get_global
from django.db import transaction
from djmoney.money import Money

from financing.models import Commitment, CommitmentStatus, Disbursement, Instrument, Side
from infrastructure.models import SITE_PATH, Permit, PermitType, Site, SitePhase, SiteStatus
from localization.models import (
    Locale,
    LocalizationRequirement,
    RequirementCategory,
    RequirementStatus,
    ServiceDomain,
)
from localization.services import locale_get_or_create
from openai_countries.models import Provenance
from partnerships.models import (
    STAGE_PATH,
    Country,
    Milestone,
    Organisation,
    OrganisationKind,
    Partnership,
    PartnershipCountry,
    Risk,
    Workstream,
)

SCALE_PREFIX = "SC-"
_BATCH = 2000
_START = datetime.date(2025, 1, 1)


@dataclass
class ScaleReport:
    countries: int = 0
    partnerships: int = 0
    sites: int = 0
    phases: int = 0
    permits: int = 0
    commitments: int = 0
    disbursements: int = 0
    requirements: int = 0
    milestones: int = 0
    risks: int = 0


def _locale_for(country: Country, cache: dict[str, Locale]) -> Locale:
    languages = get_global("territory_languages").get(country.iso2, {})
    for language in sorted(languages, key=lambda lang: -languages[lang]["population_percent"]):
        tag = f"{language}-{country.iso2}"
        if tag in cache:
            return cache[tag]
        try:
            cache[tag] = locale_get_or_create(tag=tag)
            return cache[tag]
        except Exception:  # noqa: S112 - CLDR lacks some pairs; try the next language
            continue
    cache.setdefault("en", locale_get_or_create(tag="en"))
    return cache["en"]


def _day(rng: random.Random, span_days: int = 900) -> datetime.date:
    return _START + datetime.timedelta(days=rng.randrange(span_days))


@transaction.atomic
def generate(*, countries: int, seed: int) -> ScaleReport:
    """Create ``countries`` countries' worth of partnerships, deterministically from ``seed``."""
    rng = random.Random(seed)  # noqa: S311 - reproducible benchmark data, not secrets
    pool = sorted(Country.objects.exclude(currency=""), key=lambda c: c.iso2)
    rng.shuffle(pool)
    chosen = pool[:countries]
    existing = set(
        Partnership.objects.filter(code__startswith=SCALE_PREFIX).values_list("code", flat=True)
    )
    chosen = [c for c in chosen if f"{SCALE_PREFIX}{c.iso2}" not in existing]
    report = ScaleReport(countries=len(chosen))
    if not chosen:
        return report

    governments = Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"Government of {c.name} (scale data)",
                kind=OrganisationKind.GOVERNMENT,
                home_country=c,
            )
            for c in chosen
        ],
        ignore_conflicts=True,
    )
    governments_by_country = {
        o.home_country_id: o
        for o in Organisation.objects.filter(name__endswith="(scale data)", home_country__in=chosen)
    }
    sponsor, _ = Organisation.objects.get_or_create(
        name="OpenAI (program sponsor)", defaults={"kind": OrganisationKind.SPONSOR}
    )
    del governments

    partnerships = Partnership.objects.bulk_create(
        [
            Partnership(
                code=f"{SCALE_PREFIX}{c.iso2}",
                title=f"{c.name} partnership (scale data)",
                lead_country=c,
                wave="scale_out",
                stage=rng.choice(STAGE_PATH),
                workstreams=[Workstream.CAPACITY, Workstream.CHATGPT],
                planned_investment=Money(Decimal(rng.randrange(5, 500)) * 10**7, "USD"),  # type: ignore[misc]
                provenance=Provenance.ILLUSTRATIVE,
                summary="Generated benchmark data; illustrative.",
            )
            for c in chosen
        ],
        batch_size=_BATCH,
    )
    PartnershipCountry.objects.bulk_create(
        [PartnershipCountry(partnership=p, country=p.lead_country) for p in partnerships],
        batch_size=_BATCH,
    )
    report.partnerships = len(partnerships)

    sites: list[Site] = []
    for p in partnerships:
        for n in range(rng.randint(2, 4)):
            sites.append(
                Site(
                    partnership=p,
                    country=p.lead_country,
                    name=f"{p.lead_country.name} site {n + 1}",
                    status=rng.choice(SITE_PATH),
                    planned_capacity_mw=Decimal(rng.randrange(20, 1000)),
                    target_pue=Decimal("1.1") + Decimal(rng.randrange(0, 40)) / 100,
                    renewable_share_pct=Decimal(rng.randrange(0, 101)),
                    latitude=Decimal(rng.uniform(-60, 70)).quantize(Decimal("0.01")),
                    longitude=Decimal(rng.uniform(-179, 179)).quantize(Decimal("0.01")),
                    provenance=Provenance.ILLUSTRATIVE,
                )
            )
    sites = Site.objects.bulk_create(sites, batch_size=_BATCH)
    report.sites = len(sites)

    phases: list[SitePhase] = []
    permits: list[Permit] = []
    for site in sites:
        operational = site.status == SiteStatus.OPERATIONAL
        for number in range(1, rng.randint(1, 3) + 1):
            planned = Decimal(rng.randrange(10, 300))
            phases.append(
                SitePhase(
                    site=site,
                    number=number,
                    planned_mw=planned,
                    energized_mw=planned if operational and number == 1 else Decimal("0"),
                    gpu_count=int(planned) * 400,
                    planned_ready_on=_day(rng, 1500),
                )
            )
        for permit_type in rng.sample(PermitType.values, 2):
            permits.append(
                Permit(
                    site=site,
                    permit_type=permit_type,
                    authority=f"{site.country.name} {permit_type} authority",
                    status="granted" if SITE_PATH.index(site.status) > 2 else "applied",
                )
            )
    report.phases = len(SitePhase.objects.bulk_create(phases, batch_size=_BATCH))
    report.permits = len(Permit.objects.bulk_create(permits, batch_size=_BATCH))

    commitments: list[Commitment] = []
    for p in partnerships:
        currency = p.lead_country.currency or "USD"
        for side in (Side.COMPANY, Side.GOVERNMENT, Side.GOVERNMENT, Side.OTHER):
            amount = Decimal(rng.randrange(10, 5000)) * 10**6
            status = rng.choice(
                [CommitmentStatus.PLEDGED, CommitmentStatus.COMMITTED, CommitmentStatus.DISBURSING]
            )
            disbursed = (amount * rng.randrange(1, 90) / 100).quantize(Decimal("0.01"))
            commitments.append(
                Commitment(
                    partnership=p,
                    country=p.lead_country,
                    funder=sponsor
                    if side == Side.COMPANY
                    else governments_by_country[p.lead_country_id],
                    side=side,
                    instrument=rng.choice(Instrument.values),
                    amount=Money(amount, "USD" if side == Side.COMPANY else currency),  # type: ignore[misc]
                    status=status,
                    disbursed=disbursed if status == CommitmentStatus.DISBURSING else Decimal(0),
                    committed_on=_day(rng) if status != CommitmentStatus.PLEDGED else None,
                    provenance=Provenance.ILLUSTRATIVE,
                )
            )
    commitments = Commitment.objects.bulk_create(commitments, batch_size=_BATCH)
    report.commitments = len(commitments)
    disbursements = [
        Disbursement(commitment=c, paid_on=_day(rng), amount=c.disbursed, reference=f"SC-{c.pk}")
        for c in commitments
        if c.disbursed > 0
    ]
    report.disbursements = len(Disbursement.objects.bulk_create(disbursements, batch_size=_BATCH))

    locales: dict[str, Locale] = {}
    requirements: list[LocalizationRequirement] = []
    milestones: list[Milestone] = []
    risks: list[Risk] = []
    for p in partnerships:
        locale = _locale_for(p.lead_country, locales)
        for n in range(rng.randint(6, 10)):
            requirements.append(
                LocalizationRequirement(
                    partnership=p,
                    country=p.lead_country,
                    locale=locale,
                    title=f"{locale.name}: requirement {n + 1}",
                    service_domain=rng.choice(ServiceDomain.values),
                    category=rng.choice(RequirementCategory.values),
                    priority=rng.randint(1, 5),
                    target_on=_day(rng, 1200),
                    status=rng.choice(
                        [s for s in RequirementStatus.values if s != RequirementStatus.LIVE]
                    ),
                )
            )
        for n in range(4):
            due = _day(rng, 1200)
            milestones.append(
                Milestone(
                    partnership=p,
                    workstream=rng.choice(Workstream.values),
                    title=f"Milestone {n + 1}",
                    due_on=due,
                    completed_on=due if rng.random() < 0.4 else None,
                )
            )
        for n in range(2):
            risks.append(
                Risk(
                    partnership=p,
                    title=f"Risk {n + 1}",
                    likelihood=rng.randint(1, 5),
                    impact=rng.randint(1, 5),
                )
            )
    report.requirements = len(
        LocalizationRequirement.objects.bulk_create(requirements, batch_size=_BATCH)
    )
    report.milestones = len(Milestone.objects.bulk_create(milestones, batch_size=_BATCH))
    report.risks = len(Risk.objects.bulk_create(risks, batch_size=_BATCH))
    return report
