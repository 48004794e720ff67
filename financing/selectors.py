"""Reads for the co-financing ledger: USD conversion at value-date rates, and the split by side."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least, Round, TruncDate

from financing.models import FIRM_STATUSES, Commitment, Disbursement, ExchangeRate, Side
from openai_countries.money import REPORTING_CURRENCY, ZERO

CENT = Decimal("0.01")


@dataclass
class RateBook:
    """Exchange rates loaded once, looked up in memory at the value date or the latest before it.

    Every rate actually used is remembered so that a rollup can say which rates it used; a
    conversion with no rate on or before its date is counted as missing instead of guessed.
    """

    _dates: dict[str, list[date]] = field(default_factory=dict)
    _rates: dict[str, list[ExchangeRate]] = field(default_factory=dict)
    used: dict[int, ExchangeRate] = field(default_factory=dict)
    missing: set[tuple[str, date]] = field(default_factory=set)

    @classmethod
    def load(cls, currencies: Iterable[str], until: date) -> RateBook:
        book = cls()
        wanted = {c for c in currencies if c != REPORTING_CURRENCY}
        rates = ExchangeRate.objects.filter(currency__in=wanted, on__lte=until).order_by("on")
        for rate in rates:
            book._dates.setdefault(str(rate.currency), []).append(rate.on)
            book._rates.setdefault(str(rate.currency), []).append(rate)
        return book

    def to_usd(self, amount: Decimal, currency: str, on: date) -> Decimal | None:
        if currency == REPORTING_CURRENCY:
            return amount
        dates = self._dates.get(currency, [])
        index = bisect.bisect_right(dates, on) - 1
        if index < 0:
            self.missing.add((currency, on))
            return None
        rate = self._rates[currency][index]
        self.used[rate.pk] = rate
        return (amount * rate.rate_to_usd).quantize(CENT)

    @property
    def rates_used(self) -> list[ExchangeRate]:
        return sorted(self.used.values(), key=lambda r: (str(r.currency), r.on))


@dataclass
class SideTotals:
    committed_usd: Decimal = ZERO
    disbursed_usd: Decimal = ZERO
    commitments: int = 0


@dataclass
class CofinancingSplit:
    """Committed and disbursed money by side (company / government / other), in USD."""

    as_of: date
    sides: dict[str, SideTotals]
    rates_used: list[ExchangeRate]
    missing_rates: list[tuple[str, date]]
    # Amounts (commitments and disbursements) left out for want of a rate.
    missing_count: int = 0

    @property
    def committed_usd(self) -> Decimal:
        return sum((s.committed_usd for s in self.sides.values()), ZERO)

    @property
    def disbursed_usd(self) -> Decimal:
        return sum((s.disbursed_usd for s in self.sides.values()), ZERO)

    def share(self, side: str) -> Decimal:
        total = self.committed_usd
        if not total:
            return ZERO
        return (self.sides[side].committed_usd * 100 / total).quantize(Decimal("0.1"))


def cofinancing_split(commitments: QuerySet[Commitment], *, as_of: date) -> CofinancingSplit:
    """The split of firm commitments and their disbursements up to ``as_of``, in three queries.

    ``commitments`` must already be restricted to what the reader may see.
    """
    # partnership_id too: from a partnership's related manager, Django sets each row's
    # partnership and would otherwise load the deferred column one query per row.
    firm = list(
        commitments.filter(status__in=FIRM_STATUSES).only(
            "pk",
            "partnership_id",
            "side",
            "amount",
            "amount_currency",
            "committed_on",
            "created_at",
        )
    )
    disbursements = list(
        Disbursement.objects.filter(commitment__in=[c.pk for c in firm], paid_on__lte=as_of).only(
            "commitment_id", "amount", "paid_on"
        )
    )
    book = RateBook.load({str(c.amount.currency) for c in firm}, as_of)
    sides = {side: SideTotals() for side in Side.values}
    currency_of = {}
    for c in firm:
        currency = str(c.amount.currency)
        currency_of[c.pk] = (currency, c.side)
        value_date = min(c.committed_on or c.created_at.date(), as_of)
        usd = book.to_usd(c.amount.amount, currency, value_date)
        sides[c.side].commitments += 1
        if usd is not None:
            sides[c.side].committed_usd += usd
    paid: dict[int, list[Disbursement]] = defaultdict(list)
    for d in disbursements:
        paid[d.commitment_id].append(d)
        currency, side = currency_of[d.commitment_id]
        usd = book.to_usd(d.amount, currency, d.paid_on)
        if usd is not None:
            sides[side].disbursed_usd += usd
    return CofinancingSplit(
        as_of=as_of,
        sides=sides,
        rates_used=book.rates_used,
        missing_rates=sorted(book.missing),
        missing_count=len(book.missing),
    )


def _usd(amount: str, currency: str, day: Any) -> tuple[Any, Any]:
    """The USD value of ``amount`` (rounded to the cent, as RateBook does) at the latest rate on
    or before ``day``, and that rate's id; both null when there is no such rate."""
    latest = ExchangeRate.objects.filter(
        currency=OuterRef(currency), on__lte=OuterRef(day)
    ).order_by("-on")
    rate = Subquery(latest.values("rate_to_usd")[:1])
    usd = Case(
        When(**{currency: REPORTING_CURRENCY}, then=F(amount)),
        default=Round(F(amount) * rate, 2),
        output_field=DecimalField(max_digits=24, decimal_places=2),
    )
    return usd, Subquery(latest.values("pk")[:1])


# PostgreSQL joins each amount to the rate in force on its day (rates as validity intervals):
# one pass over the rows instead of a lookup per row. Groups come out by country, side and rate.
_TOTALS_SQL = """
WITH rates AS (
    SELECT id, currency, "on" AS valid_from, rate_to_usd,
           LEAD("on") OVER (PARTITION BY currency ORDER BY "on") AS valid_to
    FROM financing_exchangerate WHERE "on" <= %s
), firm AS (
    SELECT id, country_id, side, amount, amount_currency,
           LEAST(COALESCE(committed_on, (created_at AT TIME ZONE 'UTC')::date), %s)
             AS value_day
    FROM financing_commitment WHERE id IN ({firm})
)
SELECT 'committed', f.country_id, f.side, f.amount_currency = %s, r.id, COUNT(*),
       SUM(CASE WHEN f.amount_currency = %s THEN f.amount
                ELSE ROUND(f.amount * r.rate_to_usd, 2) END)
FROM firm f LEFT JOIN rates r ON r.currency = f.amount_currency
     AND f.value_day >= r.valid_from AND (r.valid_to IS NULL OR f.value_day < r.valid_to)
GROUP BY 2, 3, 4, 5
UNION ALL
SELECT 'disbursed', f.country_id, f.side, f.amount_currency = %s, r.id, COUNT(*),
       SUM(CASE WHEN f.amount_currency = %s THEN d.amount
                ELSE ROUND(d.amount * r.rate_to_usd, 2) END)
FROM financing_disbursement d JOIN firm f ON f.id = d.commitment_id
LEFT JOIN rates r ON r.currency = f.amount_currency
     AND d.paid_on >= r.valid_from AND (r.valid_to IS NULL OR d.paid_on < r.valid_to)
WHERE d.paid_on <= %s
GROUP BY 2, 3, 4, 5
"""


def totals_rows(
    firm: QuerySet[Commitment], as_of: date
) -> list[tuple[str, int, str, Any, int, Any]]:
    """(what, country id, side, rate id, count, usd) groups of the firm commitments ``firm``
    and their disbursements up to ``as_of``; usd is None where no rate applies."""
    from django.db import connection

    if connection.vendor == "postgresql":
        firm_sql, firm_params = firm.values("pk").query.sql_with_params()
        dollar = REPORTING_CURRENCY
        # Parameters in the order their placeholders appear, the scope's own in the middle.
        params = [as_of, as_of, *firm_params, dollar, dollar, dollar, dollar, as_of]
        with connection.cursor() as cursor:
            cursor.execute(_TOTALS_SQL.format(firm=firm_sql), params)
            return [
                (what, country, side, rate_id, n, usd if is_usd or rate_id is not None else None)
                for what, country, side, is_usd, rate_id, n, usd in cursor.fetchall()
            ]
    value_day = Least(Coalesce("committed_on", TruncDate("created_at")), Value(as_of))
    usd, rate_id = _usd("amount", "amount_currency", "value_day")
    committed = (
        firm.annotate(value_day=value_day, rate_id=rate_id)
        .values("country", "side", "rate_id")
        .annotate(usd=Sum(usd), n=Count("pk"))
    )
    usd, rate_id = _usd("amount", "commitment__amount_currency", "paid_on")
    paid = (
        Disbursement.objects.filter(commitment__in=firm.values("pk"), paid_on__lte=as_of)
        .order_by()
        .annotate(rate_id=rate_id)
        .values("commitment__country", "commitment__side", "rate_id")
        .annotate(usd=Sum(usd), n=Count("pk"))
    )
    return [
        ("committed", r["country"], r["side"], r["rate_id"], r["n"], r["usd"]) for r in committed
    ] + [
        (
            "disbursed",
            r["commitment__country"],
            r["commitment__side"],
            r["rate_id"],
            r["n"],
            r["usd"],
        )
        for r in paid
    ]


@dataclass
class Totals:
    """Co-financing figures being summed: by side, with the rates they used and the number of
    amounts left out for want of a rate. ``split`` reads the rates used in one query."""

    sides: dict[str, SideTotals] = field(
        default_factory=lambda: {side: SideTotals() for side in Side.values}
    )
    rate_ids: set[int] = field(default_factory=set)
    missing: int = 0

    def add(self, what: str, side: str, rate_id: int | None, n: int, usd: Any) -> None:
        """One group of ``totals_rows``: ``n`` amounts, ``usd`` None when no rate applies."""
        if what == "committed":
            self.sides[side].commitments += n
        if usd is None:
            self.missing += n
            return
        if what == "committed":
            self.sides[side].committed_usd += usd
        else:
            self.sides[side].disbursed_usd += usd
        if rate_id is not None:
            self.rate_ids.add(rate_id)

    def split(self, as_of: date) -> CofinancingSplit:
        rates = sorted(
            # Without the timestamps: a portfolio uses a rate or two of every currency.
            ExchangeRate.objects.filter(pk__in=self.rate_ids).only(
                "currency", "on", "rate_to_usd", "source"
            ),
            key=lambda r: (str(r.currency), r.on),
        )
        return CofinancingSplit(
            as_of=as_of,
            sides=self.sides,
            rates_used=rates,
            missing_rates=[],
            missing_count=self.missing,
        )


def totals_by_country(firm: QuerySet[Commitment], as_of: date) -> dict[int, Totals]:
    """The totals of the firm commitments ``firm`` and their disbursements up to ``as_of``,
    by country (countries with nothing to sum are left out), in one query on PostgreSQL."""
    totals: dict[int, Totals] = defaultdict(Totals)
    for what, country, side, rate_id, n, usd in totals_rows(firm, as_of):
        totals[country].add(what, side, rate_id, n, usd)
    return totals


def cofinancing_totals(commitments: QuerySet[Commitment], *, as_of: date) -> CofinancingSplit:
    """The same split as ``cofinancing_split``, summed by the database in one query (and one
    for the rates used) whatever the number of commitments and disbursements.

    ``commitments`` must already be restricted to what the reader may see.
    """
    totals = Totals()
    firm = commitments.filter(status__in=FIRM_STATUSES).order_by()
    for what, _country, side, rate_id, n, usd in totals_rows(firm, as_of):
        totals.add(what, side, rate_id, n, usd)
    return totals.split(as_of)
