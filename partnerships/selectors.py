"""Reads for partnerships: the explained, computed health of a partnership."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from partnerships.models import STAGE_PATH, Health, Partnership, Stage

_SEVERITY: dict[str, int] = {Health.ON_TRACK: 0, Health.AT_RISK: 1, Health.OFF_TRACK: 2}
LONG_OVERDUE = timedelta(days=90)


@dataclass(frozen=True)
class HealthFactor:
    """One explained input of a partnership's health, with the records it comes from."""

    code: str
    label: str
    level: str
    explanation: str
    records: tuple[Any, ...] = ()


@dataclass(frozen=True)
class HealthAssessment:
    computed: str
    factors: tuple[HealthFactor, ...]
    override: str = ""
    override_reason: str = ""

    @property
    def level(self) -> str:
        return self.override or self.computed

    @property
    def is_overridden(self) -> bool:
        return bool(self.override) and self.override != self.computed


def _worst(levels: list[str]) -> str:
    return max(levels, key=_SEVERITY.__getitem__, default=Health.ON_TRACK)


def _lateness(items: list[Any], due: str, today: date) -> str:
    if not items:
        return Health.ON_TRACK
    oldest = min(getattr(i, due) for i in items)
    return Health.OFF_TRACK if len(items) >= 3 or today - oldest > LONG_OVERDUE else Health.AT_RISK


def _reached(partnership: Partnership, stage: str) -> bool:
    current = partnership.stage_before_hold or partnership.stage
    return current in STAGE_PATH and STAGE_PATH.index(current) >= STAGE_PATH.index(stage)


def partnership_health(partnership: Partnership, *, today: date) -> HealthAssessment:
    """Schedule, capital, infrastructure and localization factors; the worst one sets the level."""
    from financing.selectors import RateBook, cofinancing_totals
    from infrastructure.models import SitePhase, SiteStatus
    from localization.models import RequirementStatus

    overdue = [m for m in partnership.milestones.all() if m.is_overdue(today)]
    schedule = HealthFactor(
        "schedule",
        _("Schedule"),
        _lateness(overdue, "due_on", today),
        _("%(n)d milestone(s) overdue.") % {"n": len(overdue)}
        if overdue
        else _("No milestone is overdue."),
        tuple(overdue),
    )

    capital_records: tuple[Any, ...] = ()
    capital_level, capital_text = Health.ON_TRACK, _("Not yet due.")
    planned = partnership.planned_investment
    if _reached(partnership, Stage.SIGNED) and planned is not None and planned.amount > 0:
        # Summed by the database: a partnership at scale holds hundreds of commitments and
        # thousands of disbursements.
        split = cofinancing_totals(partnership.commitments.all(), as_of=today)
        book = RateBook.load([str(planned.currency)], today)
        planned_usd = book.to_usd(planned.amount, str(planned.currency), today)
        if planned_usd:
            ratio = split.committed_usd / planned_usd
            capital_level = (
                Health.ON_TRACK
                if ratio >= Decimal("0.75")
                else Health.AT_RISK
                if ratio >= Decimal("0.4")
                else Health.OFF_TRACK
            )
            capital_text = _("%(pct)s%% of planned co-financing is firmly committed.") % {
                "pct": (ratio * 100).quantize(Decimal("1"))
            }
            capital_records = tuple(split.rates_used)
    capital = HealthFactor("capital", _("Capital"), capital_level, capital_text, capital_records)

    late_phases = list(
        SitePhase.objects.filter(
            site__partnership=partnership,
            planned_ready_on__lt=today,
            actual_ready_on__isnull=True,
        )
        .exclude(site__status=SiteStatus.CANCELLED)
        .select_related("site")
    )
    held_sites = list(partnership.sites.filter(status=SiteStatus.ON_HOLD))
    infra_level = _worst(
        [
            _lateness(late_phases, "planned_ready_on", today),
            Health.AT_RISK if held_sites else Health.ON_TRACK,
        ]
    )
    infrastructure = HealthFactor(
        "infrastructure",
        _("Infrastructure"),
        infra_level,
        _("%(late)d phase(s) past their ready-for-service date; %(held)d site(s) on hold.")
        % {"late": len(late_phases), "held": len(held_sites)},
        tuple(late_phases) + tuple(held_sites),
    )

    late_requirements = list(
        partnership.requirements.filter(target_on__lt=today).exclude(
            status__in=(RequirementStatus.LIVE, RequirementStatus.REJECTED)
        )
    )
    localization = HealthFactor(
        "localization",
        _("Localization"),
        _lateness(late_requirements, "target_on", today),
        _("%(n)d requirement(s) past their target date.") % {"n": len(late_requirements)},
        tuple(late_requirements),
    )

    factors = (schedule, capital, infrastructure, localization)
    return HealthAssessment(
        computed=_worst([f.level for f in factors]),
        factors=factors,
        override=partnership.health_override,
        override_reason=partnership.health_override_reason,
    )
