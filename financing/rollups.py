"""Co-financing figures kept per country: the portfolio's split is a sum of one row per country.

Converting every amount at its day's rate costs a pass over all disbursements (200,000 at 200
countries, a third of a second); the kept figures make it a read of a row per country, and only
the countries whose figures no longer hold are converted again, in one query for all of them.

Figures never outlive a write: a write to a country's commitments or disbursements moves that
country's ``revision`` on, a rate write every country's, in the writer's own transaction
(``financing/signals.py``; bulk loaders call ``mark_all_stale``). A reader stores what it
converted under the revision it read first, so a write that lands meanwhile leaves the row
stale rather than covered. Figures also expire on their own: a disbursement dated tomorrow
counts from tomorrow, so ``valid_until`` is the first such day, and the nightly
``refresh_cofinancing`` task converts those countries before the first reader of the day.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from django.db import DatabaseError, transaction
from django.db.models import F, Min, QuerySet

from financing.models import (
    FIRM_STATUSES,
    Commitment,
    CountryCofinancing,
    Disbursement,
    ExchangeRate,
)
from financing.selectors import CofinancingSplit, Totals, totals_by_country

logger = logging.getLogger(__name__)
KEPT_FIELDS = ["computed_revision", "as_of", "valid_until", "sides", "missing", "rate_ids"]


def mark_stale(country_ids: Iterable[int]) -> None:
    """The kept figures of these countries no longer hold (their ledger was written)."""
    ids = sorted(set(country_ids))
    if not ids:
        return
    CountryCofinancing.objects.bulk_create(
        [CountryCofinancing(country_id=pk) for pk in ids], ignore_conflicts=True
    )
    CountryCofinancing.objects.filter(country__in=ids).update(revision=F("revision") + 1)


def mark_all_stale() -> None:
    """No kept figure holds (a rate was written, or rows were written in bulk)."""
    with_commitments = Commitment.objects.order_by().values_list("country", flat=True).distinct()
    CountryCofinancing.objects.bulk_create(
        [CountryCofinancing(country_id=pk) for pk in with_commitments], ignore_conflicts=True
    )
    CountryCofinancing.objects.update(revision=F("revision") + 1)


def _convert(rows: list[CountryCofinancing], as_of: date) -> None:
    """Convert the ledgers of ``rows``' countries as of ``as_of`` and store the figures, under
    the revision each row was read at; five queries whatever the number of countries."""
    ids = [row.country_id for row in rows]
    firm = Commitment.objects.filter(country__in=ids, status__in=FIRM_STATUSES).order_by()
    by_country = totals_by_country(firm, as_of)
    next_paid = dict(
        Disbursement.objects.filter(commitment__in=firm.values("pk"), paid_on__gt=as_of)
        .order_by()
        .values_list("commitment__country")
        .annotate(first=Min("paid_on"))
    )
    next_rate = ExchangeRate.objects.filter(on__gt=as_of).aggregate(first=Min("on"))["first"]
    for row in rows:
        pk = row.country_id
        totals = by_country.get(pk, Totals())
        row.computed_revision = row.revision
        row.as_of = as_of
        row.valid_until = min((d for d in (next_paid.get(pk), next_rate) if d), default=None)
        row.sides = {
            side: [str(t.committed_usd), str(t.disbursed_usd), t.commitments]
            for side, t in totals.sides.items()
        }
        row.missing = totals.missing
        row.rate_ids = sorted(totals.rate_ids)
    # One INSERT .. ON CONFLICT UPDATE that leaves ``revision`` as the writers moved it, in
    # country order (the order writers lock rows in). Storing only saves the next reader work:
    # if it fails (a deadlock with a rate write that marks every row), this reader's figures
    # stand and the rows stay stale.
    try:
        with transaction.atomic():
            CountryCofinancing.objects.bulk_create(
                sorted(rows, key=lambda row: row.country_id),
                update_conflicts=True,
                unique_fields=["country"],
                update_fields=KEPT_FIELDS,
            )
    except DatabaseError:
        logger.warning("Kept co-financing figures not stored", exc_info=True)


def _convert_stale(rows: list[CountryCofinancing], as_of: date) -> int:
    """Convert those of ``rows`` that no longer hold as of ``as_of``; how many."""
    stale = [row for row in rows if not row.holds(as_of)]
    if stale:
        _convert(stale, as_of)
    return len(stale)


def kept_cofinancing(rows: QuerySet[CountryCofinancing], *, as_of: date) -> CofinancingSplit:
    """The co-financing split of the countries of ``rows`` (already restricted to what the
    reader may see) as of ``as_of``: the same figures as ``cofinancing_totals`` over their
    commitments, from the kept rows, converting again only those that no longer hold."""
    # Read as values, not rows: building two hundred model instances cost more than the sums.
    names = ["country_id", "revision", *KEPT_FIELDS]
    kept: list[CountryCofinancing] = []
    figures = []
    for values in rows.order_by().values_list(*names):
        row = dict(zip(names, values, strict=True))
        if CountryCofinancing.holds(SimpleNamespace(**row), as_of):  # type: ignore[arg-type]
            figures.append((row["sides"], row["missing"], row["rate_ids"]))
        else:
            kept.append(CountryCofinancing(**row))
    if kept:
        _convert(kept, as_of)
        figures += [(row.sides, row.missing, row.rate_ids) for row in kept]
    totals = Totals()
    for sides, missing, rate_ids in figures:
        for side, (committed, disbursed, n) in sides.items():
            summed = totals.sides[side]
            summed.committed_usd += Decimal(committed)
            summed.disbursed_usd += Decimal(disbursed)
            summed.commitments += n
        totals.rate_ids.update(rate_ids)
        totals.missing += missing
    return totals.split(as_of)


def refresh(as_of: date) -> int:
    """Convert every country whose kept figures do not hold as of ``as_of``; how many."""
    return _convert_stale(list(CountryCofinancing.objects.all()), as_of)
