"""Reads for infrastructure: the capacity timeline (MW online by quarter)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from infrastructure.models import SitePhase


@dataclass(frozen=True)
class QuarterCapacity:
    quarter: str  # "2026-Q3"
    planned_mw: Decimal  # cumulative MW planned to be ready by the end of the quarter
    energized_mw: Decimal  # cumulative MW energized by then (by actual ready dates)


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def capacity_timeline(phases: Iterable[SitePhase]) -> list[QuarterCapacity]:
    """Cumulative planned and energized MW per quarter, from phase ready-for-service dates.

    ``phases`` must already be restricted to what the reader may see; one pass, no queries.
    """
    planned: dict[str, Decimal] = {}
    energized: dict[str, Decimal] = {}
    for phase in phases:
        if phase.planned_ready_on:
            key = quarter_of(phase.planned_ready_on)
            planned[key] = planned.get(key, Decimal(0)) + phase.planned_mw
        if phase.actual_ready_on and phase.energized_mw:
            key = quarter_of(phase.actual_ready_on)
            energized[key] = energized.get(key, Decimal(0)) + phase.energized_mw
    return capacity_by_quarter(planned, energized)


def capacity_by_quarter(
    planned: Mapping[str, Decimal], energized: Mapping[str, Decimal]
) -> list[QuarterCapacity]:
    """The cumulative timeline of MW planned and energized in each quarter ("2026-Q3")."""
    timeline, total_planned, total_energized = [], Decimal(0), Decimal(0)
    for quarter in sorted(planned.keys() | energized.keys()):
        total_planned += planned.get(quarter, Decimal(0))
        total_energized += energized.get(quarter, Decimal(0))
        timeline.append(QuarterCapacity(quarter, total_planned, total_energized))
    return timeline
