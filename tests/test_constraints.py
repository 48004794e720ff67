"""Every database constraint: the good row is stored, each bad one is refused by the database
(nothing written) and by ``full_clean`` with a message a person can act on."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from djmoney.money import Money

from partnerships.models import (
    CountryRoleGrant,
    PartnershipCountry,
    ReportSubscription,
    StageSignOff,
)
from tests import factories as f
from tests.factories import country

D = datetime.date


@dataclass
class Case:
    constraint: str
    make: Callable[[], models.Model]
    bad: dict[str, Any] = field(default_factory=dict)
    # For uniqueness: build an unsaved duplicate of the saved good row.
    duplicate: Callable[[Any], models.Model] | None = None
    message: str | None = None  # when full_clean reports a field error instead
    # Values django-money cannot even hold in memory (unknown currency): written with a raw
    # UPDATE, which the database must refuse by the constraint's name.
    raw: bool = False

    def __str__(self) -> str:
        return self.constraint


def _grant(**kw: Any) -> CountryRoleGrant:
    user = f.UserFactory.create()
    defaults = {"user": user, "role": "liaison", "country": country("AE")}
    return CountryRoleGrant.objects.create(**(defaults | kw))


def _sign_off(**kw: Any) -> StageSignOff:
    defaults = {
        "partnership": f.PartnershipFactory.create(),
        "gate": "signed",
        "side": "government",
        "country": country("AE"),
        "signed_by": f.UserFactory.create(),
    }
    return StageSignOff.objects.create(**(defaults | kw))


UNKNOWN_CHOICE = "is not a valid choice"


def _token() -> Any:
    from partnerships.services.tokens import api_token_create

    return api_token_create(user=f.UserFactory.create(), name="script")[0]


def _subscription(**kw: Any) -> ReportSubscription:
    defaults = {"user": f.UserFactory.create(), "kind": "portfolio", "country": None}
    return ReportSubscription.objects.create(**(defaults | kw))


CASES = [
    # partnerships: reference data
    Case(
        "region_code_format",
        f.RegionFactory.create,
        {"code": "not a code"},
        message="Use 2-32 capital letters, digits and hyphens",
    ),
    Case(
        "country_currency_known", lambda: country("AE"), {"currency": "XYZ"}, message=UNKNOWN_CHOICE
    ),
    Case(
        "organisation_iati_id_unique",
        lambda: f.OrganisationFactory.create(iati_id="AE-GOV-1"),
        duplicate=lambda o: f.OrganisationFactory.build(iati_id=o.iati_id, home_country=None),
    ),
    # partnerships: partnership and its records
    Case("partnership_code_format", f.PartnershipFactory.create, {"code": "lower-case"}),
    Case(
        "partnership_stage_known",
        f.PartnershipFactory.create,
        {"stage": "dreaming"},
        message=UNKNOWN_CHOICE,
    ),
    Case(
        "partnership_health_override_has_reason",
        f.PartnershipFactory.create,
        {"health_override": "at_risk", "health_override_reason": ""},
    ),
    Case("partnership_hold_remembers_stage", f.PartnershipFactory.create, {"stage": "on_hold"}),
    Case(
        "partnership_planned_investment_not_negative",
        f.PartnershipFactory.create,
        {"planned_investment": Money("-1", "USD")},
    ),
    Case(
        "partnership_planned_investment_currency_known",
        lambda: f.PartnershipFactory.create(planned_investment=Money("10", "USD")),
        {"planned_investment_currency": "XYZ"},
        raw=True,
    ),
    Case(
        "partnership_planned_dates_ordered",
        f.PartnershipFactory.create,
        {"planned_start": D(2026, 1, 1), "planned_end": D(2025, 1, 1)},
    ),
    Case(
        "partnership_actual_dates_ordered",
        f.PartnershipFactory.create,
        {"actual_start": D(2026, 1, 1), "actual_end": D(2025, 1, 1)},
    ),
    Case(
        "partnership_country_once",
        lambda: PartnershipCountry.objects.get(partnership=f.PartnershipFactory.create()),
        duplicate=lambda pc: PartnershipCountry(partnership=pc.partnership, country=pc.country),
        message="already exists",
    ),
    Case(
        "participant_role_once",
        f.ParticipantFactory.create,
        duplicate=lambda p: f.ParticipantFactory.build(
            partnership=p.partnership, organisation=p.organisation, role=p.role
        ),
        message="already exists",
    ),
    Case("agreement_signed_has_date", f.AgreementFactory.create, {"status": "signed"}),
    Case(
        "risk_likelihood_1_5",
        f.RiskFactory.create,
        {"likelihood": 6},
        message="less than or equal to 5",
    ),
    Case(
        "risk_impact_1_5", f.RiskFactory.create, {"impact": 0}, message="greater than or equal to 1"
    ),
    Case(
        "stage_sign_off_once_per_side",
        _sign_off,
        duplicate=lambda s: StageSignOff(
            partnership=s.partnership,
            gate=s.gate,
            side=s.side,
            country=s.country,
            signed_by=f.UserFactory.create(),
        ),
        message="already exists",
    ),
    Case("stage_sign_off_government_names_country", _sign_off, {"country": None}),
    Case(
        "role_grant_active_once",
        _grant,
        duplicate=lambda g: CountryRoleGrant(user=g.user, role=g.role, country=g.country),
    ),
    Case("role_grant_liaison_has_country", _grant, {"country": None}),
    Case(
        "role_grant_global_role_has_no_country",
        lambda: _grant(role="program_manager", country=None),
        {"country": lambda: country("AE")},
    ),
    Case(
        "role_grant_revoked_after_granted",
        _grant,
        {"revoked_at": timezone.now() - datetime.timedelta(days=1)},
    ),
    Case(
        "report_run_once_per_scope",
        f.ReportRunFactory.create,
        duplicate=lambda r: f.ReportRunFactory.build(
            kind=r.kind, country=r.country, as_of=r.as_of, language=r.language
        ),
    ),
    Case("report_run_scope_matches_kind", f.ReportRunFactory.create, {"kind": "portfolio"}),
    Case("report_run_succeeded_has_file", f.ReportRunFactory.create, {"status": "succeeded"}),
    Case("api_token_hash_format", _token, {"key_hash": "plain-text-key"}),
    Case("report_subscription_scope", _subscription, {"country": lambda: country("AE")}),
    Case(
        "report_subscription_once",
        _subscription,
        duplicate=lambda s: ReportSubscription(user=s.user, kind="portfolio"),
        message="You already subscribe to this report.",
    ),
    Case(
        "report_subscription_once_per_country",
        lambda: _subscription(kind="country", country=country("AE")),
        duplicate=lambda s: ReportSubscription(user=s.user, kind="country", country=s.country),
        message="You already subscribe to this report.",
    ),
    # infrastructure
    Case(
        "site_name_per_partnership",
        f.SiteFactory.create,
        duplicate=lambda s: f.SiteFactory.build(partnership=s.partnership, name=s.name),
        message="already exists",
    ),
    Case("site_status_known", f.SiteFactory.create, {"status": "imagined"}, message=UNKNOWN_CHOICE),
    Case("site_hold_remembers_status", f.SiteFactory.create, {"status_before_hold": "permitting"}),
    Case(
        "site_capacity_not_negative",
        f.SiteFactory.create,
        {"planned_capacity_mw": Decimal("-1")},
        message="greater than or equal to 0",
    ),
    Case(
        "site_pue_at_least_one",
        f.SiteFactory.create,
        {"target_pue": Decimal("0.95")},
        message="1.0",
    ),
    Case(
        "site_renewable_share_percentage",
        f.SiteFactory.create,
        {"renewable_share_pct": Decimal("100.5")},
        message="less than or equal to 100",
    ),
    Case("site_latitude_range", f.SiteFactory.create, {"latitude": Decimal("91")}, message="90"),
    Case(
        "site_longitude_range", f.SiteFactory.create, {"longitude": Decimal("-181")}, message="-180"
    ),
    Case(
        "site_phase_number_once",
        f.SitePhaseFactory.create,
        duplicate=lambda p: f.SitePhaseFactory.build(site=p.site, number=p.number),
        message="already exists",
    ),
    Case(
        "site_phase_number_positive",
        f.SitePhaseFactory.create,
        {"number": 0},
        message="greater than or equal to 1",
    ),
    Case(
        "site_phase_planned_mw_not_negative",
        f.SitePhaseFactory.create,
        {"planned_mw": Decimal("-5")},
        message="greater than or equal to 0",
    ),
    Case(
        "site_phase_energized_mw_not_negative",
        f.SitePhaseFactory.create,
        {"energized_mw": Decimal("-5")},
        message="greater than or equal to 0",
    ),
    Case(
        "site_phase_energized_within_planned",
        f.SitePhaseFactory.create,
        {"energized_mw": Decimal("150")},
    ),
    Case(
        "site_phase_capex_not_negative",
        f.SitePhaseFactory.create,
        {"capex_estimate": Money("-1", "USD")},
    ),
    Case(
        "site_phase_capex_currency_known",
        lambda: f.SitePhaseFactory.create(capex_estimate=Money("1", "USD")),
        {"capex_estimate_currency": "XYZ"},
        raw=True,
    ),
    Case(
        "permit_decided_after_applied",
        f.PermitFactory.create,
        {"applied_on": D(2025, 5, 1), "decided_on": D(2025, 4, 1)},
    ),
    Case(
        "permit_expires_after_decided",
        f.PermitFactory.create,
        {"decided_on": D(2025, 5, 1), "expires_on": D(2025, 4, 1)},
    ),
    Case(
        "security_control_once_per_site",
        f.SecurityControlFactory.create,
        duplicate=lambda c: f.SecurityControlFactory.build(site=c.site, control=c.control),
        message="already exists",
    ),
    Case(
        "security_control_verified_has_reviewer",
        f.SecurityControlFactory.create,
        {"status": "verified"},
    ),
    # financing
    Case("commitment_amount_positive", f.CommitmentFactory.create, {"amount": Money("0", "USD")}),
    Case(
        "commitment_currency_known",
        f.CommitmentFactory.create,
        {"amount_currency": "XYZ"},
        raw=True,
    ),
    Case(
        "commitment_disbursed_not_negative",
        f.CommitmentFactory.create,
        {"disbursed": Decimal("-1")},
    ),
    Case(
        "commitment_status_follows_disbursed",
        lambda: f.CommitmentFactory.create(status="committed"),
        {"status": "fully_disbursed"},
    ),
    Case(
        "commitment_firm_has_date",
        lambda: f.CommitmentFactory.create(status="committed"),
        {"committed_on": None},
    ),
    Case(
        "commitment_disbursed_within_committed",
        f.CommitmentFactory.create,
        {"disbursed": Decimal("1000000.01")},
    ),
    Case(
        "commitment_status_known",
        f.CommitmentFactory.create,
        {"status": "hoped"},
        message=UNKNOWN_CHOICE,
    ),
    Case(
        "commitment_confirmation_is_government_side",
        lambda: f.CommitmentFactory.create(side="company"),
        {"government_confirmed_at": timezone.now()},
    ),
    Case(
        "disbursement_amount_positive",
        f.DisbursementFactory.create,
        {"amount": Decimal("0")},
        message="0.01",
    ),
    Case(
        "disbursement_reference_once",
        f.DisbursementFactory.create,
        duplicate=lambda d: f.DisbursementFactory.build(
            commitment=d.commitment, reference=d.reference
        ),
        message="already exists",
    ),
    Case(
        "exchange_rate_once_per_day",
        f.ExchangeRateFactory.create,
        duplicate=lambda r: f.ExchangeRateFactory.build(currency=r.currency, on=r.on),
        message="already exists",
    ),
    Case("exchange_rate_positive", f.ExchangeRateFactory.create, {"rate_to_usd": Decimal("0")}),
    Case(
        "exchange_rate_currency_known",
        f.ExchangeRateFactory.create,
        {"currency": "XYZ"},
        message=UNKNOWN_CHOICE,
    ),
    # localization
    Case(
        "locale_direction_known",
        f.LocaleFactory.create,
        {"direction": "up"},
        message=UNKNOWN_CHOICE,
    ),
    Case(
        "requirement_priority_1_5",
        f.RequirementFactory.create,
        {"priority": 6},
        message="less than or equal to 5",
    ),
    Case(
        "requirement_score_percentage",
        f.RequirementFactory.create,
        {"evaluation_score": Decimal("101"), "evaluated_on": D(2026, 1, 1)},
        message="less than or equal to 100",
    ),
    Case(
        "requirement_score_has_date",
        f.RequirementFactory.create,
        {"evaluation_score": Decimal("80")},
    ),
    Case(
        "requirement_status_known",
        f.RequirementFactory.create,
        {"status": "wished"},
        message=UNKNOWN_CHOICE,
    ),
    Case("requirement_live_is_signed_off", f.RequirementFactory.create, {"status": "live"}),
]

# Field-level uniqueness (duplicate codes) is a constraint too.
UNIQUE_FIELDS = [
    Case(
        "Partnership.code",
        f.PartnershipFactory.create,
        duplicate=lambda p: f.PartnershipFactory.build(code=p.code),
        message="already exists",
    ),
    Case(
        "Region.code",
        f.RegionFactory.create,
        duplicate=lambda r: f.RegionFactory.build(code=r.code),
        message="already exists",
    ),
    Case(
        "Organisation.name",
        f.OrganisationFactory.create,
        duplicate=lambda o: f.OrganisationFactory.build(name=o.name),
        message="already exists",
    ),
    Case(
        "Locale.tag",
        f.LocaleFactory.create,
        duplicate=lambda loc: type(loc)(tag=loc.tag, name="Copy"),
        message="already exists",
    ),
]


def _constraint(model: type[models.Model], name: str) -> Any:
    return next(c for c in model._meta.constraints if c.name == name)


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES + UNIQUE_FIELDS, ids=str)
def test_constraint_refuses_bad_rows(case: Case) -> None:
    good = case.make()
    model = type(good)
    good.full_clean()  # the good row is valid
    rows = model._base_manager.count()

    if case.raw:
        with pytest.raises(IntegrityError) as refused, transaction.atomic():
            model._base_manager.filter(pk=good.pk).update(**case.bad)
        assert case.constraint in str(refused.value)
        return
    if case.duplicate is not None:
        bad = case.duplicate(good)
        with pytest.raises(ValidationError) as error:
            bad.full_clean()
        with pytest.raises(IntegrityError), transaction.atomic():
            bad.save()
        assert model._base_manager.count() == rows
    else:
        stored = model._base_manager.filter(pk=good.pk).values(*case_fields(case)).get()
        for name, value in case.bad.items():
            setattr(good, name, value() if callable(value) else value)
        with pytest.raises(ValidationError) as error:
            good.full_clean()
        with pytest.raises(IntegrityError), transaction.atomic():
            good.save()
        after = model._base_manager.filter(pk=good.pk).values(*case_fields(case)).get()
        assert after == stored, "the refused change was written"

    expected = case.message
    if expected is None:
        expected = str(_constraint(model, case.constraint).violation_error_message)
    assert expected in _messages(error.value)


def case_fields(case: Case) -> list[str]:
    return list(case.bad)


def test_every_constraint_has_a_case() -> None:
    declared = {
        c.name
        for app in ("partnerships", "infrastructure", "financing", "localization")
        for model in apps.get_app_config(app).get_models()
        for c in model._meta.constraints
    }
    covered = {case.constraint for case in CASES}
    assert declared - covered == set(), "constraints without a test case"
    assert covered - declared == set(), "test cases for constraints that do not exist"
