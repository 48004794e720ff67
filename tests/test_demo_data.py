"""The demo program loads through the services, is idempotent, and refuses to mix with real data;
the scale generator makes the asked-for sizes deterministically."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command

from financing.models import Commitment
from infrastructure.models import Site
from localization.models import Locale, LocalizationRequirement
from partnerships.models import CountryRoleGrant, Milestone, Partnership, Stage

pytestmark = pytest.mark.django_db

DOMAIN_APPS = ("partnerships", "infrastructure", "financing", "localization")


def counts() -> dict[str, int]:
    return {
        model._meta.label: model._base_manager.count()
        for app in (*DOMAIN_APPS, "auth", "guardian")
        for model in apps.get_app_config(app).get_models()
    }


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """Load the program once for this module (it takes seconds) and remove it afterwards."""
    with django_db_blocker.unblock():
        from django.db import transaction

        atomic = transaction.atomic()
        atomic.__enter__()
        output = load()
        yield output
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


def test_loads_the_program(demo: str) -> None:
    assert "Loaded partnerships: US-STARGATE" in demo
    assert "openai-countries-demo" in demo
    assert Partnership.objects.count() == 10
    regional = [p for p in Partnership.objects.all() if p.countries.count() > 1]
    assert len(regional) >= 2
    stages = set(Partnership.objects.values_list("stage", flat=True))
    assert stages == set(Stage.values), "every stage, on hold and cancelled included"
    assert Site.objects.count() >= 20
    assert Site.objects.filter(phases__isnull=False).distinct().count() >= 8
    assert Site.objects.filter(permits__isnull=False).distinct().count() >= 5
    currencies = set(Commitment.objects.values_list("amount_currency", flat=True))
    assert len(currencies) >= 4
    assert set(Commitment.objects.values_list("side", flat=True)) == {
        "company",
        "government",
        "other",
    }
    assert Commitment.objects.filter(disbursements__isnull=False).exists()
    used = Locale.objects.filter(requirements__isnull=False).distinct()
    assert used.count() >= 12
    assert used.filter(direction="rtl").count() >= 2
    assert Milestone.objects.filter(
        completed_on__isnull=True, due_on__lt=datetime.date.today()
    ).exists()


def test_demo_users_and_grants(demo: str) -> None:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    assert users.get(username="admin").is_superuser
    assert users.get(username="manager").is_staff
    liaisons = users.filter(username__startswith="liaison-")
    partnership_countries = {
        c.lower()
        for p in Partnership.objects.all()
        for c in p.countries.values_list("code", flat=True)
    }
    assert {u.username.removeprefix("liaison-") for u in liaisons} == partnership_countries
    liaison = users.get(username="liaison-ae")
    assert liaison.check_password("openai-countries-demo")
    assert list(Partnership.objects.restrict(liaison).values_list("code", flat=True)) == [
        "AE-STARGATE"
    ]
    assert CountryRoleGrant.objects.filter(
        user=liaison, role="liaison", country__code="AE"
    ).exists()


def test_lifecycle_went_through_the_services(demo: str) -> None:
    us = Partnership.objects.get(code="US-STARGATE")
    path = list(us.stage_transitions.values_list("to_status", flat=True))
    assert path == [
        "prospect",
        "scoping",
        "negotiating",
        "signed",
        "implementing",
        "operational",
        "scaling",
    ]
    assert us.sign_offs.count() == 2
    dates = list(us.stage_transitions.values_list("at", flat=True))
    assert dates == sorted(dates) and dates[0].date() == datetime.date(2025, 1, 5)
    gb = Partnership.objects.get(code="GB-STARGATE")
    assert (gb.stage, gb.stage_before_hold) == ("on_hold", "signed")
    live = LocalizationRequirement.objects.filter(status="live").select_related("signed_off_by")
    assert live and all(
        getattr(r.signed_off_by, "username", None) == f"liaison-{r.country.iso2.lower()}"
        for r in live
    )
    assert us.history.exists()


def test_illustrative_figures_are_labelled(demo: str) -> None:
    assert not Commitment.objects.exclude(provenance="illustrative").exists()
    eac = Partnership.objects.get(code="EAC-REGIONAL")
    assert eac.provenance == "illustrative" and "Illustrative" in eac.summary
    uae = Partnership.objects.get(code="AE-STARGATE")
    assert uae.provenance == "reported" and uae.source


def test_second_run_changes_nothing(demo: str) -> None:
    before = counts()
    assert "already loaded; nothing to change" in load()
    assert counts() == before


def test_scale_generator_makes_the_asked_for_sizes(demo: str) -> None:
    from financing.models import Disbursement
    from openai_countries.demo import scale as sizes

    before = Partnership.objects.filter(code__startswith="SC-").count()
    output = load("--scale", "4", "--seed", "7")
    generated = Partnership.objects.filter(code__startswith="SC-")
    assert generated.count() - before == 4
    assert "4 new countries" in output
    sites = Site.objects.filter(partnership__in=generated).count()
    assert 4 * sizes.SITES_PER_COUNTRY[0] <= sites <= 4 * sizes.SITES_PER_COUNTRY[1]
    commitments = Commitment.objects.filter(partnership__in=generated)
    assert commitments.count() == 4 * sizes.COMMITMENTS_PER_COUNTRY
    paid = Disbursement.objects.filter(commitment__in=commitments).count()
    assert paid >= 4 * sizes.COMMITMENTS_PER_COUNTRY * 0.7 * sizes.DISBURSEMENTS_PER_COMMITMENT[0]
    requirements = LocalizationRequirement.objects.filter(partnership__in=generated)
    assert requirements.count() == 4 * sizes.REQUIREMENTS_PER_COUNTRY
    # the ledger stays consistent: each commitment's disbursed total is the sum of its payments
    for commitment in commitments.filter(status="disbursing")[:20]:
        total = sum(d.amount for d in commitment.disbursements.all())
        assert commitment.disbursed == total <= commitment.amount.amount
    # every currency the ledger uses has a rate: no government funding is left out of USD
    from financing.models import ExchangeRate

    used = set(commitments.values_list("amount_currency", flat=True))
    rated = set(ExchangeRate.objects.values_list("currency", flat=True)) | {"USD"}
    assert used - {"USD"} and used <= rated
    # deterministic: the same seed picks the same countries; a re-run adds nothing
    codes = sorted(generated.values_list("code", flat=True))
    assert "0 new countries" in load("--scale", "4", "--seed", "7")
    assert sorted(generated.values_list("code", flat=True)) == codes
    # every kept figure was computed by the load, not left to the first dashboard
    from django.db.models import F

    from financing.models import CountryCofinancing
    from partnerships.models import CountryFigures, PartnershipSignals

    leads = generated.values_list("lead_country", flat=True)
    assert CountryFigures.objects.filter(country__in=leads).count() == 4
    assert not CountryFigures.objects.exclude(
        coverage_computed=F("coverage_revision"), capacity_computed=F("capacity_revision")
    ).exists()
    signals = PartnershipSignals.objects.exclude(partnership__stage=Stage.CANCELLED)
    assert not signals.exclude(computed_revision=F("revision")).exists()
    assert not CountryCofinancing.objects.exclude(computed_revision=F("revision")).exists()
