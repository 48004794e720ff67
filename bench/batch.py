"""The monthly batch on a real Celery worker with 2 prefork processes, timed and sampled.

Runs inside ``bench.django_tasks batch`` (Django set up, ``CELERY_BROKER_URL`` pointing at the
bench's own Redis database, so scheduling enqueues there instead of rendering eagerly).

Memory: a worker is a pool process and the render child it forks (openai_countries.pdf). The
child shares most of its pages with the pool process it was forked from, so a worker's resident
memory, sampled every 50 ms, is the pool process's resident set plus the pages private to its
render child (``Private_*`` of /proc/PID/smaps_rollup); the figure is its peak over the batch.
Each process's own peak (``VmHWM``) is kept next to it.

Reading ``smaps_rollup`` walks the child's page tables under its memory lock: about 3 ms for a
180 MB child, which every 50 ms for two children was a tenth of the CPU the batch had (this
process used 14 s of CPU in a 67 s batch, by /proc), slowing what it measures. So a child's
private pages are read again only when its resident set (``/proc/PID/status``, 40 us) has grown
by ``REREAD_KB`` since the last reading, or ``REREAD_EVERY`` samples later: an allocation shows
in the resident set at once, and what the resident set does not show (pages shared with the
pool process that a write makes private) drifts slowly.
"""

from __future__ import annotations

import datetime
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import config

_MB = 1024
# A render child's private pages are read again once its resident set has grown by this much
# (kB) since the last reading, and at least every this many samples.
REREAD_KB = 512
REREAD_EVERY = 20


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            found += [int(child) for child in text.split()]
    except OSError:
        pass
    return found


def _private_kb(pid: int) -> int:
    """The pages only this process maps (not shared with its parent), in kB."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    except OSError:
        pass
    return total


def _status_kb(pid: int) -> dict[str, int]:
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmHWM:", "VmRSS:")):
                name, value = line.split(":", 1)
                values[name] = int(value.split()[0])
    except OSError:
        pass
    return values


class Sampler(threading.Thread):
    """Every ``interval`` s: the worker's pool processes and the render children under them."""

    def __init__(self, main_pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.main_pid = main_pid
        self.interval = interval
        self.stopping = threading.Event()
        # pool pid -> peaks (kB) of itself, its render child and both together; render children
        self.pool: dict[int, dict[str, int]] = {}
        self.children_seen: set[int] = set()
        # render child pid -> (resident kB, private kB, samples ago) at its last smaps reading
        self.private: dict[int, tuple[int, int, int]] = {}

    def sample(self) -> None:
        for pool_pid in _children(self.main_pid):
            entry = self.pool.setdefault(
                pool_pid, {"self_kb": 0, "render_kb": 0, "worker_kb": 0, "children": 0}
            )
            own = _status_kb(pool_pid)
            entry["self_kb"] = max(entry["self_kb"], own.get("VmHWM", 0))
            resident = own.get("VmRSS", 0)
            stack = _children(pool_pid)
            while stack:
                child = stack.pop()
                stack += _children(child)
                if child not in self.children_seen:
                    self.children_seen.add(child)
                    entry["children"] += 1
                status = _status_kb(child)
                entry["render_kb"] = max(entry["render_kb"], status.get("VmHWM", 0))
                resident += self._child_private_kb(child, status.get("VmRSS", 0))
            entry["worker_kb"] = max(entry["worker_kb"], resident)

    def _child_private_kb(self, child: int, resident_kb: int) -> int:
        read_at, private, age = self.private.get(child, (0, 0, REREAD_EVERY))
        if resident_kb - read_at >= REREAD_KB or age >= REREAD_EVERY:
            read_at, private, age = resident_kb, _private_kb(child), 0
        self.private[child] = (read_at, private, age + 1)
        return private

    def run(self) -> None:
        while not self.stopping.is_set():
            self.sample()
            time.sleep(self.interval)

    def stop(self) -> None:
        self.stopping.set()
        self.join()
        self.sample()


def _fresh_as_of() -> datetime.date:
    """The latest day up to today no report run is for: every batch renders anew."""
    from partnerships.models import ReportRun

    taken = set(ReportRun.objects.values_list("as_of", flat=True).distinct())
    day = datetime.date.today()
    while day in taken:
        day -= datetime.timedelta(days=1)
    return day


def _wait_ready(process: subprocess.Popen[bytes], log_path: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Celery worker exited ({process.returncode}); see {log_path}")
        if " ready." in log_path.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise RuntimeError(f"the Celery worker was not ready after {timeout:.0f} s; see {log_path}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_batch(*, scale: int, log_path: Path, timeout: float) -> dict[str, Any]:
    import redis
    from django.conf import settings

    from bench.django_tasks import clear_caches
    from partnerships.models import ReportRun, ReportStatus
    from partnerships.services.reports import report_runs_schedule_monthly

    if settings.CELERY_BROKER_URL != config.BROKER_URL:
        raise SystemExit(f"the batch needs CELERY_BROKER_URL={config.BROKER_URL}")
    redis.Redis.from_url(config.BROKER_URL).flushdb()  # leftovers of an interrupted batch
    clear_caches()
    media = tempfile.mkdtemp(prefix="oc-bench-media-")
    env = config.app_env(
        scale, CELERY_BROKER_URL=config.BROKER_URL, MEDIA_ROOT=media, LOG_LEVEL="INFO"
    )
    command = [
        config.PYTHON, "-m", "celery", "-A", "openai_countries", "worker",
        "--queues", "default,reports", "--pool", "prefork",
        "--concurrency", str(config.BATCH_WORKERS), "--loglevel", "info",
        "--hostname", f"bench-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter
            command, cwd=config.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_ready(worker, log_path)
        sampler = Sampler(worker.pid)
        sampler.start()
        as_of = _fresh_as_of()
        started = time.monotonic()
        runs = report_runs_schedule_monthly(as_of=as_of, language="en")
        ids = [run.pk for run in runs]
        done = (ReportStatus.SUCCEEDED, ReportStatus.FAILED)
        timed_out = False
        while ReportRun.objects.filter(pk__in=ids).exclude(status__in=done).exists():
            if time.monotonic() - started > timeout:
                timed_out = True
                break
            time.sleep(0.2)
        seconds = time.monotonic() - started
        sampler.stop()
        main_kb = _status_kb(worker.pid).get("VmHWM", 0)
    finally:
        _stop(worker)
        shutil.rmtree(media, ignore_errors=True)
    finished = ReportRun.objects.filter(pk__in=ids)
    statuses = Counter(finished.values_list("status", flat=True))
    errors = Counter(
        error.splitlines()[0][:200] if error else ""
        for error in finished.filter(status=ReportStatus.FAILED).values_list("error", flat=True)
    )
    durations = sorted(
        ms for ms in finished.values_list("duration_ms", flat=True) if ms is not None
    )
    workers = [
        {
            "pid": pid,
            "self_mb": entry["self_kb"] / _MB,
            "render_mb": entry["render_kb"] / _MB,
            "peak_mb": entry["worker_kb"] / _MB,
            "children": entry["children"],
        }
        for pid, entry in sorted(sampler.pool.items())
    ]
    return {
        "as_of": as_of.isoformat(),
        "runs": len(ids),
        "countries": sum(1 for run in runs if run.country_id is not None),
        "statuses": dict(statuses),
        "errors": dict(errors.most_common(5)),
        "timed_out": timed_out,
        "seconds": seconds,
        "render_ms_median": durations[len(durations) // 2] if durations else None,
        "render_ms_max": durations[-1] if durations else None,
        "workers": workers,
        "main_mb": main_kb / _MB,
    }
