"""A program manager takes a partnership from negotiating to implementing through the pages only,
with a country liaison signing off the government side in a browser of their own."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
MET = re.compile(r"\bguard-met\b")


def conditions(page: Any) -> Any:
    return page.locator("#stage ul[aria-label='Conditions'] > li")


def move(page: Any, stage: str, reason: str) -> Any:
    page.locator("#advance-reason").fill(reason)
    page.locator("#stage").get_by_role("button", name=f"Move to {stage}").click()
    return page.locator(".messages .alert")


def add_commitment(page: Any, *, funder: str, side: str, amount: str) -> None:
    page.locator("#financing").get_by_role("link", name="Add a commitment").click()
    expect(page).to_have_url(re.compile(r"/commitments/new/\?partnership=\d+$"))
    page.locator("#id_country").select_option(label="Argentina")
    page.locator("#id_funder").select_option(label=funder)
    page.locator("#id_side").select_option(side)
    page.locator("#id_instrument").select_option("grant" if side == "government" else "equity")
    page.locator("#id_amount_0").fill(amount)
    page.locator("#id_amount_1").select_option("USD")
    page.locator("#id_committed_on").fill("2026-11-02")
    page.locator("#id_status").select_option("committed")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Saved.")
    expect(page.locator("h1")).to_contain_text(funder)
    expect(page.locator("main .badge").first).to_have_text("Committed")
    page.locator("main").get_by_role(
        "link", name="AR-PATAGONIA Argentina: Patagonia AI campus"
    ).click()


def test_manager_takes_a_partnership_from_negotiating_to_implementing(
    demo: None, new_page: PageFactory
) -> None:
    from partnerships.models import Partnership

    partnership = Partnership.objects.get(code="AR-PATAGONIA")
    assert partnership.stage == "negotiating"
    url = f"/partnerships/{partnership.pk}/"

    manager = new_page("manager")
    manager.goto(url)
    expect(manager.locator("main .badge.stage-negotiating")).to_be_visible()
    expect(conditions(manager)).to_have_count(3)
    expect(manager.locator("#stage ul[aria-label='Conditions'] > li.guard-unmet")).to_have_count(3)

    # Too early: the page says which guards are not met, and nothing moves.
    refusal = move(manager, "Signed", "Trying before the gate is ready")
    expect(refusal).to_have_class(re.compile(r"\balert-danger\b"))
    expect(refusal).to_contain_text("AR-PATAGONIA cannot move to Signed")
    expect(refusal).to_contain_text("no MoU or definitive agreement is signed")
    expect(refusal).to_contain_text("no program-side approver has signed off")
    expect(refusal).to_contain_text("no liaison of a participating government has signed off")
    expect(manager.locator("main .badge.stage-negotiating")).to_be_visible()

    # The memorandum under negotiation gets signed.
    manager.locator("#agreements").get_by_role(
        "link", name="Memorandum of understanding: Government memorandum (illustrative)"
    ).click()
    expect(manager.locator("h1")).to_contain_text("Edit")
    manager.locator("#id_status").select_option("signed")
    manager.locator("#id_signed_on").fill("2026-11-01")
    manager.get_by_role("button", name="Save").click()
    expect(manager.locator(".messages")).to_contain_text("Saved.")
    expect(conditions(manager).filter(has_text="signed MoU or definitive agreement")).to_have_class(
        MET
    )

    # The program side signs off; a manager is not offered the government's button.
    sign_off = manager.locator("#stage form[action$='/sign-off/']")
    expect(sign_off.get_by_role("button", name="Sign off for the government")).to_have_count(0)
    manager.locator("#sign-off-comment").fill("Program board approved the memorandum")
    sign_off.get_by_role("button", name="Sign off for the program").click()
    expect(manager.locator(".messages")).to_contain_text("Your sign-off is recorded.")
    expect(conditions(manager).filter(has_text="program-side sign-off")).to_have_class(MET)

    # Argentina's liaison, in a browser of their own, finds the gate waiting on their dashboard.
    liaison = new_page("liaison-ar")
    expect(liaison).to_have_url(re.compile(r"/countries/AR/$"))
    liaison.locator(f"#main a[href='{url}#sign-off']").click()
    expect(liaison.locator("#stage").get_by_role("button", name="Move to Signed")).to_have_count(0)
    liaison.locator("#sign-off-comment").fill("The ministry agrees")
    liaison.get_by_role("button", name="Sign off for the government").click()
    expect(liaison.locator(".messages")).to_contain_text("Your sign-off is recorded.")
    expect(liaison.get_by_role("button", name="Sign off for the government")).to_have_count(0)

    # Every guard met now: the manager moves the partnership to signed.
    manager.reload()
    expect(manager.locator("#stage ul[aria-label='Conditions'] > li.guard-met")).to_have_count(3)
    done = move(manager, "Signed", "Both sides signed off the memorandum")
    expect(done).to_contain_text("AR-PATAGONIA moved to Signed.")
    expect(manager.locator("main .badge.stage-signed")).to_be_visible()

    # Implementing needs firm money from both sides.
    refusal = move(manager, "Implementing", "No money yet")
    expect(refusal).to_contain_text("AR-PATAGONIA cannot move to Implementing")
    expect(refusal).to_contain_text("no company commitment is committed or disbursing")
    expect(refusal).to_contain_text("no government commitment is committed or disbursing")

    add_commitment(manager, funder="OpenAI (program sponsor)", side="company", amount="1500000000")
    expect(conditions(manager).filter(has_text="company-side commitment")).to_have_class(MET)
    add_commitment(manager, funder="Government of Argentina", side="government", amount="250000000")
    expect(manager.locator("#stage ul[aria-label='Conditions'] > li.guard-met")).to_have_count(2)

    done = move(manager, "Implementing", "Co-financing is firm on both sides")
    expect(done).to_contain_text("AR-PATAGONIA moved to Implementing.")
    expect(manager.locator("main .badge.stage-implementing")).to_be_visible()
    expect(manager.locator("ol.timeline")).to_contain_text("Co-financing is firm on both sides")

    partnership.refresh_from_db()
    assert partnership.stage == "implementing"
    assert set(partnership.sign_offs.values_list("side", "signed_by__username")) == {
        ("program", "manager"),
        ("government", "liaison-ar"),
    }
