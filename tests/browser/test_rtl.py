"""The Arabic UI renders right to left, mirrored, and stays usable; the choice follows the user."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PageFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def box(locator: Any) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, locator
    return dict(found)


def switch(page: Any, code: str) -> None:
    page.locator("#language-switch").select_option(code)  # submits itself (app.js)
    expect(page.locator("html")).to_have_attribute("lang", code)


def test_the_arabic_ui_is_right_to_left_and_usable(
    demo: None, new_page: PageFactory, screenshots: Path
) -> None:
    page = new_page("manager")
    page.goto("/portfolio/")
    html = page.locator("html")
    brand, links = page.locator(".navbar-brand"), page.locator(".navbar-nav")
    expect(html).to_have_attribute("dir", "ltr")
    assert box(brand)["x"] < box(links)["x"]
    width = DESKTOP["width"]
    # The switcher shows the current language (it is not squeezed to its arrow by the navbar).
    assert box(page.locator("#language-switch"))["width"] >= 90

    switch(page, "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page).to_have_url(re.compile(r"/portfolio/$"))  # back where the switch was made
    expect(page.locator("#language-switch")).to_have_value("ar")
    stylesheet = page.locator("link[rel=stylesheet]").first
    expect(stylesheet).to_have_attribute("href", re.compile(r"bootstrap\.rtl\.min\.css$"))
    # Mirrored: the brand sits at the right end of the navbar, the links to its left.
    brand_box, links_box = box(brand), box(links)
    assert brand_box["x"] > width / 2
    assert brand_box["x"] + brand_box["width"] > width - 40
    assert links_box["x"] + links_box["width"] <= brand_box["x"]
    # Headings start on the right; chart labels stay inside their charts.
    heading = box(page.locator("main h1"))
    assert heading["x"] + heading["width"] > width - 40
    for chart in page.locator("svg.chart").all():
        frame = box(chart)
        for label in chart.locator("text").all():
            mark = box(label)
            assert frame["x"] - 1 <= mark["x"] <= frame["x"] + frame["width"], (
                f"{label.text_content()!r} is drawn outside its chart"
            )
    page.screenshot(path=str(screenshots / "portfolio-ar.png"))

    # Still usable: the navigation, a filter and a detail page work in Arabic.
    page.locator(".navbar a.nav-link[href='/partnerships/']").click()
    expect(html).to_have_attribute("lang", "ar")
    header = page.locator("main thead th")
    assert box(header.first)["x"] > box(header.last)["x"]  # the first column is on the right
    page.locator("#id_stage").select_option("negotiating")
    page.locator("form[aria-label] button[type=submit]").click()
    expect(page.locator("main tbody tr")).to_have_count(1)
    page.locator("main tbody").get_by_role("link", name="AR-PATAGONIA").click()
    expect(page.locator("main h1")).to_contain_text("AR-PATAGONIA")
    expect(html).to_have_attribute("dir", "rtl")

    # The choice is remembered for the next sign-in, in another browser.
    elsewhere = new_page("manager")
    expect(elsewhere.locator("html")).to_have_attribute("dir", "rtl")

    switch(page, "en")
    expect(html).to_have_attribute("dir", "ltr")
    expect(page.locator("main h1")).to_contain_text("AR-PATAGONIA")
    assert box(brand)["x"] < box(links)["x"]
