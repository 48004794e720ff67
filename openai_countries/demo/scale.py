"""A seeded generator of N countries' worth of program data, for benchmarks.

Each country gets a partnership with about 11 sites (phases and permits), 250 commitments with
about 1,000 disbursements, 100 localization requirements, 20 milestones and 10 risks: at 200
countries that is the volume the performance targets are measured at (2,000+ sites, 50,000
commitments, 200,000 disbursements, 20,000 requirements). Rows are written with ``bulk_create``,
a few countries at a time so memory stays flat, without per-row history: this is benchmark data,
labelled illustrative, with partnership codes ``SC-<ISO>``.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, fields
from decimal import Decimal

from babel.core import get_global
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from djmoney.money import Money

from financing.models import (
    Commitment,
    CommitmentStatus,
    Disbursement,
    ExchangeRate,
    Instrument,
    Side,
)
from infrastructure.models import SITE_PATH, Permit, PermitType, Site, SitePhase, SiteStatus
from localization.models import (
    Locale,
    LocalizationRequirement,
    RequirementCategory,
    RequirementStatus,
    ServiceDomain,
)
from localization.services import locale_get_or_create
from openai_countries.demo import program
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
SCALE_ORGANISATION_SUFFIX = "(scale data)"
SITES_PER_COUNTRY = (10, 12)
COMMITMENTS_PER_COUNTRY = 250
DISBURSEMENTS_PER_COMMITMENT = (4, 6)
REQUIREMENTS_PER_COUNTRY = 100
MILESTONES_PER_COUNTRY = 20
RISKS_PER_COUNTRY = 10
_COUNTRIES_PER_CHUNK = 10
_BATCH = 5000
_START = datetime.date(2025, 1, 1)
_SIDES = (Side.COMPANY, Side.GOVERNMENT, Side.GOVERNMENT, Side.OTHER)
# Each local currency gets an illustrative USD rate on these days, unless it has one already.
_RATE_DAYS = (_START, datetime.date(2026, 1, 1))


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

    def add(self, other: ScaleReport) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def _day(rng: random.Random, span_days: int = 900) -> datetime.date:
    return _START + datetime.timedelta(days=rng.randrange(span_days))


class _Generator:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.locales: dict[str, Locale] = {}
        self.sponsor, _ = Organisation.objects.get_or_create(
            name="OpenAI (program sponsor)", defaults={"kind": OrganisationKind.SPONSOR}
        )

    def locale_for(self, country: Country) -> Locale:
        """The country's most spoken language with a CLDR locale for it, else English."""
        languages = get_global("territory_languages").get(country.iso2, {})
        for language in sorted(languages, key=lambda lang: -languages[lang]["population_percent"]):
            tag = f"{language}-{country.iso2}"
            if tag not in self.locales:
                try:
                    self.locales[tag] = locale_get_or_create(tag=tag)
                except ValidationError:  # CLDR lacks this pair; try the next language
                    continue
            return self.locales[tag]
        if "en" not in self.locales:
            self.locales["en"] = locale_get_or_create(tag="en")
        return self.locales["en"]

    def rates(self, chosen: list[Country]) -> None:
        """An illustrative rate for each local currency of ``chosen`` that has none: without
        one, a country's government funding would be left out of every USD figure."""
        currencies = {c.currency for c in chosen if c.currency and c.currency != "USD"}
        known = set(
            ExchangeRate.objects.filter(currency__in=currencies).values_list("currency", flat=True)
        )
        rates = []
        for currency in sorted(currencies - known):
            rng = random.Random(f"{self.seed}:rate:{currency}")  # noqa: S311 - benchmark data
            usd = Decimal(10 ** rng.uniform(-4.5, 0.5))
            for n, on in enumerate(_RATE_DAYS):
                drift = Decimal(1 + rng.uniform(-0.08, 0.08)) if n else Decimal(1)
                rate = (usd * drift).quantize(Decimal("0.0000001"))
                rates.append(
                    ExchangeRate(
                        currency=currency, on=on, rate_to_usd=rate, source=program.RATE_SOURCE
                    )
                )
        ExchangeRate.objects.bulk_create(rates)

    def rng(self, country: Country) -> random.Random:
        """One stream per country: its data depends on the seed alone, not on what came before."""
        return random.Random(f"{self.seed}:{country.iso2}")  # noqa: S311 - benchmark data

    def chunk(self, chosen: list[Country]) -> ScaleReport:
        report = ScaleReport(countries=len(chosen))
        rngs = {c.pk: self.rng(c) for c in chosen}
        self.rates(chosen)
        Organisation.objects.bulk_create(
            [
                Organisation(
                    name=f"Government of {c.name} {SCALE_ORGANISATION_SUFFIX}",
                    kind=OrganisationKind.GOVERNMENT,
                    home_country=c,
                )
                for c in chosen
            ],
            ignore_conflicts=True,
        )
        governments = {
            o.home_country_id: o
            for o in Organisation.objects.filter(
                name__endswith=SCALE_ORGANISATION_SUFFIX, home_country__in=chosen
            )
        }
        partnerships = Partnership.objects.bulk_create(
            [
                Partnership(
                    code=f"{SCALE_PREFIX}{c.iso2}",
                    title=f"{c.name} partnership (scale data)",
                    lead_country=c,
                    wave="scale_out",
                    stage=rngs[c.pk].choice(STAGE_PATH),
                    workstreams=[Workstream.CAPACITY, Workstream.CHATGPT],
                    planned_investment=Money(Decimal(rngs[c.pk].randrange(5, 500)) * 10**8, "USD"),  # type: ignore[misc]
                    provenance=Provenance.ILLUSTRATIVE,
                    summary="Generated benchmark data; illustrative.",
                )
                for c in chosen
            ]
        )
        PartnershipCountry.objects.bulk_create(
            [PartnershipCountry(partnership=p, country=p.lead_country) for p in partnerships]
        )
        report.partnerships = len(partnerships)

        sites: list[Site] = []
        for p in partnerships:
            rng = rngs[p.lead_country_id]
            sites += [
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
                for n in range(rng.randint(*SITES_PER_COUNTRY))
            ]
        sites = Site.objects.bulk_create(sites, batch_size=_BATCH)
        report.sites = len(sites)
        phases, permits = [], []
        for site in sites:
            rng = rngs[site.country_id]
            operational = site.status == SiteStatus.OPERATIONAL
            for number in range(1, rng.randint(1, 3) + 1):
                planned = Decimal(rng.randrange(10, 300))
                phases.append(
                    SitePhase(
                        site=site,
                        number=number,
                        planned_mw=planned,
                        energized_mw=planned if operational and number == 1 else Decimal(0),
                        gpu_count=int(planned) * 400,
                        planned_ready_on=_day(rng, 1500),
                    )
                )
            leaving_permitting = SITE_PATH.index(site.status) > SITE_PATH.index("permitting")
            for permit_type in rng.sample(PermitType.values, 2):
                permits.append(
                    Permit(
                        site=site,
                        permit_type=permit_type,
                        authority=f"{site.country.name} {permit_type} authority",
                        status="granted" if leaving_permitting else "applied",
                    )
                )
        report.phases = len(SitePhase.objects.bulk_create(phases, batch_size=_BATCH))
        report.permits = len(Permit.objects.bulk_create(permits, batch_size=_BATCH))

        commitments: list[Commitment] = []
        payments: list[tuple[int, Decimal]] = []  # (number of payments, each payment's amount)
        for p in partnerships:
            rng = rngs[p.lead_country_id]
            currency = p.lead_country.currency or "USD"
            for n in range(COMMITMENTS_PER_COUNTRY):
                side = _SIDES[n % len(_SIDES)]
                if n % 10 == 0:
                    status = CommitmentStatus.PLEDGED
                elif rng.random() < 0.9:
                    status = CommitmentStatus.DISBURSING
                else:
                    status = CommitmentStatus.COMMITTED
                amount = Decimal(rng.randrange(10, 5000)) * 10**5
                parts, share = 0, Decimal(0)
                if status == CommitmentStatus.DISBURSING:
                    # Each payment is a small share, so the total stays below the commitment.
                    parts = rng.randint(*DISBURSEMENTS_PER_COMMITMENT)
                    share = (amount / (parts * 4)).quantize(Decimal("0.01"))
                payments.append((parts, share))
                commitments.append(
                    Commitment(
                        partnership=p,
                        country=p.lead_country,
                        funder=self.sponsor
                        if side == Side.COMPANY
                        else governments[p.lead_country_id],
                        side=side,
                        instrument=rng.choice(Instrument.values),
                        amount=Money(amount, "USD" if side == Side.COMPANY else currency),  # type: ignore[misc]
                        disbursed=share * parts,
                        status=status,
                        committed_on=_day(rng) if status != CommitmentStatus.PLEDGED else None,
                        provenance=Provenance.ILLUSTRATIVE,
                    )
                )
        commitments = Commitment.objects.bulk_create(commitments, batch_size=_BATCH)
        report.commitments = len(commitments)
        disbursements = [
            Disbursement(
                commitment=c,
                paid_on=_day(rngs[c.country_id]),
                amount=share,
                reference=f"SC-{c.pk}-{n}",
            )
            for c, (parts, share) in zip(commitments, payments, strict=True)
            for n in range(parts)
        ]
        report.disbursements = len(
            Disbursement.objects.bulk_create(disbursements, batch_size=_BATCH)
        )

        requirements, milestones, risks = [], [], []
        not_live = [s for s in RequirementStatus.values if s != RequirementStatus.LIVE]
        for p in partnerships:
            rng = rngs[p.lead_country_id]
            locale = self.locale_for(p.lead_country)
            for n in range(REQUIREMENTS_PER_COUNTRY):
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
                        status=rng.choice(not_live),
                    )
                )
            for n in range(MILESTONES_PER_COUNTRY):
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
            risks += [
                Risk(
                    partnership=p,
                    title=f"Risk {n + 1}",
                    likelihood=rng.randint(1, 5),
                    impact=rng.randint(1, 5),
                )
                for n in range(RISKS_PER_COUNTRY)
            ]
        report.requirements = len(
            LocalizationRequirement.objects.bulk_create(requirements, batch_size=_BATCH)
        )
        report.milestones = len(Milestone.objects.bulk_create(milestones, batch_size=_BATCH))
        report.risks = len(Risk.objects.bulk_create(risks, batch_size=_BATCH))
        return report


def generate(*, countries: int, seed: int) -> ScaleReport:
    """Create ``countries`` countries' worth of data, deterministically from ``seed``.

    Countries already generated are skipped, so asking again for the same size adds nothing.
    Each chunk of countries is its own transaction.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible benchmark data, not secrets
    pool = sorted(Country.objects.all(), key=lambda c: c.iso2)
    rng.shuffle(pool)
    existing = set(
        Partnership.objects.filter(code__startswith=SCALE_PREFIX).values_list("code", flat=True)
    )
    chosen = [c for c in pool[:countries] if f"{SCALE_PREFIX}{c.iso2}" not in existing]
    report = ScaleReport()
    generator = _Generator(seed)
    for start in range(0, len(chosen), _COUNTRIES_PER_CHUNK):
        with transaction.atomic():
            report.add(generator.chunk(chosen[start : start + _COUNTRIES_PER_CHUNK]))
    # bulk_create sends no signals: say so to the dashboard cache and kept figures ourselves.
    from financing.rollups import mark_all_stale
    from partnerships import rollups
    from partnerships.dashboards import dashboards_invalidate

    mark_all_stale()
    rollups.mark_all_stale()
    dashboards_invalidate()
    if report.countries and connection.vendor == "postgresql":
        # Fresh statistics, or the planner keeps estimating the tables as they were before
        # the load and picks plans for a few hundred rows (a backward scan of 200,000 rows).
        # VACUUM too where it may run (not inside a transaction): it marks the new pages
        # all-visible, so counts read from an index need not visit the table.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    return report
