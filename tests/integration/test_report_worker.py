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
