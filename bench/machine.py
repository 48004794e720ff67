"""What the figures were measured on: they mean nothing without it."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from bench import config


def _run(*command: str) -> str:
    try:
        completed = subprocess.run(  # noqa: S603 - fixed commands
            list(command), capture_output=True, text=True, check=False, cwd=config.ROOT, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (completed.stdout or completed.stderr).strip()


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor()
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else platform.processor()


def _ram_gb() -> float | None:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    match = re.search(r"^MemTotal:\s+(\d+) kB", text, re.MULTILINE)
    return round(int(match.group(1)) / 1024 / 1024, 1) if match else None


def _cpu_times() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return idle, sum(fields)


def busy_fraction(seconds: float = 2) -> float | None:
    """How busy the CPUs are while the harness itself is idle: anyone else's work (tests,
    builds) running during a measurement is in its figures."""
    try:
        idle_before, total_before = _cpu_times()
        time.sleep(seconds)
        idle_after, total_after = _cpu_times()
    except (OSError, ValueError, IndexError):
        return None
    total = total_after - total_before
    return round(1 - (idle_after - idle_before) / total, 2) if total else None


def machine_info() -> dict[str, Any]:
    from bench.databases import postgres_version

    try:
        import redis

        redis_version = str(redis.Redis.from_url(config.CACHE_URL).info("server")["redis_version"])
    except Exception:  # the batch and the cache say more when they need it
        redis_version = "unreachable"
    wrk = shutil.which("wrk")
    git_status = _run("git", "status", "--porcelain", "--untracked-files=no")
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "ram_gb": _ram_gb(),
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgresql": postgres_version(),
        "redis": redis_version,
        "wrk": _run(wrk, "--version").splitlines()[0] if wrk else "missing",
        "gunicorn": _run(config.PYTHON, "-m", "gunicorn", "--version"),
        "git": _run("git", "rev-parse", "--short", "HEAD"),
        "git_modified_files": len(git_status.splitlines()) if git_status else 0,
    }
