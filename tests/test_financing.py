"""The co-financing ledger: disbursements never exceed commitments, status follows them,
government figures are confirmed by that government's liaison, rollups say which rates they used."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from djmoney.money import Money

from financing.models import Commitment, Disbursement
from financing.selectors import cofinancing_split, cofinancing_totals
from financing.services import (
    commitment_cancel,
    commitment_commit,
    commitment_confirm,
    commitment_create,
    commitment_record_disbursement,
    commitment_reduce,
    commitment_update,
    exchange_rate_set,
)
from tests import factories as f

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def commitment(manager: Any) -> Commitment:
    partnership = f.PartnershipFactory.create()
    created = commitment_create(
        by=manager,
        partnership=partnership,
        country=partnership.lead_country,
        funder=f.OrganisationFactory.create(),
        side="government",
        instrument="grant",
        amount=Money("1000", "AED"),
    )
    return commitment_commit(commitment=created, by=manager, committed_on=D(2025, 6, 1))


def pay(commitment: Commitment, amount: str, by: Any, ref: str = "R") -> Disbursement:
    return commitment_record_disbursement(
        commitment=commitment, paid_on=D(2025, 7, 1), amount=amount, reference=ref, by=by
    )


def statuses(commitment: Commitment) -> list[tuple[str, str]]:
    return list(commitment.status_transitions.values_list("from_status", "to_status"))


def test_status_follows_disbursements(commitment: Commitment, manager: Any) -> None:
    pay(commitment, "400", manager, "R1")
    commitment.refresh_from_db()
    assert (commitment.status, commitment.disbursed) == ("disbursing", Decimal("400"))
    pay(commitment, "600", manager, "R2")
    commitment.refresh_from_db()
    assert (commitment.status, commitment.disbursed) == ("fully_disbursed", Decimal("1000"))
    assert statuses(commitment) == [
        ("", "pledged"),
        ("pledged", "committed"),
        ("committed", "disbursing"),
        ("disbursing", "fully_disbursed"),
    ]


def test_disbursing_above_committed_is_refused_and_nothing_written(
    commitment: Commitment, manager: Any
) -> None:
    pay(commitment, "900", manager, "R1")
    with pytest.raises(ValidationError) as error:
        pay(commitment, "100.01", manager, "R2")
    assert "would exceed what is committed" in error.value.message_dict["amount"][0]
    assert "100" in error.value.message_dict["amount"][0]
    commitment.refresh_from_db()
    assert commitment.disbursed == Decimal("900") and commitment.disbursements.count() == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "more than zero"),
        ("-5", "more than zero"),
        ("abc", "Enter a number"),
        ("NaN", "Enter a number"),
    ],
)
def test_bad_disbursement_amounts(
    commitment: Commitment, manager: Any, amount: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        pay(commitment, amount, manager)
    assert not Disbursement.objects.exists()


def test_a_pledge_cannot_be_disbursed(manager: Any) -> None:
    pledge = f.CommitmentFactory.create(status="pledged")
    with pytest.raises(ValidationError, match="pledged commitment"):
        pay(pledge, "1", manager)


def test_duplicate_reference_is_refused(commitment: Commitment, manager: Any) -> None:
    pay(commitment, "1", manager, "SAME")
    with pytest.raises(ValidationError, match="already exists"):
        pay(commitment, "1", manager, "SAME")
    commitment.refresh_from_db()
    assert commitment.disbursed == Decimal("1")


def test_reduce_keeps_what_is_paid(commitment: Commitment, manager: Any) -> None:
    pay(commitment, "300", manager)
    with pytest.raises(ValidationError, match="below what is disbursed"):
        commitment_reduce(commitment=commitment, new_amount="200", by=manager, reason="Budget cut")
    with pytest.raises(ValidationError, match="needs a reason"):
        commitment_reduce(commitment=commitment, new_amount="500", by=manager, reason="")
    reduced = commitment_reduce(
        commitment=commitment, new_amount="500", by=manager, reason="Budget cut"
    )
    assert (reduced.status, reduced.amount) == ("reduced", Money("500", "AED"))
    pay(reduced, "200", manager, "R2")
    reduced.refresh_from_db()
    assert reduced.status == "fully_disbursed"


def test_cancel_only_without_disbursements(commitment: Commitment, manager: Any) -> None:
    pay(commitment, "1", manager)
    with pytest.raises(ValidationError, match="reduce the commitment"):
        commitment_cancel(commitment=commitment, by=manager, reason="Withdrawn")
    fresh = f.CommitmentFactory.create(status="committed")
    assert commitment_cancel(commitment=fresh, by=manager, reason="Withdrawn").status == "cancelled"


def test_status_cannot_be_edited_directly(commitment: Commitment, manager: Any) -> None:
    with pytest.raises(ValidationError, match="follow the disbursements"):
        commitment_update(commitment=commitment, by=manager, status="fully_disbursed")


class TestGovernmentConfirmation:
    def test_only_that_countrys_liaison_confirms(
        self, commitment: Commitment, manager: Any, make_liaison: Any, ae: Any, no: Any
    ) -> None:
        for outsider in (manager, make_liaison(no)):
            with pytest.raises(ValidationError, match="Only a liaison of United Arab Emirates"):
                commitment_confirm(commitment=commitment, by=outsider)
        liaison = make_liaison(ae)
        confirmed = commitment_confirm(commitment=commitment, by=liaison)
        assert confirmed.government_confirmed_by == liaison
        assert confirmed.government_confirmed_at is not None
        assert confirmed.history.first().history_change_reason == "Government figures confirmed"

    def test_company_figures_are_not_confirmed_by_government(
        self, make_liaison: Any, ae: Any
    ) -> None:
        company = f.CommitmentFactory.create(side="company")
        with pytest.raises(ValidationError, match="Only government-side"):
            commitment_confirm(commitment=company, by=make_liaison(ae))

    def test_changing_confirmed_figures_withdraws_the_confirmation(
        self, commitment: Commitment, manager: Any, make_liaison: Any, ae: Any
    ) -> None:
        commitment_confirm(commitment=commitment, by=make_liaison(ae))
        updated = commitment_update(commitment=commitment, by=manager, description="Notes only")
        assert updated.government_confirmed_at is not None
        updated = commitment_update(
            commitment=updated, by=manager, instrument="loan", reason="Revised"
        )
        assert updated.government_confirmed_at is None and updated.government_confirmed_by is None
        assert "confirmation withdrawn" in updated.history.first().history_change_reason

    def test_a_pledge_can_be_re_figured_and_is_confirmed_again(
        self, manager: Any, make_liaison: Any, ae: Any
    ) -> None:
        pledge = f.CommitmentFactory.create(side="government", amount=Money("1000", "AED"))
        liaison = make_liaison(ae)
        commitment_confirm(commitment=pledge, by=liaison)
        updated = commitment_update(commitment=pledge, by=manager, amount=Money("1200", "AED"))
        assert updated.amount == Money("1200", "AED") and updated.government_confirmed_at is None
        assert commitment_confirm(commitment=updated, by=liaison).government_confirmed_by == liaison


class TestLedgerCannotBeBypassed:
    def test_a_firm_amount_changes_only_through_a_reduction(
        self, commitment: Commitment, manager: Any
    ) -> None:
        pay(commitment, "400", manager)
        for amount in (Money("5000", "AED"), Money("400", "AED"), Money("1000", "JPY")):
            with pytest.raises(ValidationError, match="only through a reduction"):
                commitment_update(commitment=commitment, by=manager, amount=amount)
        commitment.refresh_from_db()
        assert (commitment.amount, commitment.status) == (Money("1000", "AED"), "disbursing")

    @pytest.mark.parametrize(
        "fields",
        [
            {"government_confirmed_at": "2026-01-01T00:00:00Z"},
            {"government_confirmed_by": None},
            {"disbursed": Decimal("5")},
            {"status": "fully_disbursed"},
        ],
    )
    def test_confirmation_and_totals_cannot_be_written_directly(
        self, commitment: Commitment, manager: Any, fields: dict[str, Any]
    ) -> None:
        with pytest.raises(ValidationError):
            commitment_update(commitment=commitment, by=manager, **fields)

    def test_create_takes_only_what_a_person_sets(self, manager: Any) -> None:
        partnership = f.PartnershipFactory.create()
        with pytest.raises(ValidationError) as error:
            commitment_create(
                by=manager,
                partnership=partnership,
                country=partnership.lead_country,
                funder=f.OrganisationFactory.create(),
                side="government",
                instrument="grant",
                amount=Money("100", "USD"),
                disbursed=Decimal("60"),
                government_confirmed_by=manager,
            )
        assert set(error.value.message_dict) == {"disbursed", "government_confirmed_by"}
        assert not Commitment.objects.exists()

    def test_a_commitment_cannot_move_to_another_country(
        self, commitment: Commitment, manager: Any, no: Any
    ) -> None:
        with pytest.raises(ValidationError, match="cannot change after creation"):
            commitment_update(commitment=commitment, by=manager, country=no)


# The same split, computed in Python (reports, the partnership page) or summed by the database
# (dashboards over the whole portfolio).
SPLITS = pytest.mark.parametrize("split_of", [cofinancing_split, cofinancing_totals])


class TestCofinancingSplit:
    @SPLITS
    def test_converts_at_the_value_date_rate_and_lists_rates_used(
        self, manager: Any, split_of: Any
    ) -> None:
        partnership = f.PartnershipFactory.create()
        exchange_rate_set(
            currency="AED", on=D(2025, 1, 1), rate_to_usd="0.25", source="Test", by=manager
        )
        exchange_rate_set(
            currency="AED", on=D(2025, 7, 1), rate_to_usd="0.30", source="Test", by=manager
        )
        exchange_rate_set(
            currency="AED", on=D(2026, 1, 1), rate_to_usd="0.50", source="Test", by=manager
        )
        gov = f.CommitmentFactory.create(
            partnership=partnership,
            side="government",
            status="disbursing",
            amount=Money("1000", "AED"),
            committed_on=D(2025, 3, 1),
            disbursed=Decimal("100"),
        )
        f.DisbursementFactory.create(commitment=gov, amount=Decimal("100"), paid_on=D(2025, 8, 1))
        f.CommitmentFactory.create(
            partnership=partnership,
            side="company",
            status="committed",
            amount=Money("500", "USD"),
            committed_on=D(2025, 3, 1),
        )
        f.CommitmentFactory.create(
            partnership=partnership, side="other", status="pledged", amount=Money("999", "USD")
        )
        split = split_of(Commitment.objects.filter(partnership=partnership), as_of=D(2025, 12, 31))
        assert split.sides["government"].committed_usd == Decimal(
            "250.00"
        )  # 1000 x 0.25 (2025-01-01 rate)
        assert split.sides["government"].disbursed_usd == Decimal(
            "30.00"
        )  # 100 x 0.30 (2025-07-01 rate)
        assert split.sides["company"].committed_usd == Decimal("500")
        assert split.sides["other"].commitments == 0  # a pledge is not firm money
        assert split.committed_usd == Decimal("750.00")
        assert split.share("company") == Decimal("66.7")
        assert [(str(r.currency), r.on) for r in split.rates_used] == [
            ("AED", D(2025, 1, 1)),
            ("AED", D(2025, 7, 1)),
        ]
        assert split.missing_count == 0

    @SPLITS
    def test_reports_missing_rates_instead_of_guessing(self, split_of: Any) -> None:
        commitment = f.CommitmentFactory.create(
            status="committed", amount=Money("10", "NOK"), committed_on=D(2025, 1, 1)
        )
        split = split_of(Commitment.objects.filter(pk=commitment.pk), as_of=D(2025, 2, 1))
        assert split.committed_usd == 0
        assert split.missing_count == 1
        if split_of is cofinancing_split:
            assert split.missing_rates == [("NOK", D(2025, 1, 1))]

    def test_query_count_does_not_grow_with_rows(self, django_assert_max_num_queries: Any) -> None:
        partnership = f.PartnershipFactory.create()
        for n in range(15):
            c = f.CommitmentFactory.create(
                partnership=partnership,
                status="disbursing",
                amount=Money("100", "AED"),
                disbursed=Decimal("1"),
            )
            f.DisbursementFactory.create(commitment=c, amount=Decimal("1"), reference=f"R{n}")
            f.ExchangeRateFactory.create(currency="AED")
        with django_assert_max_num_queries(3):
            cofinancing_split(
                Commitment.objects.filter(partnership=partnership), as_of=D(2026, 1, 1)
            )
        with django_assert_max_num_queries(3):
            cofinancing_totals(
                Commitment.objects.filter(partnership=partnership), as_of=D(2026, 1, 1)
            )


def test_commitment_country_and_site_must_match_the_partnership(no: Any) -> None:
    partnership = f.PartnershipFactory.create()
    elsewhere = f.CommitmentFactory.build(
        partnership=partnership, country=no, funder=f.OrganisationFactory.create()
    )
    with pytest.raises(ValidationError) as error:
        elsewhere.full_clean()
    assert "does not take part" in error.value.message_dict["country"][0]
    other_site = f.SiteFactory.create()
    mismatched = f.CommitmentFactory.build(
        partnership=partnership, site=other_site, funder=f.OrganisationFactory.create()
    )
    with pytest.raises(ValidationError) as error:
        mismatched.full_clean()
    assert "another partnership" in error.value.message_dict["site"][0]
