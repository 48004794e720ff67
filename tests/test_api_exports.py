"""Every list downloads as CSV and XLSX with its filters, scoped, neutralised and audited."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from openai_countries.exports import neutralise
from openai_countries.testing import client_for
from partnerships.models import AccessEvent
from tests import factories as f
from tests.test_api_access import CASES

pytestmark = pytest.mark.django_db


def rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("value", ["=1+2", "+SUM(A1)", "-3", "@cmd", "\tx"])
def test_formula_cells_are_neutralised(value: str) -> None:
    assert neutralise(value) == "'" + value
    assert neutralise("Plain") == "Plain"
    assert neutralise(12) == 12


def test_export_is_scoped_filtered_and_audited(make_liaison: Any, ae: Any, no: Any) -> None:
    own = f.PartnershipFactory.create(lead_country=ae)
    f.MilestoneFactory.create(partnership=own, title='=HYPERLINK("http://evil")')
    f.MilestoneFactory.create(partnership=own, title="Grid", completed_on="2026-01-01")
    f.MilestoneFactory.create(
        partnership=f.PartnershipFactory.create(lead_country=no), title="Other"
    )
    client = client_for(make_liaison(ae))
    table = rows(client.get("/api/v1/milestones/export/"))
    header, body = table[0], table[1:]
    titles = sorted(row[header.index("title")] for row in body)
    assert titles == ['\'=HYPERLINK("http://evil")', "Grid"]
    filtered = rows(client.get("/api/v1/milestones/export/?completed_on__isnull=false"))
    assert [row[header.index("title")] for row in filtered[1:]] == ["Grid"]
    event = AccessEvent.objects.filter(kind="export").order_by("at", "pk").first()
    assert event is not None
    assert AccessEvent.objects.filter(kind="export").count() == 2
    assert event.detail["rows"] == 2 and "milestone" in event.target.lower()


def test_xlsx_export_opens_in_a_spreadsheet(manager: Any, ae: Any) -> None:
    f.SiteFactory.create(
        partnership=f.PartnershipFactory.create(lead_country=ae), name="@Abu Dhabi"
    )
    response = client_for(manager).get("/api/v1/sites/export/?file=xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="sites.xlsx"'
    sheet: Any = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert "name" in values[0]
    assert values[1][values[0].index("name")] == "'@Abu Dhabi"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_list_exports_only_the_users_rows(
    case: Any, make_liaison: Any, ae: Any, no: Any
) -> None:
    mine, theirs = case.make(ae), case.make(no)
    table = rows(client_for(make_liaison(ae)).get(f"/api/v1/{_prefix(case)}/export/"))
    ids = {int(row[table[0].index("id")]) for row in table[1:]}
    assert mine.pk in ids
    assert theirs.pk not in ids


def test_bad_file_type_and_no_export_right(ae: Any, manager: Any) -> None:
    assert client_for(manager).get("/api/v1/sites/export/?file=pdf").status_code == 400
    assert client_for(f.UserFactory.create()).get("/api/v1/sites/export/").status_code == 403


def _prefix(case: Any) -> str:
    from openai_countries.api.urls import router

    return next(
        prefix for prefix, _viewset, basename in router.registry if basename == case.basename
    )
