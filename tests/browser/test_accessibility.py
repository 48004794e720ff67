"""axe-core's WCAG 2.1 A/AA rules on every page, in English and in Arabic (right-to-left), and
no sideways scrolling on a phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, PageFactory, axe_violations

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def manager_pages() -> list[str]:
    """Every page a program manager works with, on demo records of the UAE partnership."""
    from financing.models import Commitment
    from infrastructure.models import Permit, Site, SitePhase
    from localization.models import LocalizationRequirement
    from partnerships.models import Agreement, Milestone, Organisation, Partnership, Risk

    partnership = Partnership.objects.get(code="AE-STARGATE")
    p = partnership.pk
    site = Site.objects.filter(partnership=partnership).order_by("pk").first()
    assert site is not None
    phase = SitePhase.objects.filter(site=site).order_by("pk").first()
    permit = Permit.objects.filter(site=site).order_by("pk").first()
    commitment = Commitment.objects.filter(partnership=partnership).order_by("pk").first()
    requirement = LocalizationRequirement.objects.filter(partnership=partnership).order_by("pk")[0]
    agreement = Agreement.objects.filter(partnership=partnership).order_by("pk")[0]
    milestone = Milestone.objects.filter(partnership=partnership).order_by("pk")[0]
    risk = Risk.objects.filter(partnership=partnership).order_by("pk")[0]
    organisation = Organisation.objects.order_by("pk")[0]
    assert phase and permit and commitment
    lists = ["partnerships", "sites", "commitments", "requirements", "milestones", "risks"]
    return [
        "/portfolio/",
        "/countries/AE/",
        *[f"/{name}/" for name in (*lists, "organisations")],
        f"/partnerships/{p}/",
        f"/sites/{site.pk}/",
        f"/commitments/{commitment.pk}/",
        f"/requirements/{requirement.pk}/",
        *[f"/{name}/new/?partnership={p}" for name in lists if name != "partnerships"],
        "/partnerships/new/",
        f"/partnerships/{p}/edit/",
        f"/sites/{site.pk}/edit/",
        f"/commitments/{commitment.pk}/edit/",
        f"/requirements/{requirement.pk}/edit/",
        f"/milestones/{milestone.pk}/edit/",
        f"/risks/{risk.pk}/edit/",
        f"/agreements/new/?partnership={p}",
        f"/agreements/{agreement.pk}/edit/",
        f"/site-phases/new/?site={site.pk}",
        f"/site-phases/{phase.pk}/edit/",
        f"/permits/new/?site={site.pk}",
        f"/permits/{permit.pk}/edit/",
        "/organisations/new/",
        f"/organisations/{organisation.pk}/edit/",
        "/search/?q=Stargate",
        "/reports/",
    ]


def switch_language(page: Any, code: str) -> None:
    page.locator("#language-switch, #login-language").first.select_option(code)
    expect(page.locator("html")).to_have_attribute("lang", code)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_every_page_passes_axe(
    language: str, demo: None, new_page: PageFactory, axe_source: str
) -> None:
    failures: list[str] = []

    def check(page: Any, url: str) -> None:
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{url}: {response}"
        expect(page.locator("html")).to_have_attribute("lang", language)
        failures.extend(axe_violations(page, axe_source))
        # Nothing spills out of the main area (over the footer).
        heights = page.locator("#main").evaluate("main => [main.scrollHeight, main.clientHeight]")
        if heights[0] > heights[1] + 1:
            failures.append(f"{url}: content overflows <main> ({heights})")

    signed_out = new_page(None)
    signed_out.goto("/login/")
    if language != "en":
        switch_language(signed_out, language)
    check(signed_out, "/login/")

    manager = new_page("manager")
    if language != "en":
        switch_language(manager, language)
    for url in manager_pages():
        check(manager, url)

    # What only a liaison sees: the "waiting for you" work list, the confirmation of the
    # government's figures and the go-live sign-off.
    from financing.models import Commitment
    from localization.models import LocalizationRequirement

    figure = Commitment.objects.get(partnership__code="AE-STARGATE", side="government")
    requirement = LocalizationRequirement.objects.get(
        partnership__code="AE-STARGATE", status="in_review"
    )
    liaison = new_page("liaison-ae")
    if language != "en":
        switch_language(liaison, language)
    for url in ("/countries/AE/", f"/commitments/{figure.pk}/", f"/requirements/{requirement.pk}/"):
        check(liaison, url)

    problems = "\n".join(failures)
    assert not failures, f"serious or critical axe violations, or overflowing pages:\n{problems}"


def test_phone_width_has_no_sideways_scrolling(
    demo: None, new_page: PageFactory, screenshots: Path
) -> None:
    page = new_page("manager", viewport=PHONE)
    for url in ("/portfolio/", "/partnerships/", "/commitments/", "/countries/AE/"):
        page.goto(url)
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1] + 1, f"{url} scrolls sideways on a phone: {widths}"

    # The menu folds behind its button and opens on a tap.
    page.goto("/portfolio/")
    menu = page.locator("#main-nav")
    expect(menu).to_be_hidden()
    page.screenshot(path=str(screenshots / "portfolio-phone.png"))
    page.locator(".navbar-toggler").click()
    expect(menu.locator("#language-switch")).to_be_visible()
    expect(menu.locator("a.nav-link[href='/partnerships/']")).to_be_visible()
