"""A country liaison does the government's part from their dashboard, and cannot reach another
country by typing its addresses."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def assert_no_way_into_norway(page: Any) -> None:
    """Another country's dashboard and records are a 404 that names none of them; its rows are
    in no list or search result."""
    from financing.models import Commitment
    from infrastructure.models import Site
    from localization.models import LocalizationRequirement
    from partnerships.models import Partnership

    norway = Partnership.objects.get(code="NO-STARGATE")
    sites = list(Site.objects.filter(country__code="NO").order_by("pk"))
    commitments = list(Commitment.objects.filter(partnership=norway).order_by("pk"))
    requirements = list(LocalizationRequirement.objects.filter(country__code="NO").order_by("pk"))
    assert sites and commitments and requirements
    urls = [
        "/countries/NO/",
        f"/partnerships/{norway.pk}/",
        f"/sites/{sites[0].pk}/",
        f"/commitments/{commitments[0].pk}/",
        f"/requirements/{requirements[0].pk}/",
    ]
    # Norway's own records, which would give it away if any leaked onto a page.
    records = [
        norway.code,
        norway.title,
        *[s.name for s in sites],
        *[r.title for r in requirements],
    ]
    # Organisations are reference data that every user sees in their list, but a refused
    # address must not show them either.
    names = ["Norway", *records, "Government of Norway", "Aker", "Statkraft"]

    for url in urls:
        response = page.goto(url)
        assert response is not None and response.status == 404, url
        text = page.content()
        leaked = [name for name in names if name in text]
        assert not leaked, f"{url} shows {leaked}"

    # Nor do the lists and the search offer it.
    for url in ("/partnerships/?country=NO", "/search/?q=Norway", "/sites/?search=Kvandal"):
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        body = page.locator("main").inner_text()
        leaked = [name for name in records if name in body]
        assert not leaked, f"{url} shows {leaked}"
    page.goto("/partnerships/")
    expect(page.locator("main tbody tr")).to_have_count(1)
    expect(page.locator("main tbody")).to_contain_text("AE-STARGATE")


def test_a_liaison_does_the_governments_part_and_nothing_beyond_their_country(
    demo: None, new_page: PageFactory
) -> None:
    from financing.models import Commitment
    from localization.models import LocalizationRequirement

    figure = Commitment.objects.get(partnership__code="AE-STARGATE", funder__name="G42")
    requirement = LocalizationRequirement.objects.get(
        partnership__code="AE-STARGATE", title="Arabic (Emirati) government services assistant"
    )
    assert figure.side == "government" and figure.government_confirmed_at is None
    assert requirement.status == "in_review"

    page = new_page("liaison-ae")
    expect(page).to_have_url(re.compile(r"/countries/AE/$"))
    waiting = page.locator("section[aria-labelledby='waiting-heading']")
    expect(waiting).to_contain_text("Waiting for you")

    # The government's figures: from the work list to the commitment, confirmed there.
    waiting.locator(f"a[href='/commitments/{figure.pk}/']").click()
    expect(page.locator("h1")).to_contain_text("G42")
    # Ledger work is the program's: a liaison only confirms.
    expect(page.get_by_role("button", name="Make this pledge a firm commitment")).to_have_count(0)
    expect(page.get_by_role("heading", name="Ledger actions")).to_have_count(0)
    expect(page.locator("main").get_by_role("link", name="Edit")).to_have_count(0)
    page.get_by_role("button", name="Confirm the government's figures").click()
    expect(page.locator(".messages")).to_contain_text("The government's figures are confirmed.")
    figures = page.locator("section[aria-labelledby='figures-heading'] dl")
    expect(figures).to_contain_text("liaison-ae")
    expect(page.get_by_role("button", name="Confirm these figures again")).to_be_visible()

    # The requirement in review: from the work list to its page, signed off to go live.
    page.goto("/countries/AE/")
    expect(waiting.locator(f"a[href='/commitments/{figure.pk}/']")).to_have_count(0)
    waiting.get_by_role("link", name=requirement.title).click()
    expect(page.locator("h1")).to_have_text(requirement.title)
    page.locator("#review-comment").fill("Evaluated with the ministry's test set")
    page.get_by_role("button", name="Sign off: go live").click()
    expect(page.locator(".messages")).to_contain_text("The requirement is now live.")
    expect(page.locator("main .badge").first).to_have_text("Live")
    expect(page.get_by_role("button", name="Sign off: go live")).to_have_count(0)

    figure.refresh_from_db()
    requirement.refresh_from_db()
    assert figure.government_confirmed_by is not None
    assert figure.government_confirmed_by.username == "liaison-ae"
    assert requirement.status == "live"
    assert requirement.signed_off_by is not None
    assert requirement.signed_off_by.username == "liaison-ae"

    # Typing another country's addresses gets them nowhere.
    assert_no_way_into_norway(page)
