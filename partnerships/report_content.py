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

    return {
        "stage_moves": list(
            moved(reader.rows(StageTransition.objects.all()))
            .select_related("partnership", "by")
            .order_by("at", "pk")
        ),
        "new_commitments": list(
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
        "disbursements": list(
            reader.rows(Disbursement.objects.all())
            .filter(paid_on__gt=since, paid_on__lte=until)
            .select_related("commitment__partnership", "commitment__funder")
            .order_by("paid_on", "pk")
        ),
        "site_moves": list(
            moved(reader.rows(SiteStatusTransition.objects.all()))
            .select_related("site")
            .order_by("at", "pk")
        ),
        "requirements_live": list(
            reader.rows(LocalizationRequirement.objects.all())
            .filter(live_on__gt=since, live_on__lte=until)
            .select_related("locale", "partnership")
            .order_by("live_on", "pk")
        ),
        "milestones_slipped": list(
            reader.rows(Milestone.objects.all())
            .filter(due_on__gt=since, due_on__lte=until)
            .filter(Q(completed_on__isnull=True) | Q(completed_on__gt=F("due_on")))
            .select_related("partnership")
            .order_by("due_on", "pk")
        ),
    }


def report_content(run: ReportRun, scope: Scope) -> dict[str, Any]:
    from financing.models import Commitment
    from infrastructure.models import Site
    from localization.models import LocalizationRequirement
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
        "cofinancing": dashboards.cofinancing(reader, run.as_of),
        "capacity": dashboards.capacity(reader),
        "coverage": dashboards.coverage(reader),
        "sites": list(reader.rows(Site.objects.select_related("country", "partnership"))),
        "commitments": list(
            commitments.select_related("funder", "country", "partnership").order_by(
                "partnership__code", "side", "pk"
            )
        ),
        "requirements": list(
            reader.rows(LocalizationRequirement.objects.select_related("locale", "country"))
        ),
        "overdue": dashboards.overdue_milestones(reader, run.as_of, limit=50),
        "risks": list(
            reader.rows(Risk.objects.select_related("partnership")).order_by(
                "-likelihood", "-impact", "pk"
            )[:30]
        ),
        "generated_at": timezone.now(),
        "with_contents": run.kind == ReportKind.PORTFOLIO,
    }
