"""The co-financing figures kept per country (financing.rollups): always the ledger's figures as
of the day asked, after any write, a dated disbursement or a rate, whatever the interleaving of a
reader's conversion and a writer; converted in a fixed number of queries."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from djmoney.money import Money

from financing.models import Commitment, CountryCofinancing
from financing.rollups import kept_cofinancing, mark_stale, refresh
from financing.selectors import CofinancingSplit, cofinancing_totals
from financing.services import commitment_record_disbursement, exchange_rate_set
from partnerships.models import Country
from tests import factories as f
from tests.factories import country

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2026, 3, 1)


def figures(split: CofinancingSplit) -> Any:
    return (
        {
            side: (t.committed_usd, t.disbursed_usd, t.commitments)
            for side, t in split.sides.items()
        },
        [rate.pk for rate in split.rates_used],
        split.missing_count,
    )


def kept(on: datetime.date = TODAY) -> Any:
    return figures(kept_cofinancing(CountryCofinancing.objects.all(), as_of=on))


def ledger(on: datetime.date = TODAY) -> Any:
    return figures(cofinancing_totals(Commitment.objects.all(), as_of=on))


@pytest.fixture
def ledgers(ae: Country, no: Country, manager: Any) -> dict[str, Commitment]:
    """Firm money in two countries and two currencies, paid before and after TODAY."""
    exchange_rate_set(currency="AED", on=D(2025, 1, 1), rate_to_usd="0.25", source="T", by=manager)
    exchange_rate_set(currency="AED", on=D(2025, 9, 1), rate_to_usd="0.27", source="T", by=manager)
    in_ae = f.CommitmentFactory.create(
        partnership=f.PartnershipFactory.create(lead_country=ae),
        status="committed",
        amount=Money("4000", "AED"),
        committed_on=D(2025, 2, 1),
    )
    in_no = f.CommitmentFactory.create(
        partnership=f.PartnershipFactory.create(lead_country=no),
        side="company",
        status="committed",
        amount=Money("900", "USD"),
    )
    f.CommitmentFactory.create(partnership=in_no.partnership, side="other")  # a pledge: not firm
    for commitment, paid_on, amount in [
        (in_ae, D(2025, 10, 1), "1000"),
        (in_no, D(2026, 2, 1), "100"),
        (in_no, TODAY + datetime.timedelta(days=3), "50"),  # scheduled: counts from its day
    ]:
        commitment_record_disbursement(
            commitment=commitment,
            paid_on=paid_on,
            amount=amount,
            reference=str(paid_on),
            by=manager,
        )
    return {"AE": in_ae, "NO": in_no}


def test_the_kept_figures_are_the_ledger_converted(ledgers: dict[str, Commitment]) -> None:
    assert kept() == ledger()
    government, _rates, missing = kept()
    assert government["government"] == (Decimal("1000.00"), Decimal("270.00"), 1)
    assert government["company"] == (Decimal("900"), Decimal("100"), 1)
    assert missing == 0
    # Read again, they hold: nothing is converted a second time.
    assert all(row.holds(TODAY) for row in CountryCofinancing.objects.all())


def test_a_reader_sees_its_countries_only(ledgers: dict[str, Commitment], ae: Country) -> None:
    split = kept_cofinancing(CountryCofinancing.objects.in_countries([ae.pk]), as_of=TODAY)
    assert figures(split) == figures(
        cofinancing_totals(Commitment.objects.in_countries([ae.pk]), as_of=TODAY)
    )
    assert split.sides["company"].committed_usd == 0


def test_every_ledger_write_shows_in_the_next_read(
    ledgers: dict[str, Commitment], manager: Any
) -> None:
    assert kept() == ledger()
    commitment_record_disbursement(
        commitment=ledgers["AE"], paid_on=D(2026, 1, 5), amount="500", reference="X", by=manager
    )
    assert kept() == ledger()
    exchange_rate_set(currency="AED", on=D(2025, 1, 15), rate_to_usd="0.2", source="T", by=manager)
    assert kept() == ledger()
    government, _rates, _missing = kept()
    assert government["government"][0] == Decimal("800.00")  # now the 2025-01-15 rate: 4000 x 0.2
    added = f.CommitmentFactory.create(
        partnership=ledgers["NO"].partnership, side="company", status="committed"
    )
    assert kept() == ledger()
    added.delete()
    assert kept() == ledger()
    f.CommitmentFactory.create(  # a country with no kept row yet
        partnership=f.PartnershipFactory.create(lead_country=country("KE")),
        status="committed",
        amount=Money("10", "KES"),
    )
    assert kept() == ledger()
    assert kept()[2] == 1  # no KES rate: counted as missing, not guessed


def test_figures_follow_the_calendar(ledgers: dict[str, Commitment]) -> None:
    """A disbursement dated three days on counts from that day, and only from then."""
    assert kept() == ledger()
    row = CountryCofinancing.objects.get(country__code="NO")
    assert row.valid_until == TODAY + datetime.timedelta(days=3)
    day_before, paid_day = TODAY + datetime.timedelta(days=2), TODAY + datetime.timedelta(days=3)
    assert kept(day_before) == ledger(day_before) == ledger()
    assert kept(paid_day) == ledger(paid_day) != ledger()
    assert kept(paid_day)[0]["company"][1] == Decimal("150")


def test_a_write_during_a_conversion_leaves_the_row_stale(ledgers: dict[str, Commitment]) -> None:
    """The reader stores its figures under the revision it read first: a write that lands while
    it converts is not covered by them."""
    from financing import rollups

    read_first = list(CountryCofinancing.objects.all())
    f.CommitmentFactory.create(partnership=ledgers["AE"].partnership, status="committed")
    rollups._convert(read_first, TODAY)  # figures of before the write, stored late
    row = CountryCofinancing.objects.get(country__code="AE")
    assert not row.holds(TODAY)
    assert kept() == ledger()


def test_conversion_costs_the_same_queries_for_one_country_or_many(
    ledgers: dict[str, Commitment], ae: Country, django_assert_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    kept()
    mark_stale([ae.pk])
    with CaptureQueriesContext(connection) as one:
        kept()
    mark_stale(CountryCofinancing.objects.values_list("country", flat=True))
    with CaptureQueriesContext(connection) as every:
        kept()
    # The kept rows, the conversion (one query on PostgreSQL), the next dated amount and rate,
    # the store (in its savepoint) and the rates used.
    assert len(one) == len(every) <= 9
    with django_assert_num_queries(2):  # all hold: the rows and the rates used
        kept()


def test_the_nightly_refresh_converts_what_no_longer_holds(
    ledgers: dict[str, Commitment],
) -> None:
    from django_celery_beat.models import PeriodicTask

    assert refresh(TODAY) == 2
    assert refresh(TODAY) == 0
    assert refresh(TODAY + datetime.timedelta(days=3)) == 1  # Norway's scheduled payment
    assert PeriodicTask.objects.filter(task="financing.tasks.refresh_cofinancing").exists()
