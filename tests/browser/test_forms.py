"""Forms keep what was typed: beside a validation error, and when someone else saved first."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageFactory, axe_violations

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def conflict_row(page: Any, label: str) -> Any:
    table = page.locator("table").filter(has=page.get_by_role("columnheader", name="Field"))
    return table.locator("tbody tr").filter(has=page.get_by_role("rowheader", name=label))


def check_validation_error(page: Any, url: str, axe_source: str) -> None:
    """A required field left empty: the error sits by that field, and the rest is kept."""
    page.goto(url)
    page.locator("#id_title").fill("")
    page.locator("#id_summary").fill("A summary typed before the mistake was noticed")
    page.locator("#id_planned_start").fill("2026-02-01")
    page.get_by_role("button", name="Save").click()

    expect(page.locator("#form-errors")).to_be_visible()
    title = page.locator("#id_title")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_have_attribute("aria-describedby", re.compile(r"\bid_title_error\b"))
    error = page.locator("#id_title_error")
    expect(error).to_have_text("This field is required.")
    # Next to the field: in the same form group, right below the input.
    group = page.locator("form .row > div").filter(has=title)
    expect(group.locator("#id_title_error")).to_be_visible()
    title_box, error_box = title.bounding_box(), error.bounding_box()
    assert title_box and error_box
    assert 0 <= error_box["y"] - (title_box["y"] + title_box["height"]) < 40
    # Nothing typed is lost, and no other field is blamed.
    expect(page.locator("#id_summary")).to_have_value(
        "A summary typed before the mistake was noticed"
    )
    expect(page.locator("#id_planned_start")).to_have_value("2026-02-01")
    expect(page.locator(".invalid-feedback")).to_have_count(1)
    assert axe_violations(page, axe_source) == []


def test_edit_forms_keep_what_was_typed(
    demo: None, new_page: PageFactory, axe_source: str, screenshots: Path
) -> None:
    from partnerships.models import Partnership

    partnership = Partnership.objects.get(code="IN-CAMPUS")
    url = f"/partnerships/{partnership.pk}/edit/"
    original_title = partnership.title
    theirs, yours = "India: 1 GW campus, Gujarat shortlist", "Scoping study extended to Q3"

    first = new_page("manager")
    check_validation_error(first, url, axe_source)
    partnership.refresh_from_db()
    assert partnership.title == original_title

    # Two people open the same form; the first one saves a new title.
    second = new_page("manager")
    first.goto(url)
    second.goto(url)
    first.locator("#id_title").fill(theirs)
    first.get_by_role("button", name="Save").click()
    expect(first.locator(".messages")).to_contain_text("Saved.")

    # The second one, still on the old version, changes the summary and saves.
    second.locator("#id_summary").fill(yours)
    second.get_by_role("button", name="Save").click()
    expect(second.locator("#form-errors")).to_contain_text("Someone else saved this record")
    expect(second.locator("#form-errors")).to_contain_text("Nothing was saved")
    comparison = second.get_by_role("heading", name="Their version and yours")
    expect(comparison).to_be_visible()
    message_box, comparison_box = (
        second.locator("#form-errors").bounding_box(),
        comparison.bounding_box(),
    )
    assert message_box and comparison_box
    assert comparison_box["y"] > message_box["y"], "the message says the versions are below it"
    title_row = conflict_row(second, "Title")
    expect(title_row).to_have_class(re.compile(r"\btable-warning\b"))
    expect(title_row.locator("td").nth(0)).to_have_text(theirs)
    expect(title_row.locator("td").nth(1)).to_have_text(original_title)
    summary_row = conflict_row(second, "Summary")
    expect(summary_row).to_have_class(re.compile(r"\btable-warning\b"))
    expect(summary_row.locator("td").nth(1)).to_have_text(yours)
    expect(conflict_row(second, "Code").locator("td").nth(0)).to_have_text("IN-CAMPUS")
    expect(conflict_row(second, "Code")).not_to_have_class(re.compile(r"\btable-warning\b"))
    # What was typed is still in the form.
    expect(second.locator("#id_summary")).to_have_value(yours)
    expect(second.locator("#id_title")).to_have_value(original_title)
    assert axe_violations(second, axe_source) == []
    second.screenshot(path=str(screenshots / "edit-conflict.png"))

    partnership.refresh_from_db()
    assert partnership.title == theirs and partnership.summary != yours

    # Taking their title over and saving again keeps both changes.
    second.locator("#id_title").fill(theirs)
    second.get_by_role("button", name="Save").click()
    expect(second.locator(".messages")).to_contain_text("Saved.")
    expect(second.locator("h1")).to_contain_text(theirs)

    partnership.refresh_from_db()
    assert (partnership.title, partnership.summary) == (theirs, yours)
    titles = list(partnership.history.order_by("history_date").values_list("title", flat=True))
    assert titles[-3:] == [original_title, theirs, theirs]
