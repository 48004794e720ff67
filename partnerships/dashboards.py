"""What the dashboards show, for one reader: the portfolio they may see, or one country of it.

Every figure comes with the filter that lists the rows behind it, so the pages can link each
number to its list. A dashboard costs a fixed number of queries whatever the portfolio's size
(the tests hold it to that): rollups are aggregated in the database or in one pass in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncQuarter
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

from openai_countries.cache import LocalCopies, VersionCounter
from partnerships.models import (
    STAGE_PATH,
    Country,
    Health,
    Milestone,
    Partnership,
    PartnershipCountry,
    SignOffSide,
    Stage,
    StageSignOff,
    country_name,
)
from partnerships.selectors import _SEVERITY, LONG_OVERDUE

# Stages in display order: the forward path, then the two side states.
STAGE_ORDER: tuple[str, ...] = (*STAGE_PATH, Stage.ON_HOLD, Stage.CANCELLED)
CHART_WIDTH = 640


class Reader(Protocol):
    """Whose rows a rollup reads: a person on a dashboard, or a report's scope."""

    def rows(self, queryset: QuerySet[Any], action: str = "view") -> QuerySet[Any]: ...

    def query(self, **extra: str) -> dict[str, str]: ...


@dataclass(frozen=True)
class Scope:
    """The reader and, on a country dashboard, the country; every query goes through here."""

    user: Any
    country: Country | None = None

    def rows(self, queryset: QuerySet[Any], action: str = "view") -> QuerySet[Any]:
        rows = queryset.restrict(self.user, action)  # type: ignore[attr-defined]
        if self.country is not None:
            rows = rows.in_countries([self.country.pk])
        return rows

    def query(self, **extra: str) -> dict[str, str]:
        """The list filter for rows of this dashboard, plus ``extra``."""
        base = {"country": str(self.country.code)} if self.country is not None else {}
        return {**base, **extra}


@dataclass
class AttentionRow:
    partnership: Partnership
    level: str
    reasons: list[str] = field(default_factory=list)


def _stage_rank(stage: str) -> int:
    return STAGE_PATH.index(stage) if stage in STAGE_PATH else -1


def pipeline(scope: Reader) -> list[dict[str, Any]]:
    counts = dict(
        scope.rows(Partnership.objects.all())
        .order_by()
        .values_list("stage")
        .annotate(n=Count("pk"))
        .values_list("stage", "n")
    )
    peak = max(counts.values(), default=0) or 1
    return [
        {
            "stage": stage,
            "label": Stage(stage).label,
            "count": counts.get(stage, 0),
            "width": int(100 * counts.get(stage, 0) / peak),
            "query": scope.query(stage=stage),
        }
        for stage in STAGE_ORDER
    ]


def map_countries(scope: Scope) -> list[dict[str, Any]]:
    """Each country taking part in a visible partnership, with its most advanced stage; linked
    to its dashboard when the reader may open it."""
    from partnerships.access import country_ids_for

    visible = scope.rows(Partnership.objects.all()).values("pk")
    rows = PartnershipCountry.objects.filter(partnership__in=visible)
    if scope.country is not None:
        rows = rows.filter(country=scope.country)
    openable = country_ids_for(scope.user, "view")
    best: dict[str, dict[str, Any]] = {}
    for country_id, code, stage in rows.values_list(
        "country_id", "country__code", "partnership__stage"
    ):
        name = country_name(str(code))
        entry = best.setdefault(
            str(code),
            {
                "code": str(code),
                "name": name,
                "stage": stage,
                "partnerships": 0,
                "openable": openable is None or country_id in openable,
            },
        )
        entry["partnerships"] += 1
        if _stage_rank(stage) > _stage_rank(entry["stage"]):
            entry["stage"] = stage
    labels = {stage.value: str(stage.label) for stage in Stage}  # translated once, not per row
    for entry in best.values():
        entry["label"] = labels[entry["stage"]]
    return sorted(best.values(), key=lambda e: e["name"])


def cofinancing(scope: Reader, today: date, *, kept: bool = False) -> dict[str, Any]:
    """The split by side as of ``today``; ``kept``: from the figures kept per country, which
    hold for a day on or after their conversion (dashboards), not for a past day (reports)."""
    from financing.models import Commitment, CountryCofinancing, Side
    from financing.rollups import kept_cofinancing
    from financing.selectors import cofinancing_totals

    if kept:
        split = kept_cofinancing(scope.rows(CountryCofinancing.objects.all()), as_of=today)
    else:
        split = cofinancing_totals(scope.rows(Commitment.objects.all()), as_of=today)
    peak = max([s.committed_usd for s in split.sides.values()] + [Decimal(1)])
    sides = [
        {
            "side": side,
            "label": Side(side).label,
            "committed": totals.committed_usd,
            "disbursed": totals.disbursed_usd,
            "commitments": totals.commitments,
            "share": split.share(side),
            "committed_width": int((CHART_WIDTH - 160) * totals.committed_usd / peak),
            "disbursed_width": int((CHART_WIDTH - 160) * totals.disbursed_usd / peak),
            "y": 10 + 46 * n,
            "query": scope.query(side=side),
        }
        for n, (side, totals) in enumerate(split.sides.items())
    ]
    return {"split": split, "sides": sides, "height": 20 + 46 * len(sides)}


def capacity(scope: Reader, *, kept: bool = False) -> dict[str, Any]:
    """MW planned and energized by quarter, cumulative; ``kept``: summed from the figures kept
    per country (dashboards; a report may read a partnership's phases alone)."""
    from infrastructure.models import SitePhase
    from infrastructure.selectors import capacity_by_quarter, quarter_of

    planned: dict[str, Decimal] = {}
    energized: dict[str, Decimal] = {}
    if kept:
        from partnerships.models import CountryFigures
        from partnerships.rollups import CAPACITY, kept_figures

        for _pk, _code, sides in kept_figures(scope.rows(CountryFigures.objects.all()), CAPACITY):
            for sums, side in ((planned, "planned"), (energized, "energized")):
                for quarter, mw in sides.get(side, {}).items():
                    sums[quarter] = sums.get(quarter, Decimal(0)) + Decimal(mw)
    else:
        phases = scope.rows(SitePhase.objects.all()).order_by()
        # Summed per quarter in the database, then only accumulated.
        for sums, groups in (
            (
                planned,
                phases.filter(planned_ready_on__isnull=False)
                .annotate(quarter=TruncQuarter("planned_ready_on"))
                .values_list("quarter")
                .annotate(mw=Sum("planned_mw")),
            ),
            (
                energized,
                phases.filter(actual_ready_on__isnull=False, energized_mw__gt=0)
                .annotate(quarter=TruncQuarter("actual_ready_on"))
                .values_list("quarter")
                .annotate(mw=Sum("energized_mw")),
            ),
        ):
            for day, mw in groups:
                sums[quarter_of(day)] = sums.get(quarter_of(day), Decimal(0)) + mw
    timeline = capacity_by_quarter(planned, energized)
    peak = max([q.planned_mw for q in timeline] + [q.energized_mw for q in timeline] + [Decimal(1)])
    step = max(8, min(40, (CHART_WIDTH - 60) // max(len(timeline), 1)))
    bars = [
        {
            "quarter": q.quarter,
            "x": 50 + step * n,
            "planned_h": int(160 * q.planned_mw / peak),
            "energized_h": int(160 * q.energized_mw / peak),
            "planned_y": 170 - int(160 * q.planned_mw / peak),
            "energized_y": 170 - int(160 * q.energized_mw / peak),
            "planned_mw": q.planned_mw,
            "energized_mw": q.energized_mw,
            "label_every": n % max(1, len(timeline) // 8) == 0,
        }
        for n, q in enumerate(timeline)
    ]
    return {
        "bars": bars,
        "step": step,
        "bar_width": max(step // 2 - 1, 3),
        "width": 60 + step * max(len(bars), 1),
        "peak": peak,
        "latest": timeline[-1] if timeline else None,
    }


def overdue_milestones(scope: Reader, today: date, limit: int = 10) -> dict[str, Any]:
    overdue = scope.rows(Milestone.objects.filter(completed_on__isnull=True, due_on__lt=today))
    return {
        "count": overdue.count(),
        "rows": list(overdue.select_related("partnership").order_by("due_on", "pk")[:limit]),
        "query": scope.query(overdue="true"),
    }


def _level(count: int, oldest: date | None, today: date) -> str:
    if not count or oldest is None:
        return str(Health.ON_TRACK)
    late = count >= 3 or today - oldest > LONG_OVERDUE
    return str(Health.OFF_TRACK if late else Health.AT_RISK)


# Each signal's reason, in the order of ``partnerships.rollups.Signals``.
SIGNAL_REASONS = (
    gettext_noop("%(n)d milestone(s) overdue"),
    gettext_noop("%(n)d site phase(s) late"),
    gettext_noop("%(n)d requirement(s) past target"),
)


def attention(scope: Reader, today: date, limit: int = 10, *, kept: bool = False) -> dict[str, Any]:
    """Partnerships at risk or off track, by the schedule, infrastructure and localization
    signals of their health (the same thresholds), or by a manager's override. Capital needs
    each partnership's rates, so it shows on the partnership's own page.

    ``kept``: the signals kept per partnership (``partnerships.rollups``; one query when they
    hold), else each signal is one grouped query over the late rows. Only the partnerships shown
    get their reasons written out (translated)."""
    from partnerships.rollups import Signals, kept_signals

    active = scope.rows(Partnership.objects.exclude(stage=Stage.CANCELLED))
    fields = ("pk", "code", "title", "health_override", "health_override_reason")
    read: list[tuple[Any, Signals]]
    if kept:
        read = kept_signals(active, today)
    else:
        in_scope = active.values("pk")
        found = [
            _signals(_late_milestone_partnerships(today).filter(partnership__in=in_scope)),
            _signals(_late_phase_partnerships(today).filter(site__partnership__in=in_scope)),
            _signals(_late_requirement_partnerships(today).filter(partnership__in=in_scope)),
        ]
        # Every active partnership in scope, filtered here: a list of the flagged ids in the
        # query cost more to send and plan than the rows it saved.
        read = [
            (row, Signals(*(signal.get(row[0]) for signal in found)))
            for row in active.order_by().values_list(*fields)
        ]
    overridden = (Health.AT_RISK, Health.OFF_TRACK)
    levelled = []
    for row, signals in read:
        override = row[3]
        if not any(signals) and override not in overridden:
            continue
        levels = [_level(*signal, today) for signal in signals if signal is not None]
        level = max(levels, key=_SEVERITY.__getitem__, default=str(Health.ON_TRACK))
        if override:
            level = override
        if level != Health.ON_TRACK:
            levelled.append((row, signals, level))
    levelled.sort(key=lambda found: (found[2] != Health.OFF_TRACK, found[0][1]))
    rows = []
    for row, signals, level in levelled[:limit]:
        partnership = Partnership(**dict(zip(("id", *fields[1:]), row, strict=True)))
        reasons = [
            _(message) % {"n": signal[0]}
            for signal, message in zip(signals, SIGNAL_REASONS, strict=True)
            if signal is not None
        ]
        if partnership.health_override:
            reasons.append(
                _("set by a manager: %(reason)s") % {"reason": partnership.health_override_reason}
            )
        rows.append(AttentionRow(partnership, level, reasons))
    return {"count": len(levelled), "rows": rows}


# Late rows grouped by partnership: (partnership, count, oldest date), for the attention list.
def _late_milestone_partnerships(today: date) -> Any:
    return (
        Milestone.objects.filter(completed_on__isnull=True, due_on__lt=today)
        .order_by()
        .values_list("partnership")
        .annotate(n=Count("pk"), oldest=Min("due_on"))
    )


def _late_phase_partnerships(today: date) -> Any:
    from infrastructure.models import SitePhase, SiteStatus

    return (
        SitePhase.objects.filter(planned_ready_on__lt=today, actual_ready_on__isnull=True)
        .exclude(site__status=SiteStatus.CANCELLED)
        .order_by()
        .values_list("site__partnership")
        .annotate(n=Count("pk"), oldest=Min("planned_ready_on"))
    )


def _late_requirement_partnerships(today: date) -> Any:
    from localization.models import LocalizationRequirement, RequirementStatus

    # COUNT(*): the rows are read from the partial index of open requirements alone.
    return (
        LocalizationRequirement.objects.filter(target_on__lt=today)
        .exclude(status__in=(RequirementStatus.LIVE, RequirementStatus.REJECTED))
        .order_by()
        .values_list("partnership")
        .annotate(n=Count("*"), oldest=Min("target_on"))
    )


def _signals(groups: Any) -> dict[int, tuple[int, date]]:
    """(partnership, count, oldest date) groups, by partnership."""
    return {pk: (n, oldest) for pk, n, oldest in groups}


def coverage(scope: Reader, *, kept: bool = False) -> dict[str, Any]:
    """Country x service domain: requirements live out of all requirements (the dashboard links
    each cell to its list by code and domain). ``kept``: from the figures kept per country
    (dashboards; a report may read a partnership's requirements alone), else one grouped query
    and the countries' codes."""
    from localization.models import LocalizationRequirement, RequirementStatus, ServiceDomain

    cells: dict[tuple[int, str], dict[str, int]] = {}
    if kept:
        from partnerships.models import CountryFigures
        from partnerships.rollups import COVERAGE, kept_figures

        codes = {}
        for pk, code, domains in kept_figures(scope.rows(CountryFigures.objects.all()), COVERAGE):
            if domains:
                codes[pk] = code
            for domain, (live, total) in domains.items():
                cells[pk, domain] = {"live": live, "total": total}
    else:
        counts = (
            scope.rows(LocalizationRequirement.objects.all())
            .order_by()
            .values_list("country", "service_domain")
            # Counted on indexed columns, not the id: read from the coverage index alone.
            .annotate(
                total=Count("*"), live=Count("status", filter=Q(status=RequirementStatus.LIVE))
            )
        )
        cells = {
            (country, domain): {"live": live, "total": total}
            for country, domain, total, live in counts
        }
        codes = dict(
            Country.objects.filter(pk__in={country for country, _domain in cells}).values_list(
                "pk", "code"
            )
        )
    names = {pk: country_name(str(code)) for pk, code in codes.items()}
    domains = [{"value": str(d.value), "label": str(d.label)} for d in ServiceDomain]
    empty = {"live": 0, "total": 0}
    rows = [
        {
            "code": str(codes[pk]),
            "name": name,
            "cells": [cells.get((pk, d["value"]), empty) for d in domains],
        }
        for pk, name in sorted(names.items(), key=lambda item: item[1])
    ]
    return {"domains": domains, "rows": rows}


def waiting_for_government(scope: Reader) -> dict[str, Any]:
    """On a country dashboard: what the government side has to do (confirm, sign off)."""
    from financing.models import Commitment, CommitmentStatus, Side
    from localization.models import LocalizationRequirement, RequirementStatus

    figures = scope.rows(
        Commitment.objects.filter(side=Side.GOVERNMENT, government_confirmed_at__isnull=True)
        .exclude(status=CommitmentStatus.CANCELLED)
        .select_related("partnership", "funder")
    )
    requirements = scope.rows(
        LocalizationRequirement.objects.filter(status=RequirementStatus.IN_REVIEW).select_related(
            "partnership", "locale"
        )
    )
    signed = StageSignOff.objects.filter(
        partnership=OuterRef("pk"), gate=Stage.SIGNED, side=SignOffSide.GOVERNMENT
    )
    gates = scope.rows(Partnership.objects.filter(stage=Stage.NEGOTIATING).filter(~Exists(signed)))
    return {
        "figures": list(figures.order_by("pk")[:20]),
        "requirements": list(requirements.order_by("target_on", "pk")[:20]),
        "gates": list(gates.order_by("code")[:20]),
    }


def dashboard(user: Any, *, today: date, country: Country | None = None) -> dict[str, Any]:
    """The rollups of a dashboard for ``user``. Not cached as such: the page caches them
    rendered (``dashboard_html``), and pickling two hundred countries' rows into the shared
    cache cost a cold dashboard more than it ever saved."""
    scope = Scope(user=user, country=country)
    context: dict[str, Any] = {
        "scope_query": scope.query(),
        "pipeline": pipeline(scope),
        "map_countries": map_countries(scope),
        "cofinancing": cofinancing(scope, today, kept=True),
        "capacity": capacity(scope, kept=True),
        "overdue": overdue_milestones(scope, today),
        "attention": attention(scope, today, kept=True),
        "coverage": coverage(scope, kept=True),
        "today": today,
    }
    if country is not None:
        context["waiting"] = waiting_for_government(scope)
    return context


# Cached dashboards. Every write to the program's data moves one version number on (signals in
# partnerships/signals.py; bulk loaders call dashboards_invalidate()), and the version is part
# of every key: a dashboard is never older than the last write. Readers who see the same
# countries share an entry; the language is in the key because rollups hold translated text.
DATA_VERSION = VersionCounter("dashboards:version")
# Rendered dashboards and filter forms, also kept in each process (their keys hold the version).
RENDERED = LocalCopies(size=64)


def dashboards_invalidate() -> None:
    DATA_VERSION.bump()


def scope_cache_key(user: Any, kind: str, *parts: object) -> str:
    """A cache key for something ``user`` reads that depends only on what they may see: the
    data version (so no entry outlives a write), the language and the reader's countries are
    in it. Dashboards and the lists' filter forms and counts are cached under such keys."""
    from partnerships.access import view_scope_digest

    rest = ":".join(str(part) for part in parts)
    return f"{kind}:{DATA_VERSION.current()}:{get_language()}:{view_scope_digest(user)}:{rest}"


def _cache_key(user: Any, today: date, country: Country | None) -> str:
    where = country.pk if country is not None else "-"
    return scope_cache_key(user, "dashboard", today.isoformat(), where)


def dashboard_html(
    user: Any, *, today: date, country: Country | None = None, for_you: bool = False
) -> bytes:
    """The dashboard's figures rendered once per scope and cached like the rollups (same
    versioned key), as UTF-8, escaped by the template engine like any page: a warm dashboard
    costs one cache read, not the rollups, a template render nor encoding the text again.
    ``for_you`` says a country's waiting list is the reader's own to act on."""
    from django.conf import settings
    from django.template.loader import render_to_string

    key = _cache_key(user, today, country) + (":utf8:you" if for_you else ":utf8")

    def render() -> bytes:
        context = dashboard(user, today=today, country=country)
        return render_to_string("ui/_dashboard.html", {**context, "for_you": for_you}).encode()

    return RENDERED.get_or_set(key, render, timeout=settings.DASHBOARD_CACHE_SECONDS)
