"""API lists: filters narrow what the user already sees, and queries do not grow with rows."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openai_countries.testing import client_for
from tests import factories as f
from tests.test_api_access import CASES

pytestmark = pytest.mark.django_db


def queries_for(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_list_queries_do_not_grow_with_rows(
    case: Any, manager: Any, make_liaison: Any, ae: Any
) -> None:
    url = reverse(f"{case.basename}-list")
    for client in (client_for(manager), client_for(make_liaison(ae))):
        case.make(ae)
        case.make(ae)
        client.get(url)  # warm per-request caches that are not about rows
        case.make(ae)  # measured after a write, like the second look: counts are counted again
        few = queries_for(client, url)
        for _ in range(8):
            case.make(ae)
        assert queries_for(client, url) == few, case.basename


def test_country_filter_narrows_within_scope(
    make_liaison: Any, manager: Any, ae: Any, no: Any
) -> None:
    own = f.SiteFactory.create(partnership=f.PartnershipFactory.create(lead_country=ae))
    foreign = f.SiteFactory.create(partnership=f.PartnershipFactory.create(lead_country=no))
    manager_client = client_for(manager)
    ids = [row["id"] for row in manager_client.get("/api/v1/sites/?country=no").json()["results"]]
    assert ids == [foreign.pk]
    liaison = client_for(make_liaison(ae))
    assert liaison.get("/api/v1/sites/?country=NO").json()["count"] == 0
    assert [r["id"] for r in liaison.get("/api/v1/sites/?country=AE,NO").json()["results"]] == [
        own.pk
    ]


def test_filters_search_ordering_and_page_size(manager: Any, ae: Any) -> None:
    partnership = f.PartnershipFactory.create(lead_country=ae)
    for n in range(3):
        f.MilestoneFactory.create(partnership=partnership, title=f"Grid {n}")
    f.MilestoneFactory.create(partnership=partnership, title="Cooling", completed_on="2026-01-01")
    client = client_for(manager)
    body = client.get("/api/v1/milestones/?search=grid&ordering=-title&page_size=2").json()
    assert body["count"] == 3
    assert [row["title"] for row in body["results"]] == ["Grid 2", "Grid 1"]
    assert client.get("/api/v1/milestones/?completed_on__isnull=false").json()["count"] == 1
    assert client.get("/api/v1/milestones/?page_size=100000").status_code == 200
    assert len(client.get("/api/v1/milestones/?page_size=100000").json()["results"]) == 4
    bad = client.get("/api/v1/milestones/?due_on__gte=not-a-date")
    assert bad.status_code == 400
    assert "due_on__gte" in bad.json()


def test_a_foreign_id_in_a_filter_is_refused_like_an_unknown_one(
    make_liaison: Any, ae: Any, no: Any
) -> None:
    foreign = f.PartnershipFactory.create(lead_country=no)
    client = client_for(make_liaison(ae))
    unknown = client.get("/api/v1/commitments/?partnership=999999")
    other = client.get(f"/api/v1/commitments/?partnership={foreign.pk}")
    assert unknown.status_code == other.status_code == 400
    assert unknown.json()["partnership"][0].replace("999999", "X") == other.json()["partnership"][
        0
    ].replace(str(foreign.pk), "X")


def test_health_and_guards_of_a_regional_partnership_need_all_its_countries(
    manager: Any, make_liaison: Any, ae: Any, no: Any
) -> None:
    from partnerships.services.partnerships import partnership_create

    regional = partnership_create(
        code="REG-2", title="Regional", lead_country=ae, countries=[no], by=manager
    )
    own = f.PartnershipFactory.create(lead_country=ae)
    liaison = client_for(make_liaison(ae))
    for name in ("health", "guards"):
        assert liaison.get(f"/api/v1/partnerships/{regional.pk}/{name}/").status_code == 403
        assert liaison.get(f"/api/v1/partnerships/{own.pk}/{name}/").status_code == 200
        assert (
            client_for(manager).get(f"/api/v1/partnerships/{regional.pk}/{name}/").status_code
            == 200
        )


def test_cached_counts_follow_every_write(manager: Any, make_liaison: Any, ae: Any) -> None:
    client = client_for(manager)
    partnership = f.PartnershipFactory.create(lead_country=ae)
    f.CommitmentFactory.create(partnership=partnership, country=ae)
    url = "/api/v1/commitments/"
    counted = client.get(url).json()["count"]
    with CaptureQueriesContext(connection) as cached:
        assert client.get(url).json()["count"] == counted
    assert not any("COUNT(" in q["sql"] for q in cached.captured_queries), "the count is cached"

    f.CommitmentFactory.create(partnership=partnership, country=ae)
    assert client.get(url).json()["count"] == counted + 1
    assert client.get(f"{url}?status=cancelled").json()["count"] == 0
    # Each reader's scope has its own count: a liaison of another country sees none of these.
    assert client_for(make_liaison(f.country("NO"))).get(url).json()["count"] == 0
    # The page shows the same count, kept under its own key.
    browser = Client()
    browser.force_login(manager)
    assert browser.get("/commitments/").context["paginator"].count == counted + 1


def test_lists_of_rows_outside_the_program_data_are_counted_every_time(
    manager: Any, ae: Any
) -> None:
    """Report runs change no data version: their count is never cached."""
    client = client_for(manager)
    url = "/api/v1/report-runs/"
    before = client.get(url).json()["count"]
    f.ReportRunFactory.create(country=ae)
    assert client.get(url).json()["count"] == before + 1


@pytest.mark.parametrize("case", CASES, ids=str)
def test_lists_read_as_rows_answer_what_the_serializer_would(
    case: Any, manager: Any, ae: Any, no: Any, monkeypatch: Any
) -> None:
    """Lists are read as .values() rows (openai_countries.api.rows): every field, null or not,
    in the serializer's order and format, and many-to-many values in their order."""
    from openai_countries.api.rows import RowPlan
    from openai_countries.api.urls import router
    from openai_countries.api.viewsets import ScopedGenericViewSet

    viewset: Any = next(v for _p, v, name in router.registry if name == case.basename)
    assert RowPlan.for_serializer(viewset.serializer_class) is not None, case.basename
    for country in (ae, no, ae):
        case.make(country)
    client = client_for(manager)
    urls = [
        f"{reverse(f'{case.basename}-list')}?page_size=200",
        f"{reverse(f'{case.basename}-list')}?page_size=2&page=2&ordering=-id",
    ]
    as_rows = [client.get(url).json() for url in urls]
    monkeypatch.setattr(ScopedGenericViewSet, "row_lists", False)
    assert [client.get(url).json() for url in urls] == as_rows
    assert as_rows[0]["count"] >= 3


def test_participating_countries_read_as_rows_come_in_the_serializers_order(
    manager: Any, ae: Any, no: Any, monkeypatch: Any
) -> None:
    from openai_countries.api.viewsets import ScopedGenericViewSet
    from partnerships.services.partnerships import partnership_create
    from tests.factories import country

    for code, members in (("REG-A", [no, country("BR")]), ("REG-B", [country("JP")])):
        partnership_create(code=code, title=code, lead_country=ae, countries=members, by=manager)
    f.PartnershipFactory.create(lead_country=no)
    client = client_for(manager)
    as_rows = client.get("/api/v1/partnerships/?ordering=code").json()["results"]
    assert [row["countries"] for row in as_rows if row["code"].startswith("REG-")] == [
        ["BR", "NO", "AE"],  # by name: Brazil, Norway, United Arab Emirates
        ["JP", "AE"],
    ]
    monkeypatch.setattr(ScopedGenericViewSet, "row_lists", False)
    assert client.get("/api/v1/partnerships/?ordering=code").json()["results"] == as_rows


def test_a_pages_many_to_many_values_come_from_sql_compiled_once_per_page_size(
    manager: Any, ae: Any, no: Any
) -> None:
    """The countries of a page of partnerships are read with SQL compiled once per number of
    rows (openai_countries.api.rows), and are the pairs the ORM's query gives."""
    from openai_countries.api import rows
    from openai_countries.api.rows import RowPlan
    from partnerships.api import PartnershipSerializer
    from partnerships.models import Partnership
    from partnerships.services.partnerships import partnership_create
    from tests.factories import country

    partnership_create(
        code="REG-A", title="A", lead_country=ae, countries=[no, country("BR")], by=manager
    )
    f.PartnershipFactory.create(lead_country=no)
    plan = RowPlan.for_serializer(PartnershipSerializer)
    assert plan is not None
    (many,) = plan.many
    ids = list(Partnership.objects.order_by("-pk").values_list("pk", flat=True))
    rows._related_pairs_sql.cache_clear()
    pairs = [tuple(pair) for pair in rows._related_pairs_of(Partnership, many, ids)]
    assert pairs == list(rows._related_pairs(Partnership, many, ids))
    assert tuple(code for pk, code in pairs if pk == ids[1]) == ("BR", "NO", "AE")
    client = client_for(manager)
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/partnerships/?page_size=1").status_code == 200
        assert any("partnershipcountry" in query["sql"] for query in captured)
    info = rows._related_pairs_sql.cache_info()
    assert (info.misses, info.hits) == (2, 1)  # 2 then 1 row(s): compiled once each


def test_reference_lists_read_as_rows_answer_what_the_serializer_would(
    manager: Any, ae: Any, monkeypatch: Any
) -> None:
    from openai_countries.api.viewsets import ScopedGenericViewSet
    from partnerships.models import Region

    region = Region.objects.create(code="GULF", name="Gulf")
    ae.region = region
    ae.save()
    f.OrganisationFactory.create(home_country=ae)
    client = client_for(manager)
    urls = [
        "/api/v1/countries/?page_size=200",
        "/api/v1/regions/?page_size=200",
        "/api/v1/organisations/?page_size=200",
        "/api/v1/locales/?page_size=200",
        "/api/v1/exchange-rates/?page_size=200",
        "/api/v1/partnerships/?search=a&ordering=lead_country__code",
    ]
    as_rows = [client.get(url).json() for url in urls]
    monkeypatch.setattr(ScopedGenericViewSet, "row_lists", False)
    assert [client.get(url).json() for url in urls] == as_rows
    assert as_rows[1]["results"][0]["countries"] == ["AE"]


def test_an_empty_filterset_filters_nothing(manager: Any) -> None:
    """A request that names no filter skips its FilterSet (openai_countries.filters): that
    holds only while no FilterSet narrows rows when given nothing."""
    from django.test import RequestFactory

    from openai_countries.api.urls import router

    request = RequestFactory().get("/")
    request.user = manager
    checked = 0
    viewsets: list[Any] = [viewset for _prefix, viewset, _name in router.registry]
    for viewset in viewsets:
        filterset_class = getattr(viewset, "filterset_class", None)
        if filterset_class is None:
            continue
        queryset = viewset.queryset.all()
        filtered = filterset_class({}, queryset=queryset, request=request)
        assert filtered.is_valid(), filterset_class
        assert str(filtered.qs.query) == str(queryset.query), filterset_class
        checked += 1
    assert checked >= 15


def test_a_list_with_a_filter_still_goes_through_its_filterset(manager: Any, ae: Any) -> None:
    f.SiteFactory.create(partnership=f.PartnershipFactory.create(lead_country=ae))
    client = client_for(manager)
    assert client.get("/api/v1/sites/?status=operational").json()["count"] == 0
    assert client.get("/api/v1/sites/?status=announced&page=1").json()["count"] == 1
    assert client.get("/api/v1/sites/?page_size=50").json()["count"] == 1
    assert client.get("/api/v1/sites/?partnership=999999").status_code == 400


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("ordering", ["", "-id"])
def test_pages_found_by_key_hold_the_lists_rows_in_order(
    case: Any, ordering: str, manager: Any, ae: Any, no: Any
) -> None:
    """Each page's rows are found by primary key on the list's own query, then read whole: the
    pages, one after another, are the list, in its order, each row once."""
    for country in (ae, no, ae, no, ae):
        case.make(country)
    client = client_for(manager)
    url = f"{reverse(f'{case.basename}-list')}?ordering={ordering}"
    whole = client.get(f"{url}&page_size=200").json()
    count = whole["count"]
    paged: list[Any] = []
    for number in range(1, (count + 1) // 2 + 1):
        paged += client.get(f"{url}&page_size=2&page={number}").json()["results"]
    assert count >= 5 and paged == whole["results"]
    assert client.get(f"{url}&page_size=2&page={count}").status_code == 404


def test_the_api_root_links_every_resource(manager: Any) -> None:
    from openai_countries.api.urls import router

    links = client_for(manager).get("/api/v1/").json()
    assert sorted(links) == sorted(prefix for prefix, _viewset, _name in router.registry)
    assert links["requirements"] == "http://testserver/api/v1/requirements/"


def test_a_resource_is_resolved_among_its_own_routes_only() -> None:
    from django.urls import resolve

    from openai_countries.api.urls import router

    last_prefix, _viewset, last_name = router.registry[-1]
    for url, name in (
        (f"/api/v1/{last_prefix}/", f"{last_name}-list"),
        ("/api/v1/requirements/12/", "localizationrequirement-detail"),
    ):
        match = resolve(url)
        assert match.url_name == name
        # The resource prefixes, then that resource's few routes, not every route of the API.
        assert len(match.tried or []) < len(router.registry) + 20, url


def test_a_pages_rows_are_read_by_the_keys_the_filtered_list_found(
    make_liaison: Any, ae: Any, no: Any
) -> None:
    """The scope filter (and any other) applies once, where a page's keys are found: repeated
    around them it made PostgreSQL expect one row of fifty (and join them one by one)."""
    from tests.test_api_access import commitment_in

    own = [commitment_in(ae), commitment_in(ae)]
    commitment_in(no)
    liaison = make_liaison(ae)
    api, page = client_for(liaison), Client()
    page.force_login(liaison)
    for client, url in ((api, "/api/v1/commitments/"), (page, "/commitments/")):
        client.get(url)  # the count is cached: what is left is the page's rows
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        rows = [q["sql"] for q in captured if q["sql"].startswith('SELECT "financing_commitment"')]
        assert len(rows) == 1, url
        assert rows[0].count('"country_id" IN (') == 1, rows[0]
    shown = api.get("/api/v1/commitments/?ordering=id").json()["results"]
    assert [row["id"] for row in shown] == sorted(c.pk for c in own)
    html = page.get("/commitments/").content.decode()
    assert all(f"/commitments/{c.pk}/" in html for c in own)


def _sorts_under_limit(plan: dict[str, Any], under_limit: bool = False) -> list[str]:
    """The sort nodes an EXPLAIN (FORMAT JSON) plan runs below a Limit."""
    found = [plan["Node Type"]] if under_limit and "Sort" in plan["Node Type"] else []
    below = under_limit or plan["Node Type"] == "Limit"
    for child in plan.get("Plans", []):
        found += _sorts_under_limit(child, below)
    return found


def test_a_deep_page_of_disbursements_is_read_from_the_index_of_its_order(manager: Any) -> None:
    """Newest commitments' payments first, newest first within each: without an index on both
    columns, page 100 of 200,000 sorted the 5,000 rows before it commitment by commitment."""
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL plan")
    commitment = f.CommitmentFactory.create()
    f.DisbursementFactory.create_batch(3, commitment=commitment)
    client = client_for(manager)
    url = "/api/v1/disbursements/?page_size=1&page=2"
    client.get(url)  # the count is cached: what is left is the page's rows
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    (sql,) = [q["sql"] for q in captured if q["sql"].startswith('SELECT "financing_disbursement"')]
    with connection.cursor() as cursor:
        # Planned as if the table were large: a sort is then only chosen if no index holds it.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    assert _sorts_under_limit(plan[0]["Plan"]) == []
