"""The dashboard figures kept per country and per partnership (partnerships.rollups): coverage,
capacity and the attention list read from them are always those counted from the rows, for any
reader, after any write and on any day, whatever the interleaving of a reader and a writer; they
are computed again in a fixed number of queries."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerships import dashboards
from partnerships.models import Country, CountryFigures, PartnershipSignals
from partnerships.rollups import (
    CAPACITY,
    COVERAGE,
    kept_figures,
    mark_all_stale,
    mark_figures_stale,
    mark_signals_stale,
    refresh_figures,
    refresh_signals,
)
from tests import factories as f

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2026, 3, 1)


def attention_figures(scope: Any, today: datetime.date, *, kept: bool) -> Any:
    found = dashboards.attention(scope, today, kept=kept)
    rows = [
        (row.partnership.pk, str(row.partnership), row.level, row.reasons) for row in found["rows"]
    ]
    return found["count"], rows


def assert_kept_are_counted(user: Any, today: datetime.date = TODAY) -> None:
    """Coverage, capacity and attention from the kept rows are those counted from the rows."""
    for country in (None, *Country.objects.filter(code__in=["AE", "NO"])):
        scope = dashboards.Scope(user=user, country=country)
        assert dashboards.coverage(scope, kept=True) == dashboards.coverage(scope)
        assert dashboards.capacity(scope, kept=True) == dashboards.capacity(scope)
        assert attention_figures(scope, today, kept=True) == attention_figures(
            scope, today, kept=False
        )


def set_status(requirement: Any, status: str, by: Any) -> None:
    """What the review flow's services save (``localization.services``), written directly."""
    from django.utils import timezone

    requirement.status = status
    if status == "live":
        requirement.signed_off_by, requirement.signed_off_at = by, timezone.now()
        requirement.live_on = TODAY
    requirement.save()


@pytest.fixture
def program(ae: Country, no: Country, admin_user: Any) -> dict[str, Any]:
    """Requirements, phases and milestones in two countries, some late as of TODAY; a
    partnership of both countries."""
    in_ae = f.PartnershipFactory.create(lead_country=ae)
    in_no = f.PartnershipFactory.create(lead_country=no, countries=[ae])
    site_ae = f.SiteFactory.create(partnership=in_ae)
    site_no = f.SiteFactory.create(partnership=in_no)
    f.SitePhaseFactory.create(
        site=site_ae, planned_mw=Decimal("40"), planned_ready_on=D(2025, 5, 1)
    )
    f.SitePhaseFactory.create(
        site=site_ae,
        planned_mw=Decimal("60"),
        energized_mw=Decimal("20"),
        planned_ready_on=D(2025, 2, 1),
        actual_ready_on=D(2025, 8, 1),
    )
    f.SitePhaseFactory.create(site=site_no, planned_mw=Decimal("0"), planned_ready_on=D(2026, 7, 1))
    f.RequirementFactory.create(partnership=in_ae, target_on=D(2025, 1, 1))
    set_status(
        f.RequirementFactory.create(partnership=in_ae, service_domain="education"),
        "live",
        admin_user,
    )
    f.RequirementFactory.create(partnership=in_no, target_on=TODAY + datetime.timedelta(days=5))
    f.MilestoneFactory.create(partnership=in_ae, due_on=D(2025, 12, 1))
    soon = f.MilestoneFactory.create(partnership=in_no, due_on=TODAY + datetime.timedelta(days=2))
    return {"ae": in_ae, "no": in_no, "site_ae": site_ae, "site_no": site_no, "soon": soon}


def test_the_kept_figures_are_the_counted_ones(
    program: dict[str, Any], manager: Any, make_liaison: Any, ae: Country, no: Country
) -> None:
    assert_kept_are_counted(manager)
    assert_kept_are_counted(make_liaison(ae))
    assert_kept_are_counted(make_liaison(no))
    scope = dashboards.Scope(user=manager)
    rows = {row["code"]: row["cells"] for row in dashboards.coverage(scope, kept=True)["rows"]}
    domains = [d["value"] for d in dashboards.coverage(scope)["domains"]]
    assert rows["AE"][domains.index("health")] == {"live": 0, "total": 1}
    assert rows["AE"][domains.index("education")] == {"live": 1, "total": 1}
    assert dashboards.capacity(scope, kept=True)["latest"].planned_mw == Decimal("100")
    assert attention_figures(scope, TODAY, kept=True)[0] == 1
    # Read again, they hold: nothing is computed a second time.
    assert all(
        row.coverage_computed == row.coverage_revision for row in CountryFigures.objects.all()
    )
    with CaptureQueriesContext(connection) as again:
        dashboards.coverage(scope, kept=True)
        dashboards.capacity(scope, kept=True)
        dashboards.attention(scope, TODAY, kept=True)
    assert len(again) == 3


def test_every_write_shows_in_the_next_read(
    program: dict[str, Any], manager: Any, make_liaison: Any, ae: Country
) -> None:
    from infrastructure.services import site_cancel
    from partnerships.services.partnerships import milestone_complete

    liaison = make_liaison(ae)

    def check() -> None:
        assert_kept_are_counted(manager)
        assert_kept_are_counted(liaison)

    check()
    requirement = f.RequirementFactory.create(partnership=program["no"], service_domain="education")
    check()
    for status in ("live", "rejected", "in_review"):
        set_status(requirement, status, manager)
        check()
    requirement.delete()
    check()
    phase = f.SitePhaseFactory.create(
        site=program["site_no"], planned_mw=Decimal("15"), planned_ready_on=D(2025, 11, 1)
    )
    check()
    phase.energized_mw, phase.actual_ready_on = Decimal("5"), D(2026, 1, 2)
    phase.save()
    check()
    phase.delete()
    check()
    milestone = f.MilestoneFactory.create(partnership=program["no"], due_on=D(2025, 1, 1))
    check()
    milestone_complete(milestone=milestone, completed_on=TODAY, by=manager)
    check()
    site_cancel(site=program["site_ae"], by=manager, reason="Test")
    check()
    # A country with no kept row yet, and a partnership deleted with its milestones.
    kenya = f.PartnershipFactory.create(lead_country=f.country("KE"))
    f.RequirementFactory.create(partnership=kenya)
    f.SitePhaseFactory.create(site=f.SiteFactory.create(partnership=kenya), planned_ready_on=TODAY)
    check()
    gone = f.PartnershipFactory.create(lead_country=ae)
    f.MilestoneFactory.create(partnership=gone, due_on=D(2025, 1, 1))
    check()
    gone.delete()
    check()


def test_signals_follow_the_calendar(program: dict[str, Any], manager: Any) -> None:
    """A milestone due in two days is late from the third, and the kept signals say so then."""
    scope = dashboards.Scope(user=manager)
    assert attention_figures(scope, TODAY, kept=True)[0] == 1
    row = PartnershipSignals.objects.get(partnership=program["no"])
    assert row.valid_until == TODAY + datetime.timedelta(days=3)
    for days in range(7):
        day = TODAY + datetime.timedelta(days=days)
        assert attention_figures(scope, day, kept=True) == attention_figures(scope, day, kept=False)
    assert attention_figures(scope, TODAY + datetime.timedelta(days=3), kept=True)[0] == 2


def test_a_write_during_a_computation_leaves_the_row_stale(
    program: dict[str, Any], ae: Country
) -> None:
    """A reader stores what it computed under the revision it read first: a write that lands
    meanwhile is not covered by it."""
    from partnerships import rollups

    read_first = CountryFigures.objects.filter(country=ae)
    original = rollups._compute_coverage

    def write_meanwhile(ids: list[int]) -> Any:
        counted = original(ids)
        f.RequirementFactory.create(partnership=program["ae"])  # after the count, before the store
        return counted

    rollups._COMPUTE[COVERAGE] = write_meanwhile
    try:
        kept_figures(read_first, COVERAGE)
    finally:
        rollups._COMPUTE[COVERAGE] = original
    row = CountryFigures.objects.get(country=ae)
    assert row.coverage_computed != row.coverage_revision
    ((_pk, _code, cells),) = kept_figures(CountryFigures.objects.filter(country=ae), COVERAGE)
    assert cells["health"] == [0, 2]


def test_computing_costs_the_same_queries_for_one_or_many(
    program: dict[str, Any], manager: Any, ae: Country
) -> None:
    scope = dashboards.Scope(user=manager)

    def read() -> int:
        with CaptureQueriesContext(connection) as queries:
            dashboards.coverage(scope, kept=True)
            dashboards.capacity(scope, kept=True)
            dashboards.attention(scope, TODAY, kept=True)
        return len(queries)

    read()
    mark_figures_stale(COVERAGE, [ae.pk])
    mark_figures_stale(CAPACITY, [ae.pk])
    mark_signals_stale([program["ae"].pk])
    one = read()
    mark_all_stale()
    assert read() == one
    assert read() == 3  # all hold: a query for each


def test_the_nightly_refresh_computes_what_no_longer_holds(program: dict[str, Any]) -> None:
    from django_celery_beat.models import PeriodicTask

    assert refresh_figures() == 4  # two countries, two kinds
    assert refresh_figures() == 0
    refresh_signals(TODAY)
    assert all(row.computed_revision == row.revision for row in PartnershipSignals.objects.all())
    assert PeriodicTask.objects.filter(task="partnerships.tasks.refresh_kept_figures").exists()


def test_the_portfolio_shows_each_write_at_once(
    program: dict[str, Any], manager: Any, ae: Country
) -> None:
    """Through the page, cached shell and all: the next request after a write shows it."""
    client = Client()
    client.force_login(manager)
    url = reverse("portfolio")

    def figures() -> tuple[Any, Any, list[str]]:
        context = client.get(url).context
        cells = {row["code"]: row["cells"] for row in context["coverage"]["rows"]}
        reasons = {row.partnership.pk: row.reasons for row in context["attention"]["rows"]}
        return cells["AE"][0], context["capacity"]["latest"].planned_mw, reasons[program["no"].pk]

    assert figures()[:2] == ({"live": 0, "total": 1}, Decimal("100"))
    requirement = f.RequirementFactory.create(partnership=program["ae"])
    assert figures()[0] == {"live": 0, "total": 2}
    set_status(requirement, "live", manager)
    assert figures()[0] == {"live": 1, "total": 2}
    f.SitePhaseFactory.create(
        site=program["site_no"], planned_mw=Decimal("7"), planned_ready_on=TODAY
    )
    _cells, planned, reasons = figures()
    assert planned == Decimal("107")
    late = reasons[0]  # "n milestone(s) overdue"
    assert late.endswith("milestone(s) overdue")
    f.MilestoneFactory.create(partnership=program["no"], due_on=D(2025, 1, 1))
    assert figures()[2][0] == late.replace(late.split()[0], str(int(late.split()[0]) + 1))
