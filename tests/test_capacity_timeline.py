from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from infrastructure.models import SitePhase
from infrastructure.selectors import capacity_timeline
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_cumulative_planned_and_energized_mw_by_quarter() -> None:
    site = f.SiteFactory.create()
    f.SitePhaseFactory.create(
        site=site,
        planned_mw=Decimal("20"),
        energized_mw=Decimal("20"),
        planned_ready_on=datetime.date(2026, 9, 30),
        actual_ready_on=datetime.date(2026, 10, 1),
    )
    f.SitePhaseFactory.create(
        site=site, planned_mw=Decimal("210"), planned_ready_on=datetime.date(2027, 12, 31)
    )
    f.SitePhaseFactory.create(site=site, planned_mw=Decimal("5"))  # no date: not on the timeline
    rows = [
        (q.quarter, q.planned_mw, q.energized_mw)
        for q in capacity_timeline(SitePhase.objects.all())
    ]
    assert rows == [
        ("2026-Q3", Decimal("20"), Decimal("0")),
        ("2026-Q4", Decimal("20"), Decimal("20")),
        ("2027-Q4", Decimal("230"), Decimal("20")),
    ]
