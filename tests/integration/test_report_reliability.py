"""No report is lost or rendered twice: a worker killed mid-render, a broker down at request time.

Real Celery worker processes on Redis and PostgreSQL, like tests/integration/test_report_worker.py.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from openai_countries.celery import app as celery_app
from openai_countries.testing import client_for
from partnerships.models import Country, ReportRun
from partnerships.services.reports import STUCK_AFTER
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
AS_OF = datetime.date(2026, 10, 31)
REQUEST = {"kind": "country", "country": "AE", "as_of": AS_OF.isoformat()}
pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]
T = TypeVar("T")


@pytest.fixture
def broker(settings: Any, tmp_path: Path) -> str:
    url = os.environ.get("CELERY_BROKER_URL")
    if connection.vendor != "postgresql" or not url:
        pytest.skip("needs PostgreSQL and a Redis broker (CI has both)")
    settings.MEDIA_ROOT = tmp_path
    return url


@contextmanager
def celery_worker(broker_url: str, media: Path, *, pool: str) -> Iterator[subprocess.Popen[bytes]]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": broker_url,
        "MEDIA_ROOT": str(media),
    }
    log = (media / f"worker-{pool}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "openai_countries", "worker",
         "--queues", "default,reports", "--pool", pool, "--concurrency", "1",
         "--loglevel", "info", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def eventually(check: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    """Poll ``check`` until it returns something true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"not {what} after {timeout}s")


def run_is(run: ReportRun, status: str, timeout: float = 60) -> ReportRun:
    def check() -> ReportRun | None:
        run.refresh_from_db()
        if run.status in ("succeeded", "failed") and run.status != status:
            raise AssertionError(f"run {run.pk} is {run.status}: {run.error}")
        return run if run.status == status else None

    try:
        return eventually(check, f"{status} (run {run.pk})", timeout)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{worker_log()}") from None


def children(pid: int) -> list[int]:
    """Live child processes of ``pid``, from /proc (no psutil in this project)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with suppress(OSError):
            stat = (entry / "stat").read_text()
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            if int(ppid) == pid and state != "Z":
                found.append(int(entry.name))
    return found


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def big_country_scope(country: Country, rows: int) -> None:
    """A partnership whose stage timeline (listed whole: every other section of a report is
    bounded) is ``rows`` moves long, for a render of a few seconds."""
    from partnerships.models import StageTransition

    partnership = f.PartnershipFactory.create(lead_country=country, title="Large partnership")
    start = timezone.now() - datetime.timedelta(days=rows)
    StageTransition.objects.bulk_create(
        StageTransition(
            partnership=partnership,
            from_status="scoping" if n % 2 else "negotiating",
            to_status="negotiating" if n % 2 else "scoping",
            at=start + datetime.timedelta(days=n),
            reason=f"Move {n}: the government asked for another round of talks on the terms.",
        )
        for n in range(rows)
    )


def worker_log() -> str:
    """The end of the workers' logs of the test (they are in MEDIA_ROOT), for failure messages."""
    from django.conf import settings

    logs = Path(settings.MEDIA_ROOT).glob("worker-*.log")
    return "\n".join(log.read_text(errors="replace")[-3000:] for log in logs)


def test_a_worker_killed_mid_render_is_replaced_and_the_run_succeeds_once(
    broker: str, make_liaison: Any, ae: Any, tmp_path: Path
) -> None:
    big_country_scope(ae, rows=800)  # a few seconds of layout
    client = client_for(make_liaison(ae))
    with celery_worker(broker, tmp_path, pool="prefork") as worker:
        response = client.post("/api/v1/report-runs/", REQUEST)
        assert response.status_code == 201, response.content
        run = run_is(ReportRun.objects.get(pk=response.json()["id"]), "running")
        [pool_process] = eventually(lambda: children(worker.pid), "a pool process")
        # The render's own child process (openai_countries.pdf) is laying the PDF out.
        [render] = eventually(lambda: children(pool_process), "a render process")
        os.kill(pool_process, signal.SIGKILL)
        eventually(lambda: gone(render), "the render gone with its worker", timeout=10)
        run = run_is(run, "succeeded", timeout=90)
        log = worker_log()
    files = [p for p in (tmp_path / "reports").rglob("*") if p.is_file()]
    assert files == [tmp_path / run.file.name], log
    body = files[0].read_bytes()
    assert run.attempts == 2 and run.error == ""
    assert run.sha256 == hashlib.sha256(body).hexdigest() and run.bytes == len(body)
    assert body.startswith(b"%PDF") and run.pages and run.pages > 5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def redis_server(port: int, where: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A throwaway Redis that keeps nothing on disk."""
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(where)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(port=port, socket_connect_timeout=0.2)
    try:

        def up() -> bool | None:
            with suppress(redis.ConnectionError):
                return bool(client.ping())
            return None

        eventually(up, f"Redis listening on {port}", timeout=10)
        yield process
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def web_broker(url: str) -> Iterator[None]:
    """Publish from this (the web) process to ``url``. Celery reads CELERY_BROKER_URL from the
    environment before its configuration, and keeps the pools of the broker it first used: set
    both, and forget the pools (as after a fork) on the way in and out."""
    conf: Any = celery_app.conf
    app: Any = celery_app
    before = os.environ.get("CELERY_BROKER_URL"), conf.broker_url, conf.task_always_eager

    def forget_pools() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    forget_pools()
    os.environ["CELERY_BROKER_URL"] = conf.broker_url = url
    conf.task_always_eager = False
    try:
        yield
    finally:
        forget_pools()
        if before[0] is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = before[0]
        conf.broker_url, conf.task_always_eager = before[1:]


def test_a_report_requested_while_the_broker_is_down_is_completed_by_the_sweep(
    broker: str, manager: Any, ae: Any, tmp_path: Path
) -> None:
    from partnerships.tasks import sweep_report_runs

    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server to start a throwaway broker")
    f.SiteFactory.create(partnership=f.PartnershipFactory.create(lead_country=ae), name="Campus")
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    client = client_for(manager)
    with web_broker(url):
        # The web process is connected to the broker when the broker goes away.
        with redis_server(port, tmp_path), celery_app.producer_or_acquire() as producer:
            producer.connection.ensure_connection(max_retries=1)
        assert celery_app.conf.broker_url == url
        response = client.post("/api/v1/report-runs/", REQUEST)
        assert response.status_code == 201, response.content
        run = ReportRun.objects.get(pk=response.json()["id"])
        assert (run.status, run.attempts) == ("queued", 0)
        with redis_server(port, tmp_path), celery_worker(url, tmp_path, pool="solo"):
            ReportRun.objects.filter(pk=run.pk).update(
                requested_at=run.requested_at - STUCK_AFTER - datetime.timedelta(minutes=1)
            )
            assert sweep_report_runs() == 1
            run = run_is(run, "succeeded")
    assert run.attempts == 1 and run.sha256
    assert [p for p in (tmp_path / "reports").rglob("*") if p.is_file()] == [
        tmp_path / run.file.name
    ]


def test_a_running_run_is_taken_over_only_when_no_live_worker_renders_it(
    manager: Any, ae: Any, settings: Any, tmp_path: Path
) -> None:
    """On PostgreSQL a worker holds the run's advisory lock while it renders; without one
    (SQLite) a running run is abandoned only after STUCK_AFTER."""
    from partnerships.reports import RENDER_LOCK, report_run_render

    settings.MEDIA_ROOT = tmp_path
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # the e-mail task runs here, not on a broker
    run = ReportRun.objects.create(
        kind="country",
        country=ae,
        as_of=AS_OF,
        language="en",
        requested_by=manager,
        status="running",
        started_at=timezone.now(),
        attempts=1,
    )
    try:
        if connection.vendor == "postgresql":
            live_worker = connections.create_connection(DEFAULT_DB_ALIAS)
            try:
                with live_worker.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_lock(%s, %s)", [RENDER_LOCK, run.pk])
                assert report_run_render(run_id=run.pk) == "not claimed"
            finally:
                live_worker.close()  # the worker dies: the server drops its lock
        else:
            assert report_run_render(run_id=run.pk) == "not claimed"
            ReportRun.objects.filter(pk=run.pk).update(
                started_at=timezone.now() - STUCK_AFTER - datetime.timedelta(minutes=1)
            )
        assert ReportRun.objects.get(pk=run.pk).attempts == 1
        assert report_run_render(run_id=run.pk) == "succeeded"
    finally:
        celery_app.conf.task_always_eager = eager
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("succeeded", 2)
