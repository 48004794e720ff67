"""load_demo refuses to mix demo data into a database that holds other data, and bad options."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from partnerships.models import Partnership
from tests import factories as f

pytestmark = pytest.mark.django_db


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def test_refuses_a_database_with_other_data() -> None:
    f.PartnershipFactory.create(code="REAL-1")
    with pytest.raises(CommandError, match=r"not demo data .*REAL-1.*--force"):
        load()
    assert Partnership.objects.count() == 1
    assert "Loaded partnerships" in load("--force")


def test_bad_scale_is_refused() -> None:
    with pytest.raises(CommandError, match="--scale must be between 0 and 249"):
        load("--scale", "1000")


def test_refuses_when_other_users_exist() -> None:
    f.UserFactory.create(username="somebody")
    with pytest.raises(CommandError, match="somebody"):
        load()


def test_scale_data_depends_on_the_seed_alone() -> None:
    from django.db import transaction

    from financing.models import Commitment
    from openai_countries.demo.scale import generate

    def snapshot() -> list[tuple[Any, ...]]:
        return sorted(
            Commitment.objects.filter(partnership__code__startswith="SC-").values_list(
                "partnership__code", "partnership__stage", "amount", "status", "disbursed"
            )
        )

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            generate(countries=3, seed=11)
            at_once = snapshot()
            raise Rollback
    except Rollback:
        pass
    generate(countries=1, seed=11)
    generate(countries=3, seed=11)
    assert snapshot() == at_once
    assert len({row[0] for row in at_once}) == 3


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (lambda: f.UserFactory.create(username="admin"), "without the demo password"),
        (lambda: f.OrganisationFactory.create(name="Real Ministry"), "Real Ministry"),
        (
            lambda: f.ExchangeRateFactory.create(source="Central bank feed"),
            "exchange rate",
        ),
    ],
)
def test_refuses_real_data_that_looks_like_demo_data(make: Any, named: str) -> None:
    make()
    with pytest.raises(CommandError, match=named):
        load()
    assert not Partnership.objects.exists()
