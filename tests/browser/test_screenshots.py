"""Screenshots of the main pages for docs/screenshots/ (1280x900), each taken once the page
shows what it is about."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PageFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_screenshots_of_the_main_pages(
    demo: None, new_page: PageFactory, screenshots: Path
) -> None:
    from partnerships.models import Partnership

    partnership = Partnership.objects.get(code="AE-STARGATE")
    manager = new_page("manager")
    shots = {
        "portfolio.png": ("/portfolio/", "Portfolio"),
        "partnership.png": (f"/partnerships/{partnership.pk}/", "AE-STARGATE"),
        "partnerships-list.png": ("/partnerships/", "Partnerships"),
    }
    for name, (url, heading) in shots.items():
        manager.goto(url)
        expect(manager.locator("main h1")).to_contain_text(heading)
        manager.screenshot(path=str(screenshots / name))

    liaison = new_page("liaison-ae")
    expect(liaison.locator("main h1")).to_have_text("United Arab Emirates")
    liaison.screenshot(path=str(screenshots / "country-ae.png"))

    for name in (*shots, "country-ae.png"):
        assert png_size(screenshots / name) == (DESKTOP["width"], DESKTOP["height"])
