"""Bad input to every writable endpoint: a 400 naming the field (or the rule), nothing written,
never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from openai_countries.testing import client_for
from tests import factories as f
from tests.test_api_access import CASES

pytestmark = pytest.mark.django_db
BY_NAME = {case.basename: case for case in CASES}
LONG = "x" * 5000

# (endpoint, changes to a valid create payload, the key the 400 must name)
BAD_CREATES: list[tuple[str, dict[str, Any], str]] = [
    ("partnership", {"code": "not a code"}, "code"),
    ("partnership", {"title": LONG}, "title"),
    ("partnership", {"lead_country": "XX"}, "lead_country"),
    ("partnership", {"lead_country": 7}, "lead_country"),
    (
        "partnership",
        {"planned_investment": "-1", "planned_investment_currency": "USD"},
        "planned_investment",
    ),
    (
        "partnership",
        {"planned_investment": "lots", "planned_investment_currency": "USD"},
        "planned_investment",
    ),
    (
        "partnership",
        {"planned_investment": "10", "planned_investment_currency": "XYZ"},
        "planned_investment_currency",
    ),
    ("partnership", {"planned_investment": "10"}, "planned_investment_currency"),
    (
        "partnership",
        {"planned_start": "2026-05-01", "planned_end": "2026-01-01"},
        "non_field_errors",
    ),
    ("partnership", {"planned_start": 20260101}, "planned_start"),
    ("partnership", {"workstreams": ["moonshots"]}, "workstreams"),
    ("partnership", {"stage": "operational"}, "stage"),
    ("partnership", {"surprise": 1}, "surprise"),
    ("participant", {"role": "boss"}, "role"),
    ("participant", {"organisation": 999999}, "organisation"),
    ("agreement", {"status": "signed"}, "non_field_errors"),
    ("agreement", {"signed_on": "yesterday"}, "signed_on"),
    ("milestone", {"due_on": "2026-13-45"}, "due_on"),
    ("milestone", {"workstream": "vibes"}, "workstream"),
    ("risk", {"likelihood": 0}, "likelihood"),
    ("risk", {"impact": "high"}, "impact"),
    ("site", {"planned_capacity_mw": "-5"}, "planned_capacity_mw"),
    ("site", {"target_pue": "0.8"}, "target_pue"),
    ("site", {"renewable_share_pct": "140"}, "renewable_share_pct"),
    ("site", {"latitude": "91"}, "latitude"),
    ("site", {"country": "ZZ"}, "country"),
    ("site", {"name": LONG}, "name"),
    ("sitephase", {"energized_mw": "50"}, "non_field_errors"),
    ("sitephase", {"capex_estimate": "-1", "capex_estimate_currency": "USD"}, "capex_estimate"),
    ("permit", {"applied_on": "2026-05-01", "decided_on": "2026-01-01"}, "non_field_errors"),
    ("permit", {"status": "bribed"}, "status"),
    ("securitycontrol", {"status": "verified"}, "non_field_errors"),
    ("commitment", {"amount": "-5"}, "amount"),
    ("commitment", {"amount": "0"}, "amount"),
    ("commitment", {"amount": "twelve"}, "amount"),
    ("commitment", {"amount_currency": "XYZ"}, "amount_currency"),
    ("commitment", {"country": "ZZ"}, "country"),
    ("commitment", {"partnership": 999999}, "partnership"),
    ("commitment", {"side": "both"}, "side"),
    ("commitment", {"status": "fully_disbursed"}, "status"),
    ("commitment", {"disbursed": "5"}, "disbursed"),
    ("localizationrequirement", {"locale": "xx-YY"}, "locale"),
    ("localizationrequirement", {"priority": 9}, "priority"),
    (
        "localizationrequirement",
        {"evaluation_score": "101", "evaluated_on": "2026-01-01"},
        "evaluation_score",
    ),
    ("localizationrequirement", {"evaluation_score": "80"}, "non_field_errors"),
]


def _id(item: tuple[str, dict[str, Any], str]) -> str:
    return f"{item[0]}-{'-'.join(item[1])}"


@pytest.mark.parametrize(
    ("basename", "changes", "key"), BAD_CREATES, ids=[_id(i) for i in BAD_CREATES]
)
def test_bad_create_is_a_400_naming_the_problem(
    basename: str, changes: dict[str, Any], key: str, manager: Any, ae: Any
) -> None:
    case = BY_NAME[basename]
    assert case.create is not None
    payload = {**case.create(ae), **changes}
    model = type(case.make(ae))
    before = model._base_manager.count()
    response = client_for(manager).post(reverse(f"{basename}-list"), payload, format="json")
    assert response.status_code == 400, response.content[:500]
    assert key in response.json(), response.json()
    assert model._base_manager.count() == before


@pytest.mark.parametrize("body", [[1, 2], "text", 7])
def test_a_body_that_is_not_an_object(body: Any, manager: Any) -> None:
    response = client_for(manager).post("/api/v1/partnerships/", body, format="json")
    assert response.status_code == 400


def test_malformed_json(manager: Any) -> None:
    response = client_for(manager).generic(
        "POST", "/api/v1/partnerships/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400


BAD_ACTIONS = [
    ("partnerships", "advance", {"to_stage": "signed"}, "non_field_errors"),
    ("partnerships", "advance", {"to_stage": "dreaming"}, "to_stage"),
    ("partnerships", "hold", {}, "non_field_errors"),
    ("partnerships", "sign-off", {"gate": "operational", "side": "program"}, "gate"),
    ("partnerships", "health-override", {"health": "at_risk"}, "non_field_errors"),
    (
        "commitments",
        "disburse",
        {"paid_on": "2026-01-01", "amount": "-1", "reference": "R"},
        "amount",
    ),
    ("commitments", "disburse", {"paid_on": "someday", "amount": "1", "reference": "R"}, "paid_on"),
    ("commitments", "reduce", {"amount": "5"}, "reason"),
    ("sites", "advance", {"to_status": "operational"}, "non_field_errors"),
    ("requirements", "transition", {"to_status": "live"}, "non_field_errors"),
]


@pytest.mark.parametrize(
    ("prefix", "name", "body", "key"),
    BAD_ACTIONS,
    ids=[f"{a}-{b}-{'-'.join(c)}" for a, b, c, _ in BAD_ACTIONS],
)
def test_bad_action_input(
    prefix: str, name: str, body: dict[str, Any], key: str, manager: Any, ae: Any
) -> None:
    partnership = f.PartnershipFactory.create(lead_country=ae)
    target = {
        "partnerships": partnership,
        "commitments": f.CommitmentFactory.create(partnership=partnership, status="committed"),
        "sites": f.SiteFactory.create(partnership=partnership),
        "requirements": f.RequirementFactory.create(partnership=partnership),
    }[prefix]
    response = client_for(manager).post(
        f"/api/v1/{prefix}/{target.pk}/{name}/", body, format="json"
    )
    assert response.status_code == 400, response.content[:500]
    assert key in response.json(), response.json()


def test_a_refused_stage_move_names_the_guard(manager: Any, ae: Any) -> None:
    partnership = f.PartnershipFactory.create(lead_country=ae, stage="signed")
    response = client_for(manager).post(
        f"/api/v1/partnerships/{partnership.pk}/advance/",
        {"to_stage": "implementing"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["failed_guards"] == ["company_commitment", "government_commitment"]
    assert "company-side commitment" in body["non_field_errors"][0]


def test_deleting_something_still_referenced_is_a_409(manager: Any, ae: Any) -> None:
    organisation = f.OrganisationFactory.create()
    f.CommitmentFactory.create(
        partnership=f.PartnershipFactory.create(lead_country=ae), funder=organisation
    )
    response = client_for(manager).delete(f"/api/v1/organisations/{organisation.pk}/")
    assert response.status_code == 409
    assert any("commitment" in item for item in response.json()["referenced_by"])
    assert type(organisation).objects.filter(pk=organisation.pk).exists()


def test_api_writes_go_through_the_services(manager: Any, ae: Any) -> None:
    """Creates and edits record their transition and who made them, as the services do."""
    from partnerships.models import Partnership

    client = client_for(manager)
    response = client.post(
        "/api/v1/partnerships/", {"code": "AE-API", "title": "Via API", "lead_country": "ae"}
    )
    assert response.status_code == 201, response.content
    partnership = Partnership.objects.get(code="AE-API")
    assert list(partnership.stage_transitions.values_list("to_status", flat=True)) == ["prospect"]
    assert partnership.history.get().history_user == manager
    version = response.json()["version"]
    edited = client.patch(
        f"/api/v1/partnerships/{partnership.pk}/", {"title": "Renamed", "version": version}
    )
    assert edited.status_code == 200
    assert partnership.history.first().history_user == manager
    response = client.post(
        "/api/v1/commitments/",
        {
            "partnership": partnership.pk,
            "country": "AE",
            "funder": f.OrganisationFactory.create().pk,
            "side": "company",
            "instrument": "equity",
            "amount": "5.00",
            "amount_currency": "USD",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pledged"
    assert partnership.commitments.get().status_transitions.get().by == manager
