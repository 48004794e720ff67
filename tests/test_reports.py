"""Report runs: requested once, rendered through the requester's scope, stored with a checksum."""

from __future__ import annotations

import datetime
import hashlib
import io
import re
from typing import Any

import pytest
from djmoney.money import Money
from pypdf import PdfReader

from openai_countries.celery import app as celery_app
from openai_countries.testing import client_for
from partnerships.models import ReportRun, Role
from tests import factories as f

pytestmark = pytest.mark.django_db
AS_OF = datetime.date(2026, 10, 31)


@pytest.fixture(autouse=True)
def _eager_tasks(settings: Any, tmp_path: Any) -> Any:
    """Tasks run in-process here; tests with a real worker live in tests/integration/."""
    settings.MEDIA_ROOT = tmp_path
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def pdf_text(run: ReportRun) -> str:
    with run.file.open("rb") as handle:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages)


def request(client: Any, django_capture_on_commit_callbacks: Any, **body: Any) -> Any:
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/api/v1/report-runs/", {"as_of": AS_OF.isoformat(), **body})


def test_a_liaison_gets_their_countrys_report(
    make_liaison: Any, ae: Any, no: Any, django_capture_on_commit_callbacks: Any
) -> None:
    own = f.PartnershipFactory.create(lead_country=ae, title="Gulf compute partnership")
    f.SiteFactory.create(partnership=own, name="Abu Dhabi campus")
    f.SiteFactory.create(
        partnership=f.PartnershipFactory.create(lead_country=no), name="Kvandal campus"
    )
    client = client_for(make_liaison(ae))
    response = request(client, django_capture_on_commit_callbacks, kind="country", country="AE")
    assert response.status_code == 201, response.content
    run = ReportRun.objects.get(pk=response.json()["id"])
    assert run.status == "succeeded", run.error
    with run.file.open("rb") as handle:
        body = handle.read()
    assert run.sha256 == hashlib.sha256(body).hexdigest() and run.bytes == len(body)
    assert run.pages and run.pages >= 2
    text = pdf_text(run)
    assert "Abu Dhabi campus" in text and "Gulf compute partnership" in text
    assert "Kvandal" not in text and "Norway" not in text
    again = request(client, django_capture_on_commit_callbacks, kind="country", country="AE")
    assert again.status_code == 200 and again.json()["id"] == run.pk
    download = client.get(f"/api/v1/report-runs/{run.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == body  # type: ignore[attr-defined]


def test_another_countrys_report_is_unknown(
    make_liaison: Any, ae: Any, no: Any, django_capture_on_commit_callbacks: Any
) -> None:
    response = request(
        client_for(make_liaison(ae)),
        django_capture_on_commit_callbacks,
        kind="country",
        country="NO",
    )
    assert response.status_code == 400
    assert not ReportRun.objects.exists()
    run = ReportRun.objects.create(kind="country", country=no, as_of=AS_OF, language="en")
    assert (
        client_for(make_liaison(ae)).get(f"/api/v1/report-runs/{run.pk}/download/").status_code
        == 404
    )


def test_a_grant_revoked_before_the_render_fails_the_run(
    admin_user: Any, make_liaison: Any, ae: Any
) -> None:
    from partnerships.reports import report_run_render
    from partnerships.services.roles import country_revoke_role

    liaison = make_liaison(ae)
    run = ReportRun.objects.create(
        kind="country", country=ae, as_of=AS_OF, language="en", requested_by=liaison
    )
    country_revoke_role(user=liaison, role=Role.LIAISON, country=ae, by=admin_user)
    assert report_run_render(run_id=run.pk) == "failed"
    run.refresh_from_db()
    assert (run.status, run.error, run.file.name) == (
        "failed",
        "Access revoked before the report ran.",
        "",
    )


def test_user_text_cannot_pull_files_or_network_in(manager: Any, ae: Any) -> None:
    from partnerships.reports import report_run_render

    partnership = f.PartnershipFactory.create(lead_country=ae)
    hostile = (
        '<a rel="attachment" href="file:///etc/hostname">x</a><img src="http://127.0.0.1:9/x">'
    )
    f.RequirementFactory.create(partnership=partnership, title=hostile)
    run = ReportRun.objects.create(
        kind="country", country=ae, as_of=AS_OF, language="en", requested_by=manager
    )
    assert report_run_render(run_id=run.pk) == "succeeded"
    run.refresh_from_db()
    with run.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    assert not reader.attachments
    # Shown as text (wherever the table wraps it), never followed.
    text = "".join("".join(page.extract_text() for page in reader.pages).split())
    assert 'href="file:///etc/hostname"' in text


def test_arabic_report_is_right_to_left_with_arabic_text(manager: Any, ae: Any) -> None:
    from partnerships.reports import report_run_render

    f.RequirementFactory.create(
        partnership=f.PartnershipFactory.create(lead_country=ae), title="مساعد الخدمات الحكومية"
    )
    run = ReportRun.objects.create(
        kind="country", country=ae, as_of=AS_OF, language="ar", requested_by=manager
    )
    assert report_run_render(run_id=run.pk) == "succeeded"
    run.refresh_from_db()
    assert "الحكومية" in pdf_text(run)


def test_a_finished_run_never_changes(manager: Any, ae: Any) -> None:
    from partnerships.reports import report_run_render

    run = ReportRun.objects.create(
        kind="country", country=ae, as_of=AS_OF, language="en", requested_by=manager
    )
    assert report_run_render(run_id=run.pk) == "succeeded"
    run.refresh_from_db()
    assert report_run_render(run_id=run.pk) == "not claimed"
    again = ReportRun.objects.get(pk=run.pk)
    assert (again.sha256, again.finished_at, again.attempts) == (run.sha256, run.finished_at, 1)


def test_broker_down_the_request_still_succeeds_and_the_sweep_completes_it(
    manager: Any, ae: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from partnerships.tasks import sweep_report_runs

    celery_app.conf.task_always_eager = False
    conf: Any = celery_app.conf
    broker = conf.broker_url
    conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = request(
            client_for(manager), django_capture_on_commit_callbacks, kind="country", country="AE"
        )
    finally:
        conf.broker_url = broker
    assert response.status_code == 201
    run = ReportRun.objects.get()
    assert run.status == "queued"
    ReportRun.objects.filter(pk=run.pk).update(
        requested_at=run.requested_at - datetime.timedelta(hours=1)
    )
    celery_app.conf.task_always_eager = True
    assert sweep_report_runs() == 1
    run.refresh_from_db()
    assert run.status == "succeeded"


def test_a_regional_partnership_report_needs_every_participating_country(
    manager: Any, make_liaison: Any, ae: Any, no: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from partnerships.services.partnerships import partnership_create

    regional = partnership_create(
        code="REG-1", title="Regional", lead_country=ae, countries=[no], by=manager
    )
    f.SiteFactory.create(partnership=regional, country=no, name="Narvik hall")
    liaison = client_for(make_liaison(ae))
    refused = request(
        liaison, django_capture_on_commit_callbacks, kind="partnership", partnership=regional.pk
    )
    assert refused.status_code == 400
    made = request(
        client_for(manager),
        django_capture_on_commit_callbacks,
        kind="partnership",
        partnership=regional.pk,
    )
    assert made.status_code == 201, made.content
    run = ReportRun.objects.get(pk=made.json()["id"])
    assert run.status == "succeeded" and "Narvik hall" in pdf_text(run)
    assert liaison.get(f"/api/v1/report-runs/{run.pk}/").status_code == 404
    assert liaison.get(f"/api/v1/report-runs/{run.pk}/download/").status_code == 404


def test_report_files_are_not_served_as_plain_media(manager: Any, ae: Any) -> None:
    from django.test import Client

    from partnerships.reports import report_run_render

    run = ReportRun.objects.create(
        kind="country", country=ae, as_of=AS_OF, language="en", requested_by=manager
    )
    report_run_render(run_id=run.pk)
    run.refresh_from_db()
    assert len(run.file.name.rsplit("/", 1)[-1]) == len("0" * 32 + ".pdf")
    assert Client().get(f"/media/{run.file.name}").status_code == 404
    download = client_for(manager).get(f"/api/v1/report-runs/{run.pk}/download/")
    assert "country-united-arab-emirates-2026-10-31-en.pdf" in download["Content-Disposition"]


def test_the_monthly_batch_covers_every_partnership_country_and_the_portfolio(
    manager: Any, ae: Any, no: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django_celery_beat.models import PeriodicTask

    from partnerships.services.partnerships import partnership_create
    from partnerships.services.reports import report_runs_schedule_monthly

    partnership_create(code="REG-9", title="Regional", lead_country=ae, countries=[no], by=manager)
    cancelled = f.PartnershipFactory.create(lead_country=f.country("CL"), stage="cancelled")
    assert cancelled.countries.exists()
    with django_capture_on_commit_callbacks(execute=True):
        runs = report_runs_schedule_monthly(as_of=AS_OF)
    assert sorted((r.kind, r.country.iso2 if r.country else None) for r in runs) == [
        ("country", "AE"),
        ("country", "NO"),
        ("portfolio", None),
    ]
    assert all(ReportRun.objects.get(pk=r.pk).status == "succeeded" for r in runs)
    assert all(r.requested_by is None for r in runs)
    assert len(report_runs_schedule_monthly(as_of=AS_OF)) == 3
    assert ReportRun.objects.count() == 3
    # The longest report is queued first, so that it is not laid out alone at the batch's end.
    with django_capture_on_commit_callbacks() as queued:
        report_runs_schedule_monthly(as_of=AS_OF + datetime.timedelta(days=1))
    enqueued = [ReportRun.objects.get(pk=callback.keywords["run_id"]) for callback in queued]
    assert [run.kind for run in enqueued] == ["portfolio", "country", "country"]
    names = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {
        "partnerships.tasks.schedule_monthly_reports",
        "partnerships.tasks.sweep_report_runs",
    } <= names


def test_the_requester_and_the_countrys_liaisons_get_a_link(
    make_liaison: Any, ae: Any, no: Any, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    requester = make_liaison(ae, "liaison-ae-1")
    colleague = make_liaison(ae, "liaison-ae-2")
    make_liaison(no, "liaison-no-1")
    type(colleague).objects.filter(pk=colleague.pk).update(email="")  # no address: skipped
    request(client_for(requester), django_capture_on_commit_callbacks, kind="country", country="AE")
    run = ReportRun.objects.get()
    assert run.status == "succeeded"
    assert sorted(m.to[0] for m in mailoutbox) == [requester.email]
    assert f"/api/v1/report-runs/{run.pk}/download/" in mailoutbox[0].body
    assert all(len(m.to) == 1 for m in mailoutbox)


def test_the_summary_lists_what_changed_since_the_previous_report(
    manager: Any, ae: Any, no: Any
) -> None:
    from django.utils import timezone

    from openai_countries.scope import Scope
    from partnerships.report_content import report_content

    at = lambda day: timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))  # noqa: E731
    partnership = f.PartnershipFactory.create(lead_country=ae, code="AE-GULF")
    elsewhere = f.PartnershipFactory.create(lead_country=no, code="NO-FJORD")
    for target, moved_on in (
        ("scoping", datetime.date(2026, 9, 1)),
        ("negotiating", datetime.date(2026, 10, 15)),
    ):
        partnership.stage_transitions.create(
            from_status="x", to_status=target, at=at(moved_on), reason=f"to {target}"
        )
    elsewhere.stage_transitions.create(
        from_status="x", to_status="scoping", at=at(datetime.date(2026, 10, 15))
    )
    f.CommitmentFactory.create(
        partnership=partnership, status="committed", committed_on=datetime.date(2026, 10, 10)
    )
    f.MilestoneFactory.create(
        partnership=partnership, title="Slipped", due_on=datetime.date(2026, 10, 5)
    )
    f.MilestoneFactory.create(
        partnership=partnership, title="Long late", due_on=datetime.date(2026, 8, 5)
    )
    f.ReportRunFactory.create(
        kind="country",
        country=ae,
        as_of=datetime.date(2026, 9, 30),
        status="succeeded",
        file="reports/earlier.pdf",
        sha256="0" * 64,
    )
    run = f.ReportRunFactory.create(kind="country", country=ae, as_of=AS_OF)

    content = report_content(run, Scope.system("test"))
    changes = content["changes"]
    assert content["previous"] is not None and content["since"] == datetime.date(2026, 9, 30)
    assert [t.to_status for t in changes["stage_moves"]["rows"]] == ["negotiating"]
    assert len(changes["new_commitments"]["rows"]) == 1
    assert [m.title for m in changes["milestones_slipped"]["rows"]] == ["Slipped"]
    assert changes["milestones_slipped"]["more"] == 0
    assert [p["partnership"].code for p in content["partnerships"]] == ["AE-GULF"]
    assert [t.to_status for t in content["partnerships"][0]["timeline"]] == [
        "scoping",
        "negotiating",
    ]


def test_the_portfolio_report_has_contents_with_page_numbers(
    manager: Any, ae: Any, django_capture_on_commit_callbacks: Any
) -> None:
    f.SiteFactory.create(partnership=f.PartnershipFactory.create(lead_country=ae), name="Gulf site")
    response = request(client_for(manager), django_capture_on_commit_callbacks, kind="portfolio")
    run = ReportRun.objects.get(pk=response.json()["id"])
    assert run.status == "succeeded", run.error
    text = pdf_text(run)
    assert "Contents" in text and "Executive summary" in text
    assert re.search(r"Financing\W*\.+\s*\d+", text), "the contents give each section's page"


def test_subscribers_get_the_link_while_they_may_read_the_report(
    make_liaison: Any, ae: Any, no: Any, admin_user: Any
) -> None:
    from django.test import Client
    from django.urls import reverse

    from partnerships.models import ReportSubscription
    from partnerships.reports import report_recipients
    from partnerships.services.roles import country_grant_role, country_revoke_role

    analyst = f.UserFactory.create(username="subscriber", email="subscriber@example.org")
    country_grant_role(user=analyst, role=Role.ANALYST, country=ae, by=admin_user)
    f.PartnershipFactory.create(lead_country=ae), f.PartnershipFactory.create(lead_country=no)
    client = Client()
    client.force_login(analyst)
    assert (
        client.post(reverse("report-subscribe"), {"kind": "country", "country": ae.pk}).status_code
        == 302
    )
    refused = client.post(reverse("report-subscribe"), {"kind": "country", "country": no.pk})
    assert refused.status_code == 400
    assert not ReportSubscription.objects.filter(country=no).exists()
    assert client.post(reverse("report-subscribe"), {"kind": "portfolio"}).status_code == 400

    run = f.ReportRunFactory.create(kind="country", country=ae, as_of=AS_OF)
    assert "subscriber@example.org" in report_recipients(run)
    country_revoke_role(user=analyst, role=Role.ANALYST, country=ae, by=admin_user)
    assert "subscriber@example.org" not in report_recipients(run)

    mine = ReportSubscription.objects.get(user=analyst)
    other = f.UserFactory.create()
    intruder = Client()
    intruder.force_login(other)
    assert intruder.post(reverse("report-unsubscribe", args=[mine.pk])).status_code == 404
    assert client.post(reverse("report-unsubscribe", args=[mine.pk])).status_code == 302
    assert not ReportSubscription.objects.exists()


def test_a_run_that_keeps_killing_its_worker_is_given_up(manager: Any, ae: Any) -> None:
    from partnerships.reports import MAX_RENDER_ATTEMPTS, report_run_render

    run = f.ReportRunFactory.create(kind="country", country=ae, as_of=AS_OF)
    ReportRun.objects.filter(pk=run.pk).update(attempts=MAX_RENDER_ATTEMPTS)
    assert report_run_render(run_id=run.pk) == "failed"
    run.refresh_from_db()
    assert run.status == "failed" and "Gave up" in run.error and not run.file


def test_a_report_is_a_summary_whatever_its_scope_holds(manager: Any, ae: Any) -> None:
    """Each section lists its few most urgent rows and how many there are, and links to the list
    of the report's scope (filtered, exportable); the portfolio shows the partnerships needing
    attention and the coverage of the countries with the most work left, with totals."""
    from openai_countries.scope import Scope
    from partnerships.report_content import LISTED, report_content

    gulf = f.PartnershipFactory.create(lead_country=ae, code="AE-GULF")
    for n in range(LISTED + 3):
        f.SiteFactory.create(partnership=gulf, name=f"Site {n:02d}", planned_capacity_mw=10 + n)
        f.RiskFactory.create(partnership=gulf, likelihood=1 + n % 5, impact=5 - n % 3)
    countries = [f.country(code) for code in ("NO", "FR", "ES", "KE", "IN", "AR", "CL", "MA")]
    for n, member in enumerate(countries):
        elsewhere = f.PartnershipFactory.create(lead_country=member)
        f.RequirementFactory.create_batch(n + 1, partnership=elsewhere)
    run = f.ReportRunFactory.create(kind="country", country=ae, as_of=AS_OF)

    content = report_content(run, Scope.system("test"))
    sites = content["sites"]
    assert sites["count"] == LISTED + 3 and len(sites["rows"]) == LISTED
    assert [s.name for s in sites["rows"]][:2] == [
        f"Site {LISTED + 2:02d}",
        f"Site {LISTED + 1:02d}",
    ]
    assert content["risk_count"] == LISTED + 3
    scores = [r.likelihood * r.impact for r in content["risks"]]
    assert len(scores) == LISTED and scores == sorted(scores, reverse=True)
    assert content["links"]["sites"] == "http://127.0.0.1:8000/sites/?country=AE"
    assert (
        "country=AE" in content["links"]["requirements"]
        and "status__in=" in (content["links"]["requirements"])
    )

    portfolio = report_content(
        f.ReportRunFactory.create(kind="portfolio", country=None, as_of=AS_OF),
        Scope.system("test"),
    )
    coverage = portfolio["coverage"]
    assert coverage["country_count"] == len(countries) and len(coverage["rows"]) == LISTED
    assert coverage["rows"][0]["code"] == "MA"  # the most requirements open
    assert coverage["total"] == sum(range(1, len(countries) + 1))
    assert portfolio["partnerships"] == [] and portfolio["attention"] is not None
    assert portfolio["links"]["sites"] == "http://127.0.0.1:8000/sites/"


def test_the_charts_words_are_in_the_pdf_under_and_beside_their_bars(manager: Any, ae: Any) -> None:
    """The charts' bars are SVG and their words HTML (cheaper to lay out): the quarters under
    the capacity bars, the top of its scale, each side's share and amount beside its bars."""
    from django.template.loader import render_to_string

    from openai_countries.scope import Scope
    from partnerships.reports import report_context, report_run_render

    gulf = f.PartnershipFactory.create(lead_country=ae, code="AE-GULF")
    site = f.SiteFactory.create(partnership=gulf)
    f.SitePhaseFactory.create(site=site, planned_mw=120, planned_ready_on=datetime.date(2026, 2, 1))
    f.CommitmentFactory.create(partnership=gulf, status="committed", amount=Money("3000000", "USD"))
    run = ReportRun.objects.create(
        kind="country", country=ae, as_of=AS_OF, language="en", requested_by=manager
    )
    context = report_context(run, Scope.system("test"))
    [side] = [s for s in context["cofinancing"]["sides"] if s["committed"]]
    assert side["committed_pct"] == 100.0
    html = render_to_string("reports/status.html", {**context, "rtl": False})
    assert "<text" not in html and 'style="width: 100.0%"' in html

    assert report_run_render(run_id=run.pk) == "succeeded"
    run.refresh_from_db()
    text = " ".join(pdf_text(run).split())
    assert "2026-Q1" in text and "120 MW" in text
    assert "Company (0 %) $0 Government (100 %) $3,000,000" in text


@pytest.mark.parametrize("kind", ["country", "portfolio"])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_reports_lay_out_the_same_with_the_trimmed_user_agent_stylesheet(
    manager: Any, ae: Any, kind: str, language: str
) -> None:
    """Reports are laid out without WeasyPrint's rules for pseudo-elements of every element
    (openai_countries.pdf.ReportHTML): the PDF is the same, byte for byte."""
    from weasyprint import HTML

    from openai_countries.pdf import ReportHTML, fonts
    from openai_countries.scope import Scope
    from partnerships.reports import report_html

    gulf = f.PartnershipFactory.create(lead_country=ae, code="AE-GULF")
    site = f.SiteFactory.create(partnership=gulf)
    f.SitePhaseFactory.create(site=site, planned_mw=120, planned_ready_on=datetime.date(2026, 2, 1))
    f.CommitmentFactory.create(partnership=gulf, status="committed", amount=Money("3000000", "AED"))
    f.MilestoneFactory.create(partnership=gulf, due_on=datetime.date(2026, 9, 1))
    run = ReportRun.objects.create(
        kind=kind, country=ae if kind == "country" else None, as_of=AS_OF, language=language
    )
    html = report_html(run, Scope.system("test"))
    assert (kind == "portfolio") == ("<li>" in html)  # the contents are a list
    ours = ReportHTML(string=html).render(font_config=fonts())
    theirs = HTML(string=html).render(font_config=fonts())
    assert len(ours.pages) == len(theirs.pages) >= 2
    assert ours.write_pdf() == theirs.write_pdf()
