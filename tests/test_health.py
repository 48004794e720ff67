"""Partnership health: four explained factors, each citing its records; the worst one sets it."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from djmoney.money import Money

from partnerships.models import Partnership
from partnerships.selectors import partnership_health
from partnerships.services.partnerships import partnership_set_health_override
from tests import factories as f

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 25)


def factor(partnership: Partnership, code: str) -> Any:
    return next(x for x in partnership_health(partnership, today=TODAY).factors if x.code == code)


def test_a_fresh_partnership_is_on_track() -> None:
    health = partnership_health(f.PartnershipFactory.create(), today=TODAY)
    assert health.level == "on_track"
    assert [x.code for x in health.factors] == [
        "schedule",
        "capital",
        "infrastructure",
        "localization",
    ]


def test_overdue_milestones_put_schedule_at_risk_then_off_track() -> None:
    partnership = f.PartnershipFactory.create()
    late = f.MilestoneFactory.create(
        partnership=partnership, due_on=TODAY - datetime.timedelta(days=10)
    )
    f.MilestoneFactory.create(
        partnership=partnership, due_on=TODAY - datetime.timedelta(days=400), completed_on=TODAY
    )
    schedule = factor(partnership, "schedule")
    assert (schedule.level, schedule.records) == ("at_risk", (late,))
    f.MilestoneFactory.create(partnership=partnership, due_on=TODAY - datetime.timedelta(days=200))
    assert factor(partnership, "schedule").level == "off_track"
    assert partnership_health(partnership, today=TODAY).level == "off_track"


def test_capital_compares_firm_money_with_the_plan(manager: Any) -> None:
    partnership = f.PartnershipFactory.create(
        stage="implementing", planned_investment=Money("1000", "USD")
    )
    f.CommitmentFactory.create(
        partnership=partnership, status="committed", amount=Money("300", "USD")
    )
    f.CommitmentFactory.create(
        partnership=partnership, status="pledged", amount=Money("700", "USD")
    )
    capital = factor(partnership, "capital")
    assert capital.level == "off_track" and "30%" in capital.explanation
    f.CommitmentFactory.create(
        partnership=partnership, status="committed", amount=Money("200", "USD")
    )
    assert factor(partnership, "capital").level == "at_risk"
    f.CommitmentFactory.create(
        partnership=partnership, status="committed", amount=Money("300", "USD")
    )
    assert factor(partnership, "capital").level == "on_track"


def test_capital_is_not_due_before_signing() -> None:
    partnership = f.PartnershipFactory.create(
        stage="negotiating", planned_investment=Money("1000", "USD")
    )
    assert factor(partnership, "capital").level == "on_track"


def test_late_phases_and_held_sites_weigh_on_infrastructure() -> None:
    partnership = f.PartnershipFactory.create()
    phase = f.SitePhaseFactory.create(
        site=f.SiteFactory.create(partnership=partnership),
        planned_ready_on=TODAY - datetime.timedelta(days=30),
    )
    infrastructure = factor(partnership, "infrastructure")
    assert infrastructure.level == "at_risk" and phase in infrastructure.records


def test_late_requirements_weigh_on_localization() -> None:
    partnership = f.PartnershipFactory.create()
    late = f.RequirementFactory.create(
        partnership=partnership, target_on=TODAY - datetime.timedelta(days=5)
    )
    f.RequirementFactory.create(
        partnership=partnership, target_on=TODAY - datetime.timedelta(days=5), status="rejected"
    )
    localization = factor(partnership, "localization")
    assert (localization.level, localization.records) == ("at_risk", (late,))


def test_override_needs_a_reason_and_wins(manager: Any) -> None:
    from django.core.exceptions import ValidationError

    partnership = f.PartnershipFactory.create()
    with pytest.raises(ValidationError, match="needs a reason"):
        partnership_set_health_override(
            partnership=partnership, health="off_track", reason="", by=manager
        )
    partnership = partnership_set_health_override(
        partnership=partnership, health="off_track", reason="Minister resigned", by=manager
    )
    health = partnership_health(partnership, today=TODAY)
    assert (health.computed, health.level, health.is_overridden) == ("on_track", "off_track", True)
    assert health.override_reason == "Minister resigned"
    cleared = partnership_set_health_override(
        partnership=partnership, health="", reason="", by=manager
    )
    assert (cleared.health_override, cleared.health_override_reason) == ("", "")
