"""A real Celery worker process on the real Redis and PostgreSQL renders a requested report."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from partnerships.models import ReportRun
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
# The worker's connections name themselves so (libpq's PGAPPNAME) in pg_stat_activity.
WORKER_APPLICATION = "oc-test-worker"
pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


@pytest.fixture
def worker(settings: Any, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    broker = os.environ.get("CELERY_BROKER_URL")
    if connection.vendor != "postgresql" or not broker:
        pytest.skip("needs PostgreSQL and a Redis broker (CI has both)")
    settings.MEDIA_ROOT = tmp_path
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MEDIA_ROOT": str(tmp_path),
        "PGAPPNAME": WORKER_APPLICATION,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "openai_countries", "worker",
         "--queues", "default,reports", "--pool", "solo", "--loglevel", "warning",
         "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for(run: ReportRun, status: str, timeout: float = 90) -> ReportRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status == status:
            return run
        time.sleep(0.5)
    raise AssertionError(f"run {run.pk} is {run.status}, not {status}, after {timeout}s")


def test_request_worker_pdf(worker: Any, make_liaison: Any, ae: Any) -> None:
    from openai_countries.testing import client_for

    partnership = f.PartnershipFactory.create(lead_country=ae, title="Worker-rendered partnership")
    f.SiteFactory.create(partnership=partnership, name="Worker campus")
    client = client_for(make_liaison(ae))
    response = client.post(
        "/api/v1/report-runs/",
        {"kind": "country", "country": "AE", "as_of": datetime.date(2026, 10, 31).isoformat()},
    )
    assert response.status_code == 201, response.content
    run = wait_for(ReportRun.objects.get(pk=response.json()["id"]), "succeeded")
    assert run.pages and run.sha256 and run.attempts == 1
    download = client.get(f"/api/v1/report-runs/{run.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]


def test_the_worker_keeps_its_database_connection_from_one_task_to_the_next(
    worker: Any, manager: Any, ae: Any
) -> None:
    """Celery closes every connection around each task unless told otherwise; the worker keeps
    it as a web process does (CONN_MAX_AGE), so a report does not start a PostgreSQL session
    whose caches are cold."""
    from partnerships.services.reports import report_run_enqueue

    f.SiteFactory.create(partnership=f.PartnershipFactory.create(lead_country=ae))
    runs = []
    for as_of in (datetime.date(2026, 9, 30), datetime.date(2026, 10, 31)):
        run = ReportRun.objects.create(
            kind="country", country=ae, as_of=as_of, language="en", requested_by=manager
        )
        assert report_run_enqueue(run_id=run.pk)
        runs.append(wait_for(run, "succeeded"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT backend_start FROM pg_stat_activity"
            " WHERE application_name = %s AND datname = current_database()",
            [WORKER_APPLICATION],
        )
        sessions = [started for (started,) in cursor.fetchall()]
    # The session that served the first report still serves the worker.
    assert runs[0].finished_at is not None
    assert len(sessions) == 1 and sessions[0] < runs[0].finished_at, sessions
