"""The harness's work that needs the ORM, run as ``python -m bench.django_tasks TASK ...`` with
the environment of one scale (``bench.config.app_env``): Django is set up against that scale's
database, does one task and writes its result as JSON to ``--out``.

Tasks: ``fixtures`` (bench users, sessions, API tokens, page counts), ``queries`` (SQL queries
per page and endpoint), ``cold`` (one request on an emptied shared cache), ``pdf`` (baseline P
and the country status PDF), ``batch`` (the monthly batch on 2 Celery worker processes).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import django

_LOCAL_CACHES = ("django.core.cache.backends.locmem.", "django.core.cache.backends.dummy.")


def caches_info() -> dict[str, Any]:
    from django.conf import settings

    backends = {alias: conf["BACKEND"] for alias, conf in settings.CACHES.items()}
    shared = any(not backend.startswith(_LOCAL_CACHES) for backend in backends.values())
    return {"backends": backends, "shared": shared}


def clear_caches() -> None:
    from django.core.cache import caches

    for cache in caches.all(initialized_only=False):
        cache.clear()


def fixtures(args: argparse.Namespace) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session
    from django.test import Client
    from django.utils import timezone

    from bench import config
    from financing.models import Commitment, Disbursement
    from financing.tasks import refresh_cofinancing
    from infrastructure.models import Site
    from localization.models import LocalizationRequirement
    from partnerships.models import ApiToken, Milestone, Partnership, Risk, Role
    from partnerships.services.roles import country_grant_role
    from partnerships.services.tokens import api_token_create
    from partnerships.tasks import refresh_kept_figures

    users = get_user_model().objects
    admin = users.get(username="admin")
    # The first generated country is the same at every scale (the generator shuffles the ISO
    # list with the seed and takes a prefix), so the liaison's data is too.
    first = Partnership.objects.filter(code__startswith="SC-").order_by("pk").first()
    if first is None:
        raise SystemExit("no scale data in this database")
    country = first.lead_country
    liaison, created = users.get_or_create(username=config.BENCH_LIAISON)
    if created:
        liaison.set_unusable_password()
        liaison.save()
    country_grant_role(user=liaison, role=Role.LIAISON, country=country, by=admin)
    people = {"manager": users.get(username=config.MANAGER), "liaison": liaison}

    # Credentials of earlier runs are of no use any more.
    ApiToken.objects.filter(user__in=people.values(), name__startswith="bench").delete()
    Session.objects.filter(expire_date__lt=timezone.now()).delete()
    tokens = {role: api_token_create(user=user, name="bench")[1] for role, user in people.items()}
    sessions = {}
    for role, user in people.items():
        client = Client()
        client.force_login(user, backend="partnerships.access.CachedModelBackend")
        sessions[role] = client.cookies["sessionid"].value

    pages: dict[str, dict[str, int]] = {}
    rows: dict[str, dict[str, int]] = {}
    for role in people:
        client = Client(HTTP_AUTHORIZATION=f"Token {tokens[role]}")
        pages[role], rows[role] = {}, {}
        for resource in config.API_LISTS:
            response = client.get(f"/api/v1/{resource}/?page_size={config.PAGE_SIZE}")
            if response.status_code != 200:
                raise SystemExit(f"/api/v1/{resource}/ as {role}: HTTP {response.status_code}")
            count = response.json()["count"]
            rows[role][resource] = count
            pages[role][resource] = max(1, math.ceil(count / config.PAGE_SIZE))
    # A reused database was loaded on another day, or before a migration: bring the kept
    # figures up to date as the nightly tasks do, so every scale is counted in the same state
    # (cold = cache empty, kept figures holding).
    refresh_cofinancing()
    refresh_kept_figures()
    clear_caches()  # the cache may hold another scale's figures
    return {
        "country": str(country.code),
        "country_name": country.name,
        "country_url": country.get_absolute_url(),
        "sessions": sessions,
        "tokens": tokens,
        "pages": pages,
        "rows": rows,
        "counts": {
            "countries": Partnership.objects.filter(code__startswith="SC-").count(),
            "partnerships": Partnership.objects.count(),
            "sites": Site.objects.count(),
            "commitments": Commitment.objects.count(),
            "disbursements": Disbursement.objects.count(),
            "requirements": LocalizationRequirement.objects.count(),
            "milestones": Milestone.objects.count(),
            "risks": Risk.objects.count(),
        },
        "caches": caches_info(),
    }


def queries(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.pages import pages

    fixture = json.loads(Path(args.fixtures).read_text())
    sql_log = []
    clients: dict[tuple[str, bool], Client] = {}

    def count(client: Client, url: str, label: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code} ({label})")
        sql_log.append(f"## {label} {url}: {len(captured)} queries")
        sql_log.extend(f"  {query['sql'][:400]}" for query in captured.captured_queries)
        return len(captured)

    results = []
    for page in pages(fixture):
        key = (page.role, page.api)
        if key not in clients:
            if page.api:
                clients[key] = Client(HTTP_AUTHORIZATION=f"Token {fixture['tokens'][page.role]}")
            else:
                clients[key] = Client()
                clients[key].cookies["sessionid"] = fixture["sessions"][page.role]
        client = clients[key]
        label = f"{page.role} {page.name}"
        clear_caches()
        cold = count(client, page.first, f"{label} cold")
        warm = count(client, page.first, f"{label} warm")
        deep = None
        if page.deep:
            client.get(page.deep)
            deep = count(client, page.deep, f"{label} deep")
        results.append(
            {
                "name": page.name,
                "role": page.role,
                "kind": page.kind,
                "cold": cold,
                "warm": warm,
                "deep": deep,
                "deep_page": page.deep_page,
            }
        )
    Path(args.sql_log).write_text("\n".join(sql_log) + "\n")
    return {"pages": results}


def cold(args: argparse.Namespace) -> dict[str, Any]:
    """One request on an emptied shared cache, ``--runs`` times per role (gunicorn is warm)."""
    from bench import load
    from bench.pages import headers

    fixture = json.loads(Path(args.fixtures).read_text())
    info = caches_info()
    if not info["shared"]:
        return {"mode": "per-process", **info}
    roles: dict[str, Any] = {}
    for role in ("manager", "liaison"):
        head = headers(fixture, role, api=False)
        cold_ms, warm_ms = [], []
        for _ in range(args.runs):
            clear_caches()
            response = load.get(args.port, "/portfolio/", head)
            if response.status != 200:
                raise SystemExit(f"/portfolio/ as {role}: HTTP {response.status}")
            cold_ms.append(response.seconds * 1000)
            warm_ms.append(load.get(args.port, "/portfolio/", head).seconds * 1000)
        roles[role] = {"cold_ms": cold_ms, "warm_ms": warm_ms}
    return {"mode": "shared cache cleared", **info, "roles": roles}


def pdf(args: argparse.Namespace) -> dict[str, Any]:
    import datetime

    from weasyprint import HTML

    from bench.baseline import DOCUMENT
    from openai_countries.scope import Scope
    from partnerships.models import Country, ReportKind, ReportRun
    from partnerships.reports import render_pdf

    fixture = json.loads(Path(args.fixtures).read_text())
    country = Country.objects.get(code=fixture["country"])

    def baseline() -> tuple[float, int]:
        started = time.perf_counter()
        document = HTML(string=DOCUMENT).render()
        document.write_pdf()
        return time.perf_counter() - started, len(document.pages)

    def report() -> tuple[float, int]:
        run = ReportRun(
            kind=ReportKind.COUNTRY,
            country=country,
            as_of=datetime.date.today(),
            language="en",
        )
        started = time.perf_counter()
        rendered: Any = render_pdf(run, Scope.system("bench"))
        seconds = time.perf_counter() - started
        # A tuple (pdf, pages, refused) or an object with .pdf and .pages.
        pages = rendered[1] if isinstance(rendered, tuple) else getattr(rendered, "pages", 0)
        return seconds, int(pages or 0)

    baseline()  # fonts and WeasyPrint's own start-up are not what is measured
    report()
    p_seconds, report_seconds = [], []
    p_pages = report_pages = 0
    for _ in range(args.runs):  # interleaved, so drift hits both alike
        seconds, p_pages = baseline()
        p_seconds.append(seconds)
        seconds, report_pages = report()
        report_seconds.append(seconds)
    return {
        "baseline_s": p_seconds,
        "baseline_pages": p_pages,
        "report_s": report_seconds,
        "report_pages": report_pages,
        "country": fixture["country"],
    }


def batch(args: argparse.Namespace) -> dict[str, Any]:
    from bench.batch import run_batch

    return run_batch(scale=args.scale, log_path=Path(args.log), timeout=args.timeout)


TASKS = {"fixtures": fixtures, "queries": queries, "cold": cold, "pdf": pdf, "batch": batch}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.django_tasks")
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument("--scale", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--fixtures", default="")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--sql-log", default="/dev/null")
    parser.add_argument("--log", default="/dev/null")
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    django.setup()
    result = TASKS[args.task](args)
    Path(args.out).write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
