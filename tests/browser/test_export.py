"""An analyst filters a list and downloads exactly the rows it shows."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def listed_ids(page: Any) -> list[int]:
    hrefs = page.locator("main tbody tr td:first-child a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return sorted(int(re.fullmatch(r"/commitments/(\d+)/", href)[1]) for href in hrefs)  # type: ignore[index]


def records(count: int) -> re.Pattern[str]:
    return re.compile(rf"^\s*{count} records?\s*$")


def download(page: Any, link: str, folder: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("link", name=link).click()
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8-sig")  # the export starts with a byte-order mark
    return list(csv.DictReader(io.StringIO(text)))


def test_analyst_filters_commitments_and_exports_them(
    demo: None, new_page: PageFactory, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    from financing.models import Commitment

    government = sorted(Commitment.objects.filter(side="government").values_list("pk", flat=True))
    assert 0 < len(government) < Commitment.objects.count()

    page = new_page("analyst")
    page.goto("/commitments/")
    expect(page.locator("main").get_by_role("link", name="Add")).to_have_count(0)  # read only
    filters = page.locator("form[aria-label='Filters']")
    filters.locator("#id_side").select_option("government")
    filters.get_by_role("button", name="Apply").click()
    # The results are swapped in place (htmx) and the address follows, so it can be shared.
    expect(page.locator("#results p[role='status']")).to_have_text(records(len(government)))
    expect(page).to_have_url(re.compile(r"[?&]side=government(&|$)"))
    expect(filters.locator("#id_side")).to_have_value("government")
    assert listed_ids(page) == government

    path = download(page, "Export CSV", tmp_path)
    assert path.name == "commitments.csv"
    rows = read_csv(path)
    header = list(rows[0].keys())
    assert header[:5] == ["id", "partnership", "country", "site", "funder"]
    assert {"side", "amount", "amount_currency", "status"} <= set(header)
    assert sorted(int(row["id"]) for row in rows) == government
    assert {row["side"] for row in rows} == {"government"}

    path = download(page, "Export Excel", tmp_path)
    assert path.suffix == ".xlsx"
    sheet = load_workbook(path, read_only=True).active
    assert sheet is not None
    table = list(sheet.iter_rows(values_only=True))
    assert list(table[0]) == header
    assert sorted(int(str(row[0])) for row in table[1:]) == government


def test_a_searched_list_exports_the_rows_it_shows(
    demo: None, new_page: PageFactory, tmp_path: Path
) -> None:
    page = new_page("analyst")
    page.goto("/commitments/")
    page.locator("#id_search").fill("AE-STARGATE")
    page.locator("form[aria-label='Filters']").get_by_role("button", name="Apply").click()
    expect(page.locator("#results p[role='status']")).to_have_text(records(3))
    shown = listed_ids(page)
    rows = read_csv(download(page, "Export CSV", tmp_path))
    assert sorted(int(row["id"]) for row in rows) == shown
