"""What a progress report says: its scope's figures, the same rollups as the dashboards, and
what changed since the previous report of the same scope.

A report reads through the scope it was requested in (the system's, re-checked for the
requester at render time) limited to the report's own country or partnership; who may ask for
which report is decided in ``partnerships.services.reports``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from openai_countries.scope import Scope
from partnerships import dashboards
from partnerships.models import (
    Milestone,
    Partnership,
    ReportKind,
    ReportRun,
    ReportStatus,
    Stage,
    StageTransition,
)

# Changes are listed over this window when a scope has no earlier report.
FIRST_REPORT_WINDOW = timedelta(days=30)
# A report stays readable (and lays out in well under a second) however much data its scope
# holds: tables list the largest commitments, the open requirements due first, the worst risks,
# and say how many there are in all; the portfolio report summarises sites by country. Its
# length follows the number of partnerships, not of rows (200 countries hold 50,000
# commitments); the full lists are the exports. The monthly batch lays out one per country.
LISTED = 10
# Each kind of change lists this many, then says how many more there are.
CHANGES_LISTED = 10

# How each model's rows reach their partnership, for a partnership report.
PARTNERSHIP_PATHS: dict[str, str] = {
    "partnerships.Partnership": "pk",
    "infrastructure.SitePhase": "site__partnership",
    "infrastructure.SiteStatusTransition": "site__partnership",
    "financing.Disbursement": "commitment__partnership",
    "localization.RequirementStatusTransition": "requirement__partnership",
}


@dataclass(frozen=True)
class ReportReader:
    """The rows a report may show: its scope's, within the report's country or partnership."""

    run: ReportRun
    scope: Scope

    def rows(self, queryset: QuerySet[Any], action: str = "export") -> QuerySet[Any]:
        rows = self.scope.restrict(queryset, "export")
        if self.run.kind == ReportKind.COUNTRY and self.run.country_id is not None:
            rows = rows.in_countries([self.run.country_id])
        elif self.run.kind == ReportKind.PARTNERSHIP:
            path = PARTNERSHIP_PATHS.get(queryset.model._meta.label, "partnership")
            rows = rows.filter(**{path: self.run.partnership_id})
        return rows

    def query(self, **extra: str) -> dict[str, str]:
        return dict(extra)


def previous_run(run: ReportRun) -> ReportRun | None:
    """The latest finished report of the same kind and scope before this one (any language)."""
    return (
        ReportRun.objects.filter(
            # Q: a null scope (the portfolio) matches IS NULL.
            Q(country_id=run.country_id, partnership_id=run.partnership_id),
            kind=run.kind,
            status=ReportStatus.SUCCEEDED,
            as_of__lt=run.as_of,
        )
        .order_by("-as_of", "-pk")
        .first()
    )


def changes_since(reader: ReportReader, since: date, until: date) -> dict[str, Any]:
    """Stage moves, new commitments and disbursements, sites that advanced, requirements that
    went live and milestones that slipped in (since, until]."""
    from financing.models import Commitment, Disbursement
    from infrastructure.models import SiteStatusTransition
    from localization.models import LocalizationRequirement

    def moved(queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(at__date__gt=since, at__date__lte=until).exclude(from_status="")

    def listed(queryset: QuerySet[Any]) -> dict[str, Any]:
        rows = list(queryset[: CHANGES_LISTED + 1])
        more = queryset.count() - CHANGES_LISTED if len(rows) > CHANGES_LISTED else 0
        return {"rows": rows[:CHANGES_LISTED], "more": more}

    return {
        "stage_moves": listed(
            moved(reader.rows(StageTransition.objects.all()))
            .select_related("partnership", "by")
            .order_by("at", "pk")
        ),
        "new_commitments": listed(
            reader.rows(Commitment.objects.all())
            .filter(
                Q(committed_on__gt=since, committed_on__lte=until)
                | Q(
                    committed_on__isnull=True,
                    created_at__date__gt=since,
                    created_at__date__lte=until,
                )
            )
            .select_related("partnership", "funder")
            .order_by("committed_on", "pk")
        ),
        "disbursements": listed(
            reader.rows(Disbursement.objects.all())
            .filter(paid_on__gt=since, paid_on__lte=until)
            .select_related("commitment__partnership", "commitment__funder")
            .order_by("paid_on", "pk")
        ),
        "site_moves": listed(
            moved(reader.rows(SiteStatusTransition.objects.all()))
            .select_related("site")
            .order_by("at", "pk")
        ),
        "requirements_live": listed(
            reader.rows(LocalizationRequirement.objects.all())
            .filter(live_on__gt=since, live_on__lte=until)
            .select_related("locale", "partnership")
            .order_by("live_on", "pk")
        ),
        "milestones_slipped": listed(
            reader.rows(Milestone.objects.all())
            .filter(due_on__gt=since, due_on__lte=until)
            .filter(Q(completed_on__isnull=True) | Q(completed_on__gt=F("due_on")))
            .select_related("partnership")
            .order_by("due_on", "pk")
        ),
    }


def report_content(run: ReportRun, scope: Scope) -> dict[str, Any]:
    from financing.models import Commitment
    from infrastructure.models import Site, SiteStatus
    from localization.models import LocalizationRequirement, RequirementStatus
    from partnerships.models import Risk
    from partnerships.selectors import partnership_health

    reader = ReportReader(run, scope)
    previous = previous_run(run)
    since = previous.as_of if previous else run.as_of - FIRST_REPORT_WINDOW
    partnerships = list(
        reader.rows(Partnership.objects.select_related("lead_country")).prefetch_related(
            "countries"
        )
    )
    timelines: dict[int, list[StageTransition]] = {}
    for move in (
        reader.rows(StageTransition.objects.all()).select_related("by").order_by("at", "pk")
    ):
        timelines.setdefault(move.partnership_id, []).append(move)
    commitments = reader.rows(Commitment.objects.all())
    portfolio = run.kind == ReportKind.PORTFOLIO
    sites = reader.rows(Site.objects.select_related("country", "partnership"))
    listed_commitments = commitments.select_related("funder", "country", "partnership").order_by(
        "-amount", "pk"
    )[:LISTED]
    open_requirements = reader.rows(
        LocalizationRequirement.objects.exclude(
            status__in=(RequirementStatus.LIVE, RequirementStatus.REJECTED)
        )
    )
    return {
        "run": run,
        "scope_name": str(run.partnership or run.country or ""),
        "previous": previous,
        "since": since,
        "changes": changes_since(reader, since, run.as_of),
        "partnerships": [
            {
                "partnership": p,
                "health": partnership_health(p, today=run.as_of),
                "timeline": timelines.get(p.pk, []),
            }
            for p in partnerships
        ],
        "pipeline": [row for row in dashboards.pipeline(reader) if row["count"]],
        "stage_labels": dict(Stage.choices),
        "site_labels": dict(SiteStatus.choices),
        "cofinancing": dashboards.cofinancing(reader, run.as_of),
        "capacity": dashboards.capacity(reader),
        "coverage": dashboards.coverage(reader),
        "portfolio": portfolio,
        "sites": [] if portfolio else list(sites),
        "sites_by_country": _sites_by_country(sites) if portfolio else [],
        "commitments": list(listed_commitments),
        "commitment_count": commitments.count(),
        "requirements": []
        if portfolio
        else list(
            open_requirements.select_related("locale", "country").order_by(
                F("target_on").asc(nulls_last=True), "pk"
            )[:LISTED]
        ),
        "open_requirement_count": open_requirements.count(),
        "overdue": dashboards.overdue_milestones(reader, run.as_of, limit=LISTED),
        "risks": list(
            reader.rows(Risk.objects.select_related("partnership")).order_by(
                "-likelihood", "-impact", "pk"
            )[:LISTED]
        ),
        "generated_at": timezone.now(),
        "with_contents": run.kind == ReportKind.PORTFOLIO,
    }


def _sites_by_country(sites: QuerySet[Any]) -> list[dict[str, Any]]:
    from django.db.models import Count, Sum

    from partnerships.models import country_name

    rows = (
        sites.order_by()
        .values("country__code")
        .annotate(n=Count("pk"), planned=Sum("planned_capacity_mw"))
    )
    return sorted(
        (
            {"country": country_name(r["country__code"]), "sites": r["n"], "mw": r["planned"]}
            for r in rows
        ),
        key=lambda row: str(row["country"]),
    )
