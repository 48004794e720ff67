"""What a progress report says: its scope's figures, the same rollups as the dashboards, and
what changed since the previous report of the same scope.

A report reads through the scope it was requested in (the system's, re-checked for the
requester at render time) limited to the report's own country or partnership; who may ask for
which report is decided in ``partnerships.services.reports``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.utils import timezone

from openai_countries.scope import Scope
from partnerships import dashboards
from partnerships.models import (
    Health,
    Milestone,
    Partnership,
    ReportKind,
    ReportRun,
    ReportStatus,
    Stage,
    StageTransition,
    country_name,
)

# Changes are listed over this window when a scope has no earlier report.
FIRST_REPORT_WINDOW = timedelta(days=30)
# A status report is a summary of about two pages whatever its scope holds (200 countries hold
# 50,000 commitments, one country 250): each section gives its totals and the few most urgent
# rows (the largest commitments, the open requirements due first, the worst risks, the
# partnerships needing attention), and links to the list behind it, which analysts filter and
# export as CSV or XLSX. Short reports are also what lets the monthly batch lay out one per
# country in well under a minute on two worker processes.
LISTED = 5
# Each kind of change lists this many, then says how many more there are.
CHANGES_LISTED = 3
# Quarters named under the capacity chart (each label is laid out on its own, and costs).
CHART_LABELS = 6
# The capacity chart's scale on paper: the dashboards' chart units (bars stand on y = 170)
# drawn at this many mm each, so that its HTML labels sit under the bars they name.
CHART_MM = 0.19
CHART_HEIGHT = 175

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
        """The list filter for the rows of this report's scope, plus ``extra``."""
        if self.run.kind == ReportKind.COUNTRY and self.run.country is not None:
            return {"country": str(self.run.country.code), **extra}
        if self.run.kind == ReportKind.PARTNERSHIP and self.run.partnership_id is not None:
            return {"partnership": str(self.run.partnership_id), **extra}
        return dict(extra)

    def list_url(self, name: str, **extra: str) -> str:
        """The absolute address of the page listing (and exporting) this scope's rows."""
        from django.conf import settings
        from django.urls import reverse
        from django.utils.http import urlencode

        query = self.query(**extra)
        return settings.SITE_URL + reverse(name) + (f"?{urlencode(query)}" if query else "")


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


def first(queryset: QuerySet[Any], n: int) -> tuple[list[Any], int]:
    """The first ``n`` rows of ``queryset`` and how many it holds, in one query."""
    rows = list(queryset.annotate(listed_of=Window(Count("*")))[:n])
    return rows, rows[0].listed_of if rows else 0


def changes_since(reader: ReportReader, since: date, until: date) -> dict[str, Any]:
    """Stage moves, new commitments and disbursements, sites that advanced, requirements that
    went live and milestones that slipped in (since, until]."""
    from financing.models import Commitment, Disbursement
    from infrastructure.models import SiteStatusTransition
    from localization.models import LocalizationRequirement

    def moved(queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(at__date__gt=since, at__date__lte=until).exclude(from_status="")

    def listed(queryset: QuerySet[Any]) -> dict[str, Any]:
        rows, total = first(queryset, CHANGES_LISTED)
        return {"rows": rows, "more": total - len(rows)}

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
    from infrastructure.models import SiteStatus
    from localization.models import LocalizationRequirement, RequirementStatus
    from partnerships.models import Risk

    reader = ReportReader(run, scope)
    previous = previous_run(run)
    since = previous.as_of if previous else run.as_of - FIRST_REPORT_WINDOW
    portfolio = run.kind == ReportKind.PORTFOLIO
    closed = (RequirementStatus.LIVE, RequirementStatus.REJECTED)
    open_statuses = [status for status in RequirementStatus if status not in closed]
    largest_commitments, commitment_count = first(
        reader.rows(Commitment.objects.all())
        .select_related("funder", "partnership")
        .order_by("-amount", "pk"),
        LISTED,
    )
    requirements, open_requirement_count = first(
        reader.rows(LocalizationRequirement.objects.filter(status__in=open_statuses))
        .select_related("locale")
        .order_by(F("target_on").asc(nulls_last=True), "pk"),
        LISTED,
    )
    worst_risks, risk_count = first(
        reader.rows(Risk.objects.all())
        .select_related("partnership")
        .annotate(rank=F("likelihood") * F("impact"))
        .order_by("-rank", "-impact", "pk"),
        LISTED,
    )
    pipeline = [row for row in dashboards.pipeline(reader) if row["count"]]
    attention = None
    if portfolio:
        attention = dashboards.attention(reader, run.as_of, limit=LISTED)
        attention["more"] = attention["count"] - len(attention["rows"])
    return {
        "run": run,
        "scope_name": str(run.partnership or run.country or ""),
        "previous": previous,
        "since": since,
        "changes": changes_since(reader, since, run.as_of),
        # The portfolio's executive summary is the partnerships needing attention (the
        # dashboard's list); a country's or a partnership's, each of its partnerships' health.
        "partnerships": [] if portfolio else _partnerships(reader, run.as_of),
        "attention": attention,
        "health_labels": dict(Health.choices),
        "pipeline": pipeline,
        "pipeline_total": sum(row["count"] for row in pipeline),
        "stage_labels": dict(Stage.choices),
        "site_labels": dict(SiteStatus.choices),
        "cofinancing": _cofinancing(reader, run.as_of),
        "capacity": _capacity(reader),
        "coverage": _coverage(reader),
        "portfolio": portfolio,
        "sites": _sites(reader, portfolio),
        "commitments": largest_commitments,
        "commitment_count": commitment_count,
        "requirements": requirements,
        "open_requirement_count": open_requirement_count,
        "overdue": dashboards.overdue_milestones(reader, run.as_of, limit=LISTED),
        "risks": worst_risks,
        "risk_count": risk_count,
        "links": {
            "partnerships": reader.list_url("partnerships:partnership-list"),
            "sites": reader.list_url("infrastructure:site-list"),
            "commitments": reader.list_url("financing:commitment-list"),
            "requirements": reader.list_url(
                "localization:requirement-list", status__in=",".join(open_statuses)
            ),
            "milestones": reader.list_url("partnerships:milestone-list", overdue="true"),
            "risks": reader.list_url("partnerships:risk-list"),
        },
        "generated_at": timezone.now(),
        "with_contents": portfolio,
    }


def _partnerships(reader: ReportReader, as_of: date) -> list[dict[str, Any]]:
    """Each partnership of a country or partnership report: its health and stage timeline."""
    from partnerships.selectors import partnership_health

    partnerships = reader.rows(Partnership.objects.select_related("lead_country"))
    timelines: dict[int, list[StageTransition]] = {}
    for move in (
        reader.rows(StageTransition.objects.all()).select_related("by").order_by("at", "pk")
    ):
        timelines.setdefault(move.partnership_id, []).append(move)
    return [
        {
            "partnership": p,
            "health": partnership_health(p, today=as_of),
            "timeline": timelines.get(p.pk, []),
        }
        for p in partnerships.prefetch_related("countries")
    ]


def _sites(reader: ReportReader, portfolio: bool) -> dict[str, Any]:
    """Sites by status with their planned MW, and the largest few: sites of a country or a
    partnership, countries of the portfolio."""
    from infrastructure.models import Site, SiteStatus

    sites = reader.rows(Site.objects.all()).order_by()
    by_status = {
        status: (n, mw)
        for status, n, mw in sites.values_list("status").annotate(
            n=Count("pk"), mw=Sum("planned_capacity_mw")
        )
    }
    summary: dict[str, Any] = {
        "count": sum(n for n, _mw in by_status.values()),
        "planned_mw": sum(
            (mw or 0 for status, (_n, mw) in by_status.items() if status != SiteStatus.CANCELLED),
            Decimal(0),
        ),
        "by_status": [
            {"label": label, "count": by_status[status][0], "mw": by_status[status][1]}
            for status, label in SiteStatus.choices
            if status in by_status
        ],
    }
    if portfolio:
        countries = (
            sites.values("country__code")
            .annotate(n=Count("pk"), mw=Sum("planned_capacity_mw"))
            .order_by(F("mw").desc(nulls_last=True), "country__code")
        )
        summary["country_count"] = sites.values("country").distinct().count()
        summary["countries"] = [
            {"country": country_name(str(r["country__code"])), "sites": r["n"], "mw": r["mw"]}
            for r in countries[:LISTED]
        ]
    else:
        summary["rows"] = list(
            sites.select_related("country").order_by("-planned_capacity_mw", "pk")[:LISTED]
        )
    return summary


def _capacity(reader: ReportReader) -> dict[str, Any]:
    """The dashboards' capacity chart, with at most CHART_LABELS quarters named on a page and
    where they go on paper (the bars are SVG, the words HTML: see the template)."""
    capacity = dashboards.capacity(reader)
    every = max(1, -(-len(capacity["bars"]) // CHART_LABELS))
    for n, bar in enumerate(capacity["bars"]):
        bar["label_every"] = n % every == 0
        bar["x_mm"] = bar["x"] * CHART_MM
    capacity["width_mm"] = capacity["width"] * CHART_MM
    capacity["height_mm"] = f"{CHART_HEIGHT * CHART_MM:.2f}"
    return capacity


def _cofinancing(reader: ReportReader, as_of: date) -> dict[str, Any]:
    """The dashboards' split by side, each side's bars as a share of the longest one."""
    cofinancing = dashboards.cofinancing(reader, as_of)
    peak = max([side["committed"] for side in cofinancing["sides"]] + [Decimal(1)])
    for side in cofinancing["sides"]:
        side["committed_pct"] = float(100 * side["committed"] / peak)
        side["disbursed_pct"] = float(100 * side["disbursed"] / peak)
    return cofinancing


def _coverage(reader: ReportReader) -> dict[str, Any]:
    """The dashboards' country x service domain matrix; past LISTED countries, the countries
    with the most requirements not yet live, and a row of totals."""
    coverage = dashboards.coverage(reader)
    rows = coverage["rows"]
    totals = [
        {
            "live": sum(row["cells"][n]["live"] for row in rows),
            "total": sum(row["cells"][n]["total"] for row in rows),
        }
        for n in range(len(coverage["domains"]))
    ]
    if len(rows) > LISTED:

        def not_live(row: dict[str, Any]) -> int:
            return sum(cell["total"] - cell["live"] for cell in row["cells"])

        rows = sorted(rows, key=lambda row: (-not_live(row), row["name"]))[:LISTED]
    return {
        **coverage,
        "live": sum(cell["live"] for cell in totals),
        "total": sum(cell["total"] for cell in totals),
        "rows": rows,
        "country_count": len(coverage["rows"]),
        "totals": totals if len(coverage["rows"]) > 1 else None,
    }
