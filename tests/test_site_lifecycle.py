"""Site status lifecycle: one step at a time, permits to leave permitting, power to operate."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from infrastructure.models import Site, SiteStatus
from infrastructure.services import site_advance_status, site_cancel, site_hold, site_resume
from tests import factories as f

pytestmark = pytest.mark.django_db


def site_at(status: str) -> Site:
    return f.SiteFactory.create(status=status)


def test_moves_forward_one_step_and_records_it(manager: Any) -> None:
    site = site_at(SiteStatus.ANNOUNCED)
    moved = site_advance_status(
        site=site, to_status="site_selection", by=manager, reason="Shortlist"
    )
    transition = moved.status_transitions.get()
    assert (transition.from_status, transition.to_status, transition.by, transition.reason) == (
        "announced",
        "site_selection",
        manager,
        "Shortlist",
    )
    assert moved.history.first().history_change_reason == "Shortlist"
    with pytest.raises(ValidationError, match="the next step is Permitting"):
        site_advance_status(site=moved, to_status="construction", by=manager)


def test_leaving_permitting_needs_every_required_permit(manager: Any) -> None:
    site = site_at(SiteStatus.PERMITTING)
    f.PermitFactory.create(site=site, permit_type="zoning", status="granted")
    f.PermitFactory.create(site=site, permit_type="grid", status="applied")
    f.PermitFactory.create(site=site, permit_type="water", status="denied", required=False)
    with pytest.raises(ValidationError) as error:
        site_advance_status(site=site, to_status="construction", by=manager)
    assert "every required permit granted" in error.value.messages[0]
    assert "Grid connection" in error.value.messages[0]
    site.refresh_from_db()
    assert site.status == "permitting" and not site.status_transitions.exists()


def test_conditional_grants_count_as_granted(manager: Any) -> None:
    site = site_at(SiteStatus.PERMITTING)
    f.PermitFactory.create(site=site, permit_type="grid", status="conditional")
    assert (
        site_advance_status(site=site, to_status="construction", by=manager).status
        == "construction"
    )


def test_operational_needs_an_energized_phase(manager: Any) -> None:
    site = site_at(SiteStatus.COMMISSIONING)
    phase = f.SitePhaseFactory.create(site=site, planned_mw=Decimal("50"))
    with pytest.raises(ValidationError, match="a phase with energized capacity"):
        site_advance_status(site=site, to_status="operational", by=manager)
    phase.energized_mw = Decimal("20")
    phase.save()
    assert (
        site_advance_status(site=site, to_status="operational", by=manager).status == "operational"
    )


def test_hold_and_resume_return_to_the_status_left(manager: Any) -> None:
    site = site_at(SiteStatus.CONSTRUCTION)
    with pytest.raises(ValidationError, match="needs a reason"):
        site_hold(site=site, by=manager, reason="")
    held = site_hold(site=site, by=manager, reason="Power prices")
    assert (held.status, held.status_before_hold) == ("on_hold", "construction")
    with pytest.raises(ValidationError, match="on hold"):
        site_advance_status(site=held, to_status="commissioning", by=manager)
    resumed = site_resume(site=held, by=manager)
    assert (resumed.status, resumed.status_before_hold) == ("construction", "")


def test_cancelled_is_terminal(manager: Any) -> None:
    site = site_cancel(site=site_at(SiteStatus.ANNOUNCED), by=manager, reason="No water rights")
    with pytest.raises(ValidationError, match="cancelled"):
        site_advance_status(site=site, to_status="site_selection", by=manager)
    with pytest.raises(ValidationError, match="only an active record"):
        site_hold(site=site, by=manager, reason="x")


def test_site_country_must_take_part_in_the_partnership(no: Any) -> None:
    site = f.SiteFactory.build(partnership=f.PartnershipFactory.create(), country=no)
    with pytest.raises(ValidationError) as error:
        site.full_clean()
    assert "does not take part" in error.value.message_dict["country"][0]


def test_a_site_without_permits_cannot_leave_permitting(manager: Any) -> None:
    site = site_at(SiteStatus.PERMITTING)
    with pytest.raises(ValidationError, match="no required permit is recorded"):
        site_advance_status(site=site, to_status="construction", by=manager)


def test_an_expired_grant_does_not_count(manager: Any) -> None:
    import datetime

    site = site_at(SiteStatus.PERMITTING)
    f.PermitFactory.create(
        site=site,
        status="granted",
        decided_on=datetime.date(2020, 1, 1),
        expires_on=datetime.date(2021, 1, 1),
    )
    with pytest.raises(ValidationError, match="not granted or expired"):
        site_advance_status(site=site, to_status="construction", by=manager)
