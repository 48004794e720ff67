"""Reads for the co-financing ledger: USD conversion at value-date rates, and the split by side."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

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
    )
