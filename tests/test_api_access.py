"""Access control on every API endpoint, through the generic bundle (openai_countries.testing)."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

import pytest
from django.utils import timezone

from openai_countries.api.urls import router
from openai_countries.scoping import is_country_scoped
from openai_countries.testing import EndpointCase, client_for, grant_change_on, run_bundle
from partnerships.models import (
    Country,
    Partnership,
    ReportRun,
    Role,
    StageSignOff,
    StageTransition,
)
from partnerships.services.roles import country_grant_role
from tests import factories as f

pytestmark = pytest.mark.django_db
_RUNS = itertools.count()  # report runs are unique per scope and date


def partnership_in(country: Country) -> Partnership:
    return f.PartnershipFactory.create(lead_country=country)


def site_in(country: Country) -> Any:
    return f.SiteFactory.create(partnership=partnership_in(country))


def commitment_in(country: Country, **kwargs: Any) -> Any:
    return f.CommitmentFactory.create(partnership=partnership_in(country), **kwargs)


def requirement_in(country: Country) -> Any:
    return f.RequirementFactory.create(partnership=partnership_in(country))


CASES = [
    EndpointCase(
        "partnership",
        partnership_in,
        create=lambda c: {"code": f"NEW-{c.iso2}", "title": "New", "lead_country": c.iso2},
        update={"title": "Renamed"},
        actions={
            "advance": {"to_stage": "scoping"},
            "sign_off": {"gate": "signed", "side": "government"},
            "hold": {"reason": "x"},
        },
    ),
    EndpointCase(
        "participant",
        lambda c: f.ParticipantFactory.create(partnership=partnership_in(c)),
        create=lambda c: {
            "partnership": partnership_in(c).pk,
            "organisation": f.OrganisationFactory.create().pk,
            "role": "funding",
        },
        update={"lead_contact": "Someone"},
    ),
    EndpointCase(
        "agreement",
        lambda c: f.AgreementFactory.create(partnership=partnership_in(c)),
        create=lambda c: {
            "partnership": partnership_in(c).pk,
            "title": "MoU",
            "agreement_type": "mou",
            "status": "draft",
        },
        update={"title": "Renamed"},
    ),
    EndpointCase(
        "milestone",
        lambda c: f.MilestoneFactory.create(partnership=partnership_in(c)),
        create=lambda c: {
            "partnership": partnership_in(c).pk,
            "workstream": "capacity",
            "title": "New",
            "due_on": "2026-12-31",
        },
        update={"title": "Renamed"},
    ),
    EndpointCase(
        "risk",
        lambda c: f.RiskFactory.create(partnership=partnership_in(c)),
        create=lambda c: {
            "partnership": partnership_in(c).pk,
            "title": "New",
            "likelihood": 2,
            "impact": 3,
        },
        update={"title": "Renamed"},
    ),
    EndpointCase(
        "stagetransition",
        lambda c: StageTransition.objects.create(
            partnership=partnership_in(c), to_status="prospect"
        ),
        deletable=False,
    ),
    EndpointCase(
        "stagesignoff",
        lambda c: StageSignOff.objects.create(
            partnership=partnership_in(c),
            gate="signed",
            side="government",
            country=c,
            signed_by=f.UserFactory.create(),
        ),
        deletable=False,
    ),
    EndpointCase(
        "reportrun",
        lambda c: ReportRun.objects.create(
            kind="country",
            country=c,
            as_of=datetime.date(2026, 10, 31) - datetime.timedelta(days=next(_RUNS)),
            language="en",
        ),
        deletable=False,
    ),
    EndpointCase(
        "site",
        site_in,
        create=lambda c: {
            "partnership": partnership_in(c).pk,
            "country": c.iso2,
            "name": "New campus",
            "planned_capacity_mw": "100",
        },
        update={"locality": "Elsewhere"},
        actions={"advance": {"to_status": "site_selection"}, "hold": {"reason": "x"}},
    ),
    EndpointCase(
        "sitephase",
        lambda c: f.SitePhaseFactory.create(site=site_in(c)),
        create=lambda c: {"site": site_in(c).pk, "number": 7, "planned_mw": "10"},
        update={"gpu_count": 100},
    ),
    EndpointCase(
        "permit",
        lambda c: f.PermitFactory.create(site=site_in(c)),
        create=lambda c: {"site": site_in(c).pk, "permit_type": "zoning", "authority": "City"},
        update={"reference": "Z-1"},
    ),
    EndpointCase(
        "securitycontrol",
        lambda c: f.SecurityControlFactory.create(site=site_in(c)),
        create=lambda c: {"site": site_in(c).pk, "control": "access"},
        update={"evidence": "Audit"},
    ),
    EndpointCase(
        "sitestatustransition",
        lambda c: site_in(c).status_transitions.create(to_status="announced"),
        deletable=False,
    ),
    EndpointCase(
        "commitment",
        commitment_in,
        create=lambda c: {
            "partnership": partnership_in(c).pk,
            "country": c.iso2,
            "funder": f.OrganisationFactory.create().pk,
            "side": "government",
            "instrument": "grant",
            "amount": "100",
            "amount_currency": "USD",
        },
        update={"description": "Notes"},
        actions={
            "confirm": {},
            "commit": {},
            "disburse": {"paid_on": "2026-01-01", "amount": "1", "reference": "X"},
        },
    ),
    EndpointCase(
        "disbursement",
        lambda c: f.DisbursementFactory.create(commitment=commitment_in(c, status="committed")),
        deletable=False,
    ),
    EndpointCase(
        "commitmentstatustransition",
        lambda c: commitment_in(c).status_transitions.create(to_status="pledged"),
        deletable=False,
    ),
    EndpointCase(
        "localizationrequirement",
        requirement_in,
        create=lambda c: {
            "partnership": partnership_in(c).pk,
            "country": c.iso2,
            "locale": f.LocaleFactory.create().tag,
            "title": "New",
            "service_domain": "health",
            "category": "language",
        },
        update={"title": "Renamed"},
        actions={"sign_off": {}, "transition": {"to_status": "accepted"}},
    ),
    EndpointCase(
        "requirementstatustransition",
        lambda c: requirement_in(c).status_transitions.create(to_status="proposed"),
        deletable=False,
    ),
]

REFERENCE_ENDPOINTS = {"region", "country", "organisation", "exchangerate", "locale", "token"}


@pytest.fixture
def people(admin_user: Any, make_liaison: Any, manager: Any, ae: Any, no: Any) -> dict[str, Any]:
    return {
        "liaison": make_liaison(ae),
        "outsider": f.UserFactory.create(username="outsider"),
        "manager": manager,
        "country_manager": grant_change_on(f.UserFactory.create(username="ae-manager"), ae),
    }


@pytest.mark.parametrize("case", CASES, ids=str)
def test_endpoint_access(case: EndpointCase, people: dict[str, Any], ae: Any, no: Any) -> None:
    run_bundle(case, own=ae, other=no, **people)


def test_every_scoped_endpoint_has_a_bundle() -> None:
    declared = {case.basename for case in CASES}
    for _prefix, viewset, basename in router.registry:
        queryset = getattr(viewset, "queryset", None)
        if queryset is not None and is_country_scoped(queryset.model):
            assert basename in declared, f"{basename} has no access bundle"
        else:
            assert basename in REFERENCE_ENDPOINTS, f"{basename}: declare it scoped or reference"


def test_every_country_scoped_model_has_an_endpoint() -> None:
    from django.apps import apps

    querysets = [getattr(viewset, "queryset", None) for _prefix, viewset, _name in router.registry]
    exposed = {queryset.model for queryset in querysets if queryset is not None}
    missing = [
        model._meta.label
        for app in ("partnerships", "infrastructure", "financing", "localization")
        for model in apps.get_app_config(app).get_models()
        if is_country_scoped(model)
        and model not in exposed
        and model._meta.model_name != "partnershipcountry"  # exposed as Partnership.countries
        # Derived figures kept for the dashboards (financing.rollups, partnerships.rollups),
        # not resources: the rows they sum have their endpoints.
        and model._meta.model_name
        not in {"countrycofinancing", "countryfigures", "partnershipsignals"}
    ]
    assert missing == []


@pytest.mark.parametrize("basename", sorted(REFERENCE_ENDPOINTS - {"token"}))
def test_reference_data_is_readable_by_all_and_written_by_administrators(
    basename: str, people: dict[str, Any], admin_user: Any
) -> None:
    from django.urls import reverse

    url = reverse(f"{basename}-list")
    assert client_for(None).get(url).status_code == 401
    assert client_for(people["outsider"]).get(url).status_code == 200
    assert client_for(people["liaison"]).post(url, {}).status_code == 403
    administrator = f.UserFactory.create(username="administrator")
    country_grant_role(user=administrator, role=Role.ADMINISTRATOR, by=admin_user)
    administrator = type(administrator).objects.get(pk=administrator.pk)
    # Administrators may add reference data (an empty body is refused field by field); nobody
    # adds countries: all ISO 3166-1 countries are loaded already.
    expected = 403 if basename == "country" else 400
    assert client_for(administrator).post(url, {}).status_code == expected


class TestLiaisonActions:
    def test_confirm_own_government_figures_only(
        self, people: dict[str, Any], ae: Any, no: Any
    ) -> None:
        liaison = client_for(people["liaison"])
        own, foreign = commitment_in(ae), commitment_in(no)
        response = liaison.post(f"/api/v1/commitments/{own.pk}/confirm/")
        assert response.status_code == 200, response.content
        assert response.json()["government_confirmed_by"] == people["liaison"].pk
        assert liaison.post(f"/api/v1/commitments/{foreign.pk}/confirm/").status_code == 404
        foreign.refresh_from_db()
        assert foreign.government_confirmed_at is None

    def test_sign_off_the_government_side_of_a_gate(self, people: dict[str, Any], ae: Any) -> None:
        partnership = f.PartnershipFactory.create(lead_country=ae, stage="negotiating")
        response = client_for(people["liaison"]).post(
            f"/api/v1/partnerships/{partnership.pk}/sign-off/",
            {"gate": "signed", "side": "government", "comment": "Cabinet approved"},
        )
        assert response.status_code == 201, response.content
        assert response.json()["country"] == "AE"
        response = client_for(people["liaison"]).post(
            f"/api/v1/partnerships/{partnership.pk}/sign-off/",
            {"gate": "signed", "side": "program"},
        )
        assert response.status_code == 400
        assert "program manager" in response.json()["non_field_errors"][0]

    def test_sign_off_a_requirement(self, people: dict[str, Any], ae: Any) -> None:
        requirement = f.RequirementFactory.create(
            partnership=partnership_in(ae), status="in_review"
        )
        response = client_for(people["liaison"]).post(
            f"/api/v1/requirements/{requirement.pk}/sign-off/", {"comment": "Tested"}
        )
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "live"

    def test_liaisons_cannot_move_stages_or_change_figures(
        self, people: dict[str, Any], ae: Any
    ) -> None:
        liaison = client_for(people["liaison"])
        partnership = partnership_in(ae)
        assert (
            liaison.post(
                f"/api/v1/partnerships/{partnership.pk}/advance/", {"to_stage": "scoping"}
            ).status_code
            == 403
        )
        company = commitment_in(ae, side="company")
        assert (
            liaison.patch(f"/api/v1/commitments/{company.pk}/", {"amount": "1"}).status_code == 403
        )
        assert liaison.delete(f"/api/v1/partnerships/{partnership.pk}/").status_code == 403
        assert Partnership.objects.filter(pk=partnership.pk, stage="prospect").exists()


class TestGrantsTakeEffectAtOnce:
    def test_a_revoked_liaison_is_refused_on_the_next_request(
        self, people: dict[str, Any], admin_user: Any, ae: Any
    ) -> None:
        from partnerships.services.roles import country_revoke_role
        from partnerships.services.tokens import api_token_create

        liaison = people["liaison"]
        partnership_in(ae)
        _token, key = api_token_create(user=liaison, name="script")
        session = client_for(None)
        session.force_login(liaison)
        assert session.get("/api/v1/partnerships/").status_code == 200
        assert (
            client_for(None)
            .get("/api/v1/partnerships/", HTTP_AUTHORIZATION=f"Token {key}")
            .status_code
            == 200
        )
        country_revoke_role(user=liaison, role=Role.LIAISON, country=ae, by=admin_user)
        assert session.get("/api/v1/partnerships/").status_code == 403
        assert (
            client_for(None)
            .get("/api/v1/partnerships/", HTTP_AUTHORIZATION=f"Token {key}")
            .status_code
            == 403
        )

    def test_a_deactivated_user_loses_session_and_token(
        self, people: dict[str, Any], ae: Any
    ) -> None:
        from partnerships.services.tokens import api_token_create

        liaison = people["liaison"]
        _token, key = api_token_create(user=liaison, name="script")
        session = client_for(None)
        session.force_login(liaison)
        type(liaison).objects.filter(pk=liaison.pk).update(is_active=False)
        assert session.get("/api/v1/partnerships/").status_code == 401
        assert (
            client_for(None)
            .get("/api/v1/partnerships/", HTTP_AUTHORIZATION=f"Token {key}")
            .status_code
            == 401
        )


def test_denied_cross_country_attempts_are_audited(people: dict[str, Any], no: Any) -> None:
    from partnerships.models import AccessEvent

    foreign = partnership_in(no)
    assert (
        client_for(people["liaison"]).get(f"/api/v1/partnerships/{foreign.pk}/").status_code == 404
    )
    event = AccessEvent.objects.get(kind="denied")
    assert (event.username, event.allowed) == (people["liaison"].username, False)
    assert f"partnerships.Partnership {foreign.pk}" in event.target
    assert event.at <= timezone.now()
    # a missing id is a plain 404, not an attempt on another country
    assert client_for(people["liaison"]).get("/api/v1/partnerships/999999/").status_code == 404
    assert AccessEvent.objects.filter(kind="denied").count() == 1
