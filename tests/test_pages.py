"""The browser pages: every page that shows one record is scoped like the API (another
country's record is a 404, writes need ``change``), lists hold only the reader's rows, and
dashboards and lists cost a fixed number of queries whatever the amount of data."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from djmoney.money import Money

from openai_countries.testing import grant_change_on
from partnerships.models import Country, ReportRun, Stage, UserPreference
from partnerships.services.partnerships import partnership_update
from tests import factories as f

pytestmark = pytest.mark.django_db


def partnership_in(country: Country) -> Any:
    return f.PartnershipFactory.create(lead_country=country)


def site_in(country: Country) -> Any:
    return f.SiteFactory.create(partnership=partnership_in(country))


def commitment_in(country: Country) -> Any:
    return f.CommitmentFactory.create(partnership=partnership_in(country))


def requirement_in(country: Country) -> Any:
    return f.RequirementFactory.create(partnership=partnership_in(country))


@dataclass
class PageCase:
    """A page about one record: the route, how to make its record in a country, and whether
    it is read (``view``), a form (``change``), or a POST-only action (with its body)."""

    route: str
    make: Callable[[Country], Any]
    kind: str = "view"
    body: dict[str, Any] = field(default_factory=dict)
    # Who acts: a manager of one country, or (for the government's own actions) its liaison.
    actor: str = "country_manager"

    def __str__(self) -> str:
        return self.route


PAGE_CASES = [
    PageCase("partnerships:partnership-detail", partnership_in),
    PageCase("partnerships:partnership-edit", partnership_in, "change"),
    PageCase("partnerships:partnership-advance", partnership_in, "action", {"to_stage": "scoping"}),
    PageCase(
        "partnerships:partnership-sign-off",
        partnership_in,
        "action",
        {"side": "government"},
        actor="liaison",
    ),
    PageCase("partnerships:partnership-hold", partnership_in, "action", {"reason": "x"}),
    PageCase("partnerships:partnership-resume", partnership_in, "action"),
    PageCase("partnerships:partnership-cancel", partnership_in, "action", {"reason": "x"}),
    PageCase(
        "partnerships:milestone-edit",
        lambda c: f.MilestoneFactory.create(partnership=partnership_in(c)),
        "change",
    ),
    PageCase(
        "partnerships:risk-edit",
        lambda c: f.RiskFactory.create(partnership=partnership_in(c)),
        "change",
    ),
    PageCase(
        "partnerships:agreement-edit",
        lambda c: f.AgreementFactory.create(partnership=partnership_in(c)),
        "change",
    ),
    PageCase("infrastructure:site-detail", site_in),
    PageCase("infrastructure:site-edit", site_in, "change"),
    PageCase("infrastructure:site-advance", site_in, "action", {"to_status": "site_selection"}),
    PageCase("infrastructure:site-hold", site_in, "action", {"reason": "x"}),
    PageCase("infrastructure:site-resume", site_in, "action"),
    PageCase("infrastructure:site-cancel", site_in, "action", {"reason": "x"}),
    PageCase(
        "infrastructure:sitephase-edit",
        lambda c: f.SitePhaseFactory.create(site=site_in(c)),
        "change",
    ),
    PageCase(
        "infrastructure:permit-edit",
        lambda c: f.PermitFactory.create(site=site_in(c)),
        "change",
    ),
    PageCase("financing:commitment-detail", commitment_in),
    PageCase("financing:commitment-edit", commitment_in, "change"),
    PageCase("financing:commitment-confirm", commitment_in, "action", actor="liaison"),
    PageCase("financing:commitment-commit", commitment_in, "action"),
    PageCase(
        "financing:commitment-disburse",
        commitment_in,
        "action",
        {"paid_on": "2026-01-01", "amount": "1", "reference": "X"},
    ),
    PageCase(
        "financing:commitment-reduce", commitment_in, "action", {"new_amount": "1", "reason": "x"}
    ),
    PageCase("financing:commitment-cancel", commitment_in, "action", {"reason": "x"}),
    PageCase("localization:requirement-detail", requirement_in),
    PageCase("localization:requirement-edit", requirement_in, "change"),
    PageCase(
        "localization:requirement-transition", requirement_in, "action", {"to_status": "accepted"}
    ),
    PageCase("report-row", lambda c: f.ReportRunFactory.create(country=c)),
]
# Reference data, the same for every country, and a person's own subscriptions (only their owner
# reaches them; tests/test_reports.py): no country scope to test.
UNSCOPED_ROUTES = {"partnerships:organisation-edit", "report-unsubscribe"}


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("case", PAGE_CASES, ids=str)
def test_record_pages_are_scoped(
    case: PageCase, ae: Country, no: Country, make_liaison: Any, manager: Any
) -> None:
    own, foreign = case.make(ae), case.make(no)
    liaison = signed_in(make_liaison(ae))
    country_manager = signed_in(grant_change_on(f.UserFactory.create(), ae))
    own_url, foreign_url = (reverse(case.route, args=[obj.pk]) for obj in (own, foreign))

    if case.kind == "view":
        assert liaison.get(own_url).status_code == 200
        response = liaison.get(foreign_url)
        assert response.status_code == 404
        assert str(no.name) not in response.content.decode()
    elif case.kind == "change":
        assert liaison.get(own_url).status_code == 403, "a liaison does not edit records"
        assert country_manager.get(own_url).status_code == 200
        assert country_manager.get(foreign_url).status_code == 404
        assert country_manager.post(foreign_url, {}).status_code == 404
        assert signed_in(manager).get(foreign_url).status_code == 200
    else:
        actor = liaison if case.actor == "liaison" else country_manager
        assert actor.post(foreign_url, case.body).status_code == 404
        # Done, or refused by the service with the page saying why; never another country's.
        assert actor.post(own_url, case.body).status_code in (302, 400)
        assert actor.get(own_url).status_code == 302, "actions are POST only"


def _page_routes() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in {
                    "partnerships",
                    "infrastructure",
                    "financing",
                    "localization",
                }:
                    walk(pattern.url_patterns, pattern.namespace + ":")
            elif (
                isinstance(pattern, URLPattern)
                and pattern.name
                and "<int:pk>" in str(pattern.pattern)
            ):
                names.add(namespace + pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_every_record_page_has_a_scoping_case() -> None:
    covered = {case.route for case in PAGE_CASES} | UNSCOPED_ROUTES
    missing = {name for name in _page_routes() if not name.startswith("admin")} - covered
    assert {"partnerships:partnership-detail", "report-row"} <= _page_routes()
    assert missing == set(), f"pages without a scoping case: {sorted(missing)}"


LISTS = [
    ("partnerships:partnership-list", partnership_in),
    ("infrastructure:site-list", site_in),
    ("financing:commitment-list", commitment_in),
    ("localization:requirement-list", requirement_in),
    (
        "partnerships:milestone-list",
        lambda c: f.MilestoneFactory.create(partnership=partnership_in(c)),
    ),
    ("partnerships:risk-list", lambda c: f.RiskFactory.create(partnership=partnership_in(c))),
]


@pytest.mark.parametrize(("route", "make"), LISTS, ids=[r for r, _ in LISTS])
def test_lists_show_only_the_readers_rows_in_constant_queries(
    route: str, make: Callable[[Country], Any], ae: Country, no: Country, make_liaison: Any
) -> None:
    own, foreign = make(ae), make(no)
    liaison = signed_in(make_liaison(ae))
    page = liaison.get(reverse(route)).content.decode()
    assert own.get_absolute_url() in page
    assert foreign.get_absolute_url() not in page

    make(ae)  # both looks come after a write: counts and filter forms are worked out again
    with CaptureQueriesContext(connection) as few:
        liaison.get(reverse(route))
    for _ in range(5):
        make(ae)
    with CaptureQueriesContext(connection) as many:
        assert liaison.get(reverse(route)).status_code == 200
    assert len(many) == len(few)


def test_list_cells_are_escaped_labelled_and_formatted(
    ae: Country, no: Country, manager: Any
) -> None:
    """A list's cells show user text escaped, choices by their label and figures in the
    reader's locale, whatever columns the page loads."""
    operator = f.OrganisationFactory.create(name="Build & <b>Co</b>")
    site = f.SiteFactory.create(
        partnership=partnership_in(ae),
        name='<img src=x onerror="alert(1)">',
        status="site_selection",
        planned_capacity_mw=Decimal("1250.5"),
        operator=operator,
    )
    f.CommitmentFactory.create(
        partnership=site.partnership, funder=operator, amount=Money("2500000", "USD")
    )
    client = signed_in(manager)
    sites = client.get(reverse("infrastructure:site-list")).content.decode()
    assert (
        f'<td><a href="{site.get_absolute_url()}">'
        "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</a></td>"
    ) in sites
    assert "<td>Build &amp; &lt;b&gt;Co&lt;/b&gt;</td>" in sites
    assert "<td>Site selection</td>" in sites and "<td>1,250.5</td>" in sites
    assert 'onerror="alert' not in sites and "<b>Co</b>" not in sites

    commitments = client.get(reverse("financing:commitment-list")).content.decode()
    assert "<td>$2,500,000.00</td>" in commitments
    assert "<td>Government</td>" in commitments

    f.PartnershipFactory.create(code="P-MANY", lead_country=no, countries=[ae])
    for query in ({}, {"stage": "prospect"}):  # filtered or not, rows load only their columns
        with CaptureQueriesContext(connection) as listed:
            partnerships = client.get(reverse("partnerships:partnership-list"), query)
        row = partnerships.content.decode().split(">P-MANY</a>")[1].split("</tr>")[0]
        assert "<td>Norway, United Arab Emirates</td>" in row  # every participating country
        assert not any('"summary"' in q["sql"] for q in listed.captured_queries), query

    UserPreference.objects.create(user=manager, language="fr")
    french = signed_in(manager).get(reverse("financing:commitment-list")).content.decode()
    assert "<td>2\u202f500\u202f000,00\xa0$US</td>" in french


def test_the_partnerships_page_names_their_countries_from_one_query_compiled_once(
    manager: Any, ae: Any, no: Any
) -> None:
    """A page's participating countries are read from the through table by the rows' keys, with
    SQL compiled once per number of rows, and named in the reader's language."""
    from openai_countries.api import rows

    f.PartnershipFactory.create(code="P-MANY", lead_country=no, countries=[ae])
    f.PartnershipFactory.create(code="P-ONE", lead_country=ae)
    UserPreference.objects.create(user=manager, language="fr")
    client = signed_in(manager)
    rows._related_pairs_sql.cache_clear()
    for _ in range(2):
        with CaptureQueriesContext(connection) as listed:
            page = client.get(reverse("partnerships:partnership-list")).content.decode()
        assert len([q for q in listed.captured_queries if "partnershipcountry" in q["sql"]]) == 1
        many = page.split(">P-MANY</a>")[1].split("</tr>")[0]
        assert "<td>Norv\u00e8ge, \u00c9mirats arabes unis</td>" in many  # in Norway, UAE order
        one = page.split(">P-ONE</a>")[1].split("</tr>")[0]
        assert "<td>\u00c9mirats arabes unis</td>" in one
    info = rows._related_pairs_sql.cache_info()
    assert (info.misses, info.hits) == (1, 1)


def _program_in(country: Country) -> None:
    partnership = partnership_in(country)
    site = f.SiteFactory.create(partnership=partnership)
    f.SitePhaseFactory.create(site=site, planned_ready_on=datetime.date(2026, 3, 1))
    f.CommitmentFactory.create(partnership=partnership, status="committed")
    f.RequirementFactory.create(partnership=partnership, target_on=datetime.date(2025, 1, 1))
    f.MilestoneFactory.create(partnership=partnership, due_on=datetime.date(2025, 1, 1))


@pytest.mark.parametrize("route", ["portfolio", "country-dashboard", "partnership-detail"])
def test_dashboards_cost_the_same_queries_whatever_the_data(
    route: str, ae: Country, manager: Any
) -> None:
    _program_in(ae)
    client = signed_in(manager)
    first = partnership_in(ae)
    f.SiteFactory.create(partnership=first)
    f.CommitmentFactory.create(partnership=first, status="committed")
    url = {
        "portfolio": reverse("portfolio"),
        "country-dashboard": reverse("country-dashboard", args=["AE"]),
        "partnership-detail": reverse("partnerships:partnership-detail", args=[first.pk]),
    }[route]
    client.get(url)  # the reader's access snapshot is cached from then on, on both sides
    # Both looks come after the same kinds of writes: no cached rollups, and every kept figure
    # (co-financing, coverage, capacity, attention signals) of the country computed again.
    _program_in(ae)
    f.SiteFactory.create(partnership=first)
    f.CommitmentFactory.create(partnership=first, status="committed")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(4):
        _program_in(ae)
        f.SiteFactory.create(partnership=first)
        f.CommitmentFactory.create(partnership=first, status="committed")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_a_liaison_lands_on_their_country_and_cannot_open_another(
    ae: Country, no: Country, make_liaison: Any
) -> None:
    partnership_in(no)
    client = signed_in(make_liaison(ae))
    assert client.get("/")["Location"] == reverse("country-dashboard", args=["AE"])
    assert client.get(reverse("country-dashboard", args=["NO"])).status_code == 404
    assert client.get(reverse("country-dashboard", args=["ZZ"])).status_code == 404
    page = client.get(reverse("country-dashboard", args=["AE"])).content.decode()
    assert "Norway" not in page


def test_anonymous_visitors_are_sent_to_the_login_page() -> None:
    response = Client().get(reverse("portfolio"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert Client().get(reverse("login")).status_code == 200


def test_search_is_scoped(ae: Country, no: Country, make_liaison: Any) -> None:
    mine = f.PartnershipFactory.create(lead_country=ae, title="Sovereign compute AE")
    theirs = f.PartnershipFactory.create(lead_country=no, title="Sovereign compute NO")
    page = signed_in(make_liaison(ae)).get(reverse("search"), {"q": "sovereign"}).content.decode()
    assert mine.get_absolute_url() in page
    assert theirs.get_absolute_url() not in page


def test_a_bad_edit_keeps_the_input_and_says_what_is_wrong(ae: Country, manager: Any) -> None:
    partnership = partnership_in(ae)
    url = reverse("partnerships:partnership-edit", args=[partnership.pk])
    client = signed_in(manager)
    form = client.get(url).context["form"]
    data = {**{k: v for k, v in form.initial.items() if v is not None}, "title": ""}
    data.update(
        summary="Typed text that must survive",
        lead_country=ae.pk,
        planned_investment_0="100",
        planned_investment_1="USD",
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    assert "Typed text that must survive" in response.content.decode()


def test_a_concurrent_edit_is_detected_and_shows_both_versions(ae: Country, manager: Any) -> None:
    partnership = partnership_in(ae)
    url = reverse("partnerships:partnership-edit", args=[partnership.pk])
    client = signed_in(manager)
    opened = client.get(url).context["form"]
    data = {k: v for k, v in opened.initial.items() if v is not None}
    data.update(
        title="Mine", lead_country=ae.pk, planned_investment_0="", planned_investment_1="USD"
    )

    partnership_update(partnership=partnership, by=manager, title="Theirs")

    response = client.post(url, data)
    assert response.status_code == 200
    partnership.refresh_from_db()
    assert partnership.title == "Theirs", "nothing is saved over someone else's change"
    rows = {row["label"]: row for row in response.context["conflict"]}
    assert rows["Title"]["stored"] == "Theirs"
    assert rows["Title"]["typed"] == "Mine"
    assert rows["Title"]["differs"]
    assert "Someone else saved this record" in response.content.decode()

    # Saving again, now on the version just shown, keeps what was typed.
    again = {**data, "version": response.context["form"].data["version"]}
    assert client.post(url, again).status_code == 302
    partnership.refresh_from_db()
    assert partnership.title == "Mine"
    assert partnership.history.first().history_user == manager


def test_a_refused_stage_move_says_why(ae: Country, manager: Any) -> None:
    partnership = f.PartnershipFactory.create(lead_country=ae, stage=Stage.NEGOTIATING)
    client = signed_in(manager)
    response = client.post(
        reverse("partnerships:partnership-advance", args=[partnership.pk]),
        {"to_stage": Stage.SIGNED},
        follow=True,
    )
    page = response.content.decode()
    assert "no MoU or definitive agreement is signed" in page
    partnership.refresh_from_db()
    assert partnership.stage == Stage.NEGOTIATING


def test_the_language_choice_is_remembered_for_the_user(manager: Any) -> None:
    client = signed_in(manager)
    client.post(reverse("set-language"), {"language": "fr", "next": "/portfolio/"})
    assert UserPreference.objects.get(user=manager).language == "fr"
    fresh = Client()
    fresh.force_login(manager)
    # force_login does not send the login signal; a real login does.
    fresh.logout()
    manager.set_password("a long enough password")
    manager.save()
    fresh.post(reverse("login"), {"username": "manager", "password": "a long enough password"})
    page = fresh.get(reverse("portfolio")).content.decode()
    assert '<html lang="fr"' in page
    assert client.post(reverse("set-language"), {"language": "xx"}).status_code == 302
    assert UserPreference.objects.get(user=manager).language == "fr"


def test_arabic_pages_are_right_to_left(manager: Any) -> None:
    client = signed_in(manager)
    client.post(reverse("set-language"), {"language": "ar"})
    page = client.get(reverse("portfolio")).content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert "bootstrap.rtl.min.css" in page


def test_reports_are_requested_from_the_page_within_scope(
    ae: Country, no: Country, make_liaison: Any
) -> None:
    partnership_in(ae), partnership_in(no)
    client = signed_in(make_liaison(ae))
    today = datetime.date.today().isoformat()
    ok = client.post(
        reverse("report-list"),
        {"kind": "country", "country": ae.pk, "as_of": today, "language": "en"},
    )
    assert ok.status_code == 302
    run = ReportRun.objects.get(country=ae)
    assert f"run-{run.pk}" in ok["Location"]
    refused = client.post(
        reverse("report-list"),
        {"kind": "country", "country": no.pk, "as_of": today, "language": "en"},
    )
    assert refused.status_code == 400
    assert "country" in refused.context["request_form"].errors
    assert not ReportRun.objects.filter(country=no).exists()
    assert f"run-{run.pk}" in client.get(reverse("report-list")).content.decode()


RECORD_PAGES = [
    (
        "infrastructure:site-detail",
        site_in,
        lambda site: (
            f.SitePhaseFactory.create(site=site, number=site.phases.count() + 1),
            f.PermitFactory.create(site=site),
        ),
    ),
    (
        "financing:commitment-detail",
        lambda c: f.CommitmentFactory.create(partnership=partnership_in(c), status="committed"),
        lambda commitment: f.DisbursementFactory.create(commitment=commitment, amount=1),
    ),
    (
        "localization:requirement-detail",
        requirement_in,
        lambda requirement: requirement.status_transitions.create(to_status="proposed"),
    ),
]


@pytest.mark.parametrize(
    ("route", "make", "grow"), RECORD_PAGES, ids=[route for route, _, _ in RECORD_PAGES]
)
def test_record_pages_cost_the_same_queries_whatever_the_data(
    route: str,
    make: Callable[[Country], Any],
    grow: Callable[[Any], Any],
    ae: Country,
    manager: Any,
) -> None:
    record = make(ae)
    grow(record)
    client = signed_in(manager)
    url = reverse(route, args=[record.pk])
    client.get(url)  # per-process caches (content types, permissions) are not the page's cost
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(4):
        grow(record)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_dashboards_are_cached_and_never_stale_after_a_write(ae: Country, manager: Any) -> None:
    from financing.services import commitment_create
    from infrastructure.models import SitePhase
    from infrastructure.services import site_advance_status
    from openai_countries.history import create_tracked

    partnership = partnership_in(ae)
    site = f.SiteFactory.create(partnership=partnership, status="announced")
    client = signed_in(manager)
    url = reverse("portfolio")
    first = client.get(url)
    with CaptureQueriesContext(connection) as cached:
        again = client.get(url)
    with CaptureQueriesContext(connection) as cold:
        from partnerships.dashboards import dashboards_invalidate

        dashboards_invalidate()
        client.get(url)
    assert len(cached) < len(cold), "a second look is served from the cache"
    # ... and shows exactly what the first look rendered.
    assert again.content.split(b"<main")[1] == first.content.split(b"<main")[1]
    assert first.context["cofinancing"]["split"].committed_usd == 0

    commitment_create(
        by=manager,
        partnership=partnership,
        country=ae,
        funder=f.OrganisationFactory.create(),
        side="company",
        instrument="equity",
        amount=Money("2500000", "USD"),
        status="committed",
    )
    after = client.get(url).context
    assert after["cofinancing"]["split"].committed_usd == Decimal("2500000")

    assert after["capacity"]["latest"] is None
    create_tracked(
        SitePhase,
        by=manager,
        site=site,
        number=1,
        planned_mw=Decimal("40"),
        planned_ready_on=datetime.date(2026, 3, 1),
    )
    assert client.get(url).context["capacity"]["latest"].planned_mw == Decimal("40")

    site_advance_status(site=site, to_status="site_selection", by=manager)
    stages = {row["stage"]: row["count"] for row in after["pipeline"]}
    stages["prospect"] -= 1
    stages["scoping"] += 1
    from partnerships.services.stages import partnership_advance_stage

    partnership_advance_stage(partnership=partnership, to_stage="scoping", by=manager)
    assert {row["stage"]: row["count"] for row in client.get(url).context["pipeline"]} == stages
    assert first.status_code == 200


def test_the_portfolio_links_each_coverage_cell_and_mapped_country_to_its_list(
    ae: Country, no: Country, manager: Any
) -> None:
    """Built in one pass (openai_countries.templatetags.ui): each cell counts live out of all,
    links to those requirements, and an empty cell is a dash; the map's table links countries."""
    f.RequirementFactory.create(partnership=partnership_in(ae), service_domain="education")
    f.RequirementFactory.create(partnership=partnership_in(ae), service_domain="education")
    partnership_in(no)
    page = signed_in(manager).get(reverse("portfolio")).content.decode()
    requirements = reverse("localization:requirement-list")
    coverage = page.split('id="coverage-heading"')[1]
    assert f'<a href="{requirements}?country=AE&amp;service_domain=education">0 / 2</a>' in coverage
    assert coverage.count('<span class="cell-none">—</span>') == 3  # AE's other domains
    assert "Norway" not in coverage  # no requirement there yet
    mapped = page.split("The map as a table")[1].split("</table>")[0]
    ae_link = reverse("country-dashboard", args=["AE"])
    assert f'<a href="{ae_link}">United Arab Emirates</a>' in mapped
    assert "Norway" in mapped


def test_readers_with_different_countries_never_share_a_cached_dashboard(
    ae: Country, no: Country, make_liaison: Any
) -> None:
    partnership_in(ae), partnership_in(no)
    ae_page = signed_in(make_liaison(ae)).get(reverse("portfolio")).context
    no_page = signed_in(make_liaison(no)).get(reverse("portfolio")).context
    assert [c["code"] for c in ae_page["map_countries"]] == ["AE"]
    assert [c["code"] for c in no_page["map_countries"]] == ["NO"]


def test_a_cached_dashboard_renders_its_figures_not_escaped_markup(
    ae: Country, manager: Any
) -> None:
    partnership_in(ae)
    client = signed_in(manager)
    for _ in range(2):  # built, then served from the cache
        page = client.get(reverse("portfolio")).content.decode()
        assert '<svg class="world-map"' in page or "<svg" in page
        assert "&lt;svg" not in page and "&lt;table" not in page


def test_cached_filter_forms_follow_writes_and_scope(
    ae: Country, no: Country, manager: Any, make_liaison: Any
) -> None:
    url = reverse("financing:commitment-list")
    client = signed_in(manager)
    first = partnership_in(ae)
    assert f">{first}<" in client.get(url).content.decode()
    second = partnership_in(ae)
    page = client.get(url).content.decode()
    assert f">{first}<" in page and f">{second}<" in page, "a new row is offered at once"
    foreign = partnership_in(no)
    liaison_page = signed_in(make_liaison(ae)).get(url).content.decode()
    assert f">{second}<" in liaison_page
    assert f">{foreign}<" not in liaison_page, "each reader's scope has its own form"
    chosen = client.get(url, {"partnership": second.pk}).content.decode()
    assert f'<option value="{second.pk}" selected>' in chosen


def test_the_header_is_each_requests_own(ae: Country, make_liaison: Any) -> None:
    """The header is rendered once per language and section; the user's name, the search words,
    the path and the CSRF token are still this request's, and escaped."""
    partnership_in(ae)
    liaison = make_liaison(ae, username="amira<b>")
    client = signed_in(liaison)
    page = client.get(reverse("search"), {"q": '"><script>x</script>'}).content.decode()
    assert "Sign out amira&lt;b&gt;" in page
    assert 'value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in page
    assert "<script>x</script>" not in page
    assert 'name="next" value="/search/?q=%22%3E%3Cscript%3Ex%3C%2Fscript%3E"' in page
    tokens = {
        line.split('value="')[1].split('"')[0]
        for line in page.splitlines()
        if 'name="csrfmiddlewaretoken"' in line
    }
    assert len(tokens) == 1 and "\0" not in page

    sites = client.get(reverse("infrastructure:site-list")).content.decode()
    assert 'nav-link active" href="/sites/" aria-current="page"' in sites
    other = signed_in(make_liaison(ae, username="second"))
    other_page = other.get(reverse("infrastructure:site-list")).content.decode()
    assert "Sign out second" in other_page and "amira" not in other_page

    UserPreference.objects.create(user=liaison, language="ar")
    client = signed_in(liaison)
    arabic = client.get(reverse("infrastructure:site-list")).content.decode()
    assert 'dir="rtl"' in arabic
    assert '<option value="ar" lang="ar" selected>' in arabic


def _without_csrf_tokens(page: bytes) -> str:
    """A page with its CSRF tokens (masked afresh on every request) blanked out."""
    import re

    return re.sub(r'(csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]+"', r"\1-", page.decode())


@pytest.mark.parametrize("route", ["portfolio", "country-dashboard"])
def test_a_dashboard_assembled_from_its_cached_shell_is_the_rendered_page(
    route: str, ae: Country, make_liaison: Any, settings: Any
) -> None:
    """Dashboards join a cached page around a cached fragment: byte for byte what rendering
    them the usual way gives, with each request's own CSRF token and each reader's own name."""
    _program_in(ae)
    url = reverse(route, args=["AE"] if route == "country-dashboard" else [])
    amira = signed_in(make_liaison(ae, username="amira<b>"))
    first, second = amira.get(url), amira.get(url)
    settings.DEBUG = True  # templates may change under a development server: no shells kept
    rendered = amira.get(url)
    settings.DEBUG = False
    assert first["Content-Type"] == rendered["Content-Type"] == "text/html; charset=utf-8"
    assert _without_csrf_tokens(first.content) == _without_csrf_tokens(rendered.content)
    assert _without_csrf_tokens(second.content) == _without_csrf_tokens(rendered.content)
    assert not second.templates, "the second look renders no template at all"
    assert rendered.templates[0].name in {t.name for t in first.templates}  # the shell's render
    token = amira.cookies["csrftoken"].value
    assert b"\0" not in second.content
    assert f'"X-CSRFToken": "{token}"'.encode() not in second.content  # masked, as Django does
    assert "Sign out amira&lt;b&gt;" in second.content.decode()

    other = signed_in(make_liaison(ae, username="second"))
    page = other.get(url).content.decode()
    assert "Sign out second" in page and "amira" not in page

    # A message to show (here a refused language) is shown once, on the page rendered in full.
    amira.post(reverse("set-language"), {"language": "xx", "next": url})
    assert "Choose one of the languages offered." in amira.get(url).content.decode()
    assert "Choose one of the languages offered." not in amira.get(url).content.decode()

    # The reader's language choice gives a page of its own, its title translated too.
    amira.post(reverse("set-language"), {"language": "fr", "next": url})
    french = amira.get(url).content.decode()
    assert '<html lang="fr"' in french
    assert ("<title>Émirats arabes unis · " in french) == (route == "country-dashboard")


def test_the_portfolio_folds_a_long_list_of_rates_used_and_escapes_their_sources(
    ae: Country, manager: Any
) -> None:
    """Two hundred countries' figures use a rate or two of every currency: past six, the rates
    used are named by number under a disclosure; each is shown with its day and source."""
    partnership = partnership_in(ae)
    currencies = ["AED", "EUR", "GBP", "INR", "KES", "NOK", "MAD"]
    for code in currencies:
        f.ExchangeRateFactory.create(
            currency=code, on=datetime.date(2025, 1, 1), source="<b>Central bank</b>"
        )
        f.CommitmentFactory.create(
            partnership=partnership,
            amount=Money(1000, code),
            status="committed",
            committed_on=datetime.date(2025, 6, 1),
        )
    page = signed_in(manager).get(reverse("portfolio")).content.decode()
    rates = page.split("Rates used:")[1].split("</p>")[0]
    assert "<summary>7 rates, 7 currencies</summary>" in rates
    assert rates.count("&lt;b&gt;Central bank&lt;/b&gt;") == 7 and "<b>Central" not in rates
    assert "AED 0.2723 (Jan 1, 2025, " in rates
