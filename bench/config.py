"""What the harness measures, against what, and with which environment: in one place."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
LOGS_DIR = RESULTS_DIR / "logs"
LATEST_JSON = RESULTS_DIR / "latest.json"
PYTHON = sys.executable

SCALES = (10, 50, 200)
SEED = 2025
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
DATABASE_PREFIX = "oc_bench_"

# The dashboard cache is Django's cache framework; the setting that points it at Redis may still
# be renamed, so its name lives here only. When the app does not read it, it is simply ignored
# and the cache is per-process (LocMem): the cold measurement then restarts the server instead.
CACHE_URL_ENV = "REDIS_CACHE_URL"
CACHE_URL = "redis://127.0.0.1:6379/2"
# A Redis database of its own for the batch's broker: flushed before each batch.
BROKER_URL = "redis://127.0.0.1:6379/3"

# The server under test (issue 7): 4 sync workers, persistent connections (CONN_MAX_AGE comes
# with any postgres:// DATABASE_URL), loopback only.
GUNICORN_WORKERS = 4
WRK_THREADS = 2
WRK_CONNECTIONS = 32
WRK_TIMEOUT = "60s"  # wrk's default 2 s would drop slow responses from the latency figures
BATCH_WORKERS = 2
BATCH_TIMEOUT_S = 1800
# A batch over this many times its target is timed once: more runs cannot change the verdict.
BATCH_REPEAT_UNDER = 3
COLD_RUNS_MIN = 5
PDF_PAIRS_MIN = 9
BUSY_WARNING = 0.15  # share of CPU busy with other work before a scale is measured

# The user throttle (5000/hour by default) would turn a load test into a test of 429s; it still
# runs on every request (its cache reads and writes are measured), it just never refuses.
UNTHROTTLED = "1000000/s"

PAGE_SIZE = 50
DEEP_PAGE = 100

MANAGER = "manager"
BENCH_LIAISON = "bench-liaison"
ROLES = ("manager", "liaison")


@dataclass(frozen=True)
class Target:
    key: str
    label: str  # short, for the table
    what: str
    limit: float
    unit: str  # "xT" (ratio to T, at least), "xP" (ratio to P, at most), "ms", "s", "MB", ...
    at_least: bool


TARGETS = {
    t.key: t
    for t in (
        Target(
            "queries",
            "queries",
            "queries per page/endpoint identical across scales and pages",
            0,
            "",
            True,
        ),
        Target("dashboard_warm", "dashboard warm", "dashboard, warm: throughput", 0.30, "xT", True),
        Target(
            "dashboard_cold",
            "dashboard cold",
            "portfolio dashboard, cold cache: one request",
            60,
            "ms",
            False,
        ),
        Target("api_list", "API list", "API list, 50 rows: throughput", 0.08, "xT", True),
        Target(
            "api_deep_p99",
            "API p99 deep",
            "API list: p99 at page 100 / p99 at page 1",
            1.5,
            "x",
            False,
        ),
        Target("html_list", "HTML list", "HTML list, 50 rows: throughput", 0.05, "xT", True),
        Target("pdf", "PDF", "country status PDF: render time", 1.5, "xP", False),
        Target(
            "batch_time",
            "batch time",
            "monthly batch, all countries, 2 workers: wall time",
            45,
            "s",
            False,
        ),
        Target(
            "batch_rss",
            "batch memory",
            "monthly batch: peak resident memory per worker",
            300,
            "MB",
            False,
        ),
        Target("load", "data load", "scale data load (load_demo --scale 200)", 120, "s", False),
    )
}
COLD_TARGET_SCALE = 200

HTML_LISTS = ("partnerships", "sites", "commitments", "requirements", "milestones", "risks")
API_LISTS = (
    "partnerships",
    "sites",
    "commitments",
    "disbursements",
    "requirements",
    "milestones",
    "risks",
)


def database_name(scale: int) -> str:
    return f"{DATABASE_PREFIX}{scale}"


def database_url(scale: int) -> str:
    return f"{PG_SERVER}/{database_name(scale)}"


def app_env(scale: int, **extra: str) -> dict[str, str]:
    """The environment of every process of the app under test at ``scale``: the harness's
    Django subprocesses, gunicorn and the Celery workers alike."""
    env = {
        key: value
        for key, value in os.environ.items()
        # DEBUG off (its default), eager tasks unless the batch gives its own broker, and none
        # of the caller's own database, cache or media settings.
        if key not in {"DEBUG", "DATABASE_URL", "CELERY_BROKER_URL", "MEDIA_ROOT", CACHE_URL_ENV}
    }
    env.update(
        DATABASE_URL=database_url(scale),
        DJANGO_SETTINGS_MODULE="openai_countries.settings",
        API_THROTTLE_USER=UNTHROTTLED,
        API_THROTTLE_ANON=UNTHROTTLED,
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env[CACHE_URL_ENV] = CACHE_URL
    env.update(extra)
    return env
