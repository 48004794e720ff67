"""Dashboard figures kept per country and per partnership, like the co-financing figures
(``financing/rollups.py``): a cold dashboard sums a row per country, and reads a row per
partnership, instead of counting 20,000 requirements, grouping every site phase by quarter and
grouping the late rows of three tables by partnership.

- ``CountryFigures``: localization coverage (requirements live / all, per service domain) and
  data-center capacity (MW planned and energized per quarter), which no calendar day changes.
- ``PartnershipSignals``: each partnership's late milestones, site phases and requirements as of
  a day, for the attention list; they hold until the next open row falls due.

Figures never outlive a write: a write to a requirement, a site phase, a site or a milestone
moves the revision of the figures it changes on, in the writer's own transaction
(``localization/signals.py``, ``infrastructure/signals.py``, ``partnerships/signals.py``; bulk
loaders call ``mark_all_stale``). A reader computes again, in a fixed number of queries for all
of them, only the rows whose revision moved (or whose day passed), and stores what it computed
under the revision it read first, so a write that lands meanwhile leaves the row stale.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import DatabaseError, transaction
from django.db.models import Count, F, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncQuarter

from partnerships.models import CountryFigures, Partnership, PartnershipSignals

logger = logging.getLogger(__name__)
COVERAGE, CAPACITY = "coverage", "capacity"
KINDS = (COVERAGE, CAPACITY)


def _store(model: Any, rows: list[Any], unique: str, fields: list[str]) -> None:
    """One INSERT .. ON CONFLICT UPDATE of ``fields`` (never the revisions the writers move),
    in key order (the order writers lock rows in). Storing only saves the next reader work: if
    it fails (a deadlock with a bulk mark), this reader's figures stand and the rows stay stale."""
    try:
        with transaction.atomic():
            model.objects.bulk_create(
                sorted(rows, key=lambda row: row.pk),
                update_conflicts=True,
                unique_fields=[unique],
                update_fields=fields,
            )
    except DatabaseError:
        logger.warning("Kept %s not stored", model._meta.verbose_name_plural, exc_info=True)


# Country figures ------------------------------------------------------------------------------


def mark_figures_stale(kind: str, country_ids: Iterable[int | None]) -> None:
    """The kept ``kind`` figures of these countries no longer hold (their rows were written)."""
    ids = sorted({pk for pk in country_ids if pk is not None})
    if not ids:
        return
    CountryFigures.objects.bulk_create(
        [CountryFigures(country_id=pk) for pk in ids], ignore_conflicts=True
    )
    CountryFigures.objects.filter(country__in=ids).update(
        **{f"{kind}_revision": F(f"{kind}_revision") + 1}
    )


def _countries_with_figures() -> set[int]:
    from infrastructure.models import SitePhase
    from localization.models import LocalizationRequirement

    requirements = LocalizationRequirement.objects.order_by().values_list("country", flat=True)
    phases = SitePhase.objects.order_by().values_list("site__country", flat=True)
    return set(requirements.distinct()) | set(phases.distinct())


def _compute_coverage(ids: list[int]) -> dict[int, dict[str, list[int]]]:
    from localization.models import LocalizationRequirement, RequirementStatus

    cells: dict[int, dict[str, list[int]]] = {pk: {} for pk in ids}
    counts = (
        LocalizationRequirement.objects.filter(country__in=ids)
        .order_by()
        .values_list("country", "service_domain")
        # Counted on indexed columns, not the id: read from the coverage index alone.
        .annotate(total=Count("*"), live=Count("status", filter=Q(status=RequirementStatus.LIVE)))
    )
    for country, domain, total, live in counts:
        cells[country][domain] = [live, total]
    return cells


def _compute_capacity(ids: list[int]) -> dict[int, dict[str, dict[str, str]]]:
    from infrastructure.models import SitePhase
    from infrastructure.selectors import quarter_of

    phases = SitePhase.objects.filter(site__country__in=ids).order_by()
    planned = (
        phases.filter(planned_ready_on__isnull=False)
        .annotate(quarter=TruncQuarter("planned_ready_on"))
        .values_list("site__country", "quarter")
        .annotate(mw=Sum("planned_mw"))
    )
    energized = (
        phases.filter(actual_ready_on__isnull=False, energized_mw__gt=0)
        .annotate(quarter=TruncQuarter("actual_ready_on"))
        .values_list("site__country", "quarter")
        .annotate(mw=Sum("energized_mw"))
    )
    sums: dict[int, dict[str, dict[str, Decimal]]] = {
        pk: {"planned": {}, "energized": {}} for pk in ids
    }
    for side, groups in (("planned", planned), ("energized", energized)):
        for country, day, mw in groups:
            quarters = sums[country][side]
            quarters[quarter_of(day)] = quarters.get(quarter_of(day), Decimal(0)) + mw
    return {
        pk: {side: {q: str(mw) for q, mw in quarters.items()} for side, quarters in sides.items()}
        for pk, sides in sums.items()
    }


_COMPUTE: dict[str, Any] = {COVERAGE: _compute_coverage, CAPACITY: _compute_capacity}


def kept_figures(rows: QuerySet[CountryFigures], kind: str) -> list[tuple[int, str, Any]]:
    """(country id, country code, figures) of ``kind`` for the countries of ``rows`` (already
    restricted to what the reader may see), computing again only those that no longer hold;
    two queries when none is stale, four or five when some are."""
    revision, computed = f"{kind}_revision", f"{kind}_computed"
    read = list(rows.order_by().values_list("country", "country__code", revision, computed, kind))
    stale = {pk: seen for pk, _code, seen, done, _figures in read if seen != done}
    if not stale:
        return [(pk, code, figures) for pk, code, _seen, _done, figures in read]
    fresh = _COMPUTE[kind](sorted(stale))
    _store(
        CountryFigures,
        [
            CountryFigures(country_id=pk, **{computed: seen, kind: fresh[pk]})
            for pk, seen in stale.items()
        ],
        "country",
        [computed, kind],
    )
    return [(pk, code, fresh.get(pk, figures)) for pk, code, _seen, _done, figures in read]


def refresh_figures() -> int:
    """Compute every country's figures that no longer hold; how many rows, of any kind."""
    done = 0
    for kind in KINDS:
        stale = CountryFigures.objects.exclude(**{f"{kind}_computed": F(f"{kind}_revision")})
        done += len(kept_figures(stale, kind))
    return done


# Partnership signals --------------------------------------------------------------------------

SIGNALS = ("milestones", "phases", "requirements")


class Signals(NamedTuple):
    """A partnership's late rows of each kind as of a day: (count, oldest date), or None."""

    milestones: tuple[int, date] | None
    phases: tuple[int, date] | None
    requirements: tuple[int, date] | None


def mark_signals_stale(partnership_ids: Iterable[int | None]) -> None:
    """The kept signals of these partnerships no longer hold (their rows were written)."""
    ids = sorted({pk for pk in partnership_ids if pk is not None})
    if not ids:
        return
    PartnershipSignals.objects.bulk_create(
        [PartnershipSignals(partnership_id=pk) for pk in ids], ignore_conflicts=True
    )
    PartnershipSignals.objects.filter(partnership__in=ids).update(revision=F("revision") + 1)


def _open_rows(today: date) -> list[tuple[str, Any, str, str]]:
    """Each signal's open rows: (signal, queryset, path to the partnership, the date field)."""
    from infrastructure.models import SitePhase, SiteStatus
    from localization.models import LocalizationRequirement, RequirementStatus
    from partnerships.models import Milestone

    return [
        (
            "milestones",
            Milestone.objects.filter(completed_on__isnull=True),
            "partnership",
            "due_on",
        ),
        (
            "phases",
            SitePhase.objects.filter(actual_ready_on__isnull=True).exclude(
                site__status=SiteStatus.CANCELLED
            ),
            "site__partnership",
            "planned_ready_on",
        ),
        (
            "requirements",
            LocalizationRequirement.objects.exclude(
                status__in=(RequirementStatus.LIVE, RequirementStatus.REJECTED)
            ),
            "partnership",
            "target_on",
        ),
    ]


def _compute_signals(ids: list[int], today: date) -> dict[int, PartnershipSignals]:
    """Three grouped queries whatever the number of partnerships: each signal's late rows and
    the first day on which another of its open rows falls late."""
    found = {pk: PartnershipSignals(partnership_id=pk, as_of=today, valid_until=None) for pk in ids}
    for signal, rows, path, day in _open_rows(today):
        late = Q(**{f"{day}__lt": today})
        groups = (
            rows.filter(**{f"{path}__in": ids})
            .order_by()
            .values_list(path)
            .annotate(
                n=Count("pk", filter=late),
                oldest=Min(day, filter=late),
                due_next=Min(day, filter=Q(**{f"{day}__gte": today})),
            )
        )
        for pk, n, oldest, due_next in groups:
            kept = found[pk]
            setattr(kept, f"{signal}_late", n)
            setattr(kept, f"{signal}_oldest", oldest)
            if due_next is not None:
                # Late from the day after its date: the figures hold until then.
                until = due_next + timedelta(days=1)
                kept.valid_until = min(kept.valid_until or until, until)
    return found


_SIGNAL_FIELDS = [f"{signal}_{part}" for signal in SIGNALS for part in ("late", "oldest")]
_KEPT_SIGNAL_FIELDS = ["computed_revision", "as_of", "valid_until", *_SIGNAL_FIELDS]


def _signals(values: Any) -> Signals:
    """Signals from the six values (count, oldest) x (milestones, phases, requirements)."""
    pairs = [(values[i], values[i + 1]) for i in range(0, 6, 2)]
    return Signals(*((n, oldest) if n else None for n, oldest in pairs))


def kept_signals(partnerships: QuerySet[Partnership], today: date) -> list[tuple[Any, Signals]]:
    """(pk, code, title, health override, its reason), with their signals as of ``today``, for
    the partnerships of ``partnerships`` (already restricted to what the reader may see): one
    query when every row holds, four more for all those that do not."""
    kept = [f"kept_signals__{name}" for name in ("revision", *_KEPT_SIGNAL_FIELDS)]
    fields = ("pk", "code", "title", "health_override", "health_override_reason")
    read = list(partnerships.order_by().values_list(*fields, *kept))
    width = len(fields)
    stale: dict[int, int] = {}
    for row in read:
        revision, computed, as_of, valid_until = row[width : width + 4]
        holds = (
            revision is not None
            and computed == revision
            and as_of is not None
            and as_of <= today
            and (valid_until is None or today < valid_until)
        )
        if not holds:
            stale[row[0]] = revision or 0
    fresh: dict[int, PartnershipSignals] = {}
    if stale:
        fresh = _compute_signals(sorted(stale), today)
        for pk, revision in stale.items():
            fresh[pk].revision = fresh[pk].computed_revision = revision
        _store(PartnershipSignals, list(fresh.values()), "partnership", _KEPT_SIGNAL_FIELDS)
    result = []
    for row in read:
        computed = fresh.get(row[0])
        if computed is not None:
            values: Any = [getattr(computed, name) for name in _SIGNAL_FIELDS]
        else:
            values = row[width + 4 :]
        result.append((row[:width], _signals(values)))
    return result


def refresh_signals(today: date) -> int:
    """Compute the signals of every partnership whose kept ones do not hold as of ``today``
    (the nightly task: a day on, rows fall late); how many partnerships were read."""
    from partnerships.models import Stage

    return len(kept_signals(Partnership.objects.exclude(stage=Stage.CANCELLED), today))


def mark_all_stale() -> None:
    """No kept figure or signal holds (rows were written in bulk, without signals)."""
    ids = sorted(_countries_with_figures())
    CountryFigures.objects.bulk_create(
        [CountryFigures(country_id=pk) for pk in ids], ignore_conflicts=True
    )
    CountryFigures.objects.update(
        **{f"{kind}_revision": F(f"{kind}_revision") + 1 for kind in KINDS}
    )
    PartnershipSignals.objects.update(revision=F("revision") + 1)


def deleted_with_partnership(kwargs: dict[str, Any]) -> bool:
    """True for a ``post_delete`` sent while a whole partnership is deleted: its kept signals go
    with it, and marking them would write a row for a partnership about to be gone."""
    origin = kwargs.get("origin")
    return getattr(origin, "model", type(origin)) is Partnership
