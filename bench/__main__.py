"""``python -m bench``: load each scale, measure it against the same-run baselines, print the
verdicts and write them to bench/results/latest.json. See bench/README.md."""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import config, databases, load, report, servers
from bench.machine import busy_fraction, machine_info
from bench.pages import Page, headers, pages

PARTS = ("queries", "throughput", "cold", "pdf", "batch")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--scales",
        default=",".join(map(str, config.SCALES)),
        help="countries of generated data, comma-separated (default 10,50,200)",
    )
    parser.add_argument("--duration", type=float, default=8, help="seconds of each wrk run")
    parser.add_argument("--runs", type=int, default=3, help="runs of every figure (median)")
    parser.add_argument("--fresh", action="store_true", help="drop and reload every database")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="for iterating on the harness: 2 s wrk runs, 1 run of each; not a measurement",
    )
    parser.add_argument(
        "--skip", default="", help=f"parts to leave out, comma-separated: {', '.join(PARTS)}"
    )
    parser.add_argument(
        "--batch-runs", type=int, default=None, help="monthly batches to time (default --runs)"
    )
    parser.add_argument("--out", default=str(config.LATEST_JSON), help="where to write the JSON")
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=900,
        metavar="SECONDS",
        help="before each scale and the batch, wait up to this long for other work on the CPUs "
        "to end (default 900; 0 to measure at once)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the scales (and batch) an interrupted run with the same options already "
        "measured in --out, and measure the rest",
    )
    args = parser.parse_args(argv)
    args.scales = sorted({int(s) for s in args.scales.split(",") if s.strip()})
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if unknown := args.skip - set(PARTS):
        parser.error(f"unknown parts to skip: {', '.join(sorted(unknown))}")
    if args.quick:
        args.duration, args.runs = 2, 1
    if args.batch_runs is None:
        args.batch_runs = args.runs
    return args


def _summarised(cold: dict[str, Any]) -> dict[str, Any]:
    for figures in cold.get("roles", {}).values():
        for key in ("cold_ms", "warm_ms"):
            figures[key] = report.summary(figures[key])
    return cold


class Harness:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir  # fixtures (session keys, tokens) never land in the checkout
        config.LOGS_DIR.mkdir(parents=True, exist_ok=True)

    def log(self, name: str) -> Path:
        return config.LOGS_DIR / name

    def task(self, task: str, scale: int, *extra: str, env: dict[str, str] | None = None) -> Any:
        out = self.workdir / f"{task}-{scale}.json"
        command = [config.PYTHON, "-m", "bench.django_tasks", task, "--scale", str(scale)]
        command += ["--out", str(out), *extra]
        with self.log(f"{task}-{scale}.log").open("w") as log:
            completed = subprocess.run(  # noqa: S603 - our own interpreter and module
                command,
                cwd=config.ROOT,
                env=env or config.app_env(scale),
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if completed.returncode != 0:
            tail = self.log(f"{task}-{scale}.log").read_text(errors="replace")[-2500:]
            raise RuntimeError(f"bench.django_tasks {task} failed at scale {scale}:\n{tail}")
        return json.loads(out.read_text())

    # Throughput ------------------------------------------------------------------------------

    def preflight(self, port: int, fixtures: dict[str, Any], page: Page, url: str) -> str:
        """'' when ``url`` answers 200 with the bench credentials, else why not."""
        try:
            response = load.get(port, url, headers(fixtures, page.role, api=page.api))
        except OSError as error:
            return f"{url}: {error}"
        if response.status != 200:
            where = f" to {response.location}" if response.location else ""
            return f"{url}: HTTP {response.status}{where}"
        if page.api and b'"results"' not in response.body:
            return f"{url}: no results in the response"
        return ""

    def throughput(self, scale: int, port: int, fixtures: dict[str, Any]) -> dict[str, Any]:
        targets = pages(fixtures)
        runs: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        errors: dict[tuple[str, str], str] = {}
        urls: list[tuple[Page, str, str]] = []  # (page, which, url)
        for page in targets:
            urls.append((page, "first", page.first))
            if page.api and page.deep_page > 1:  # one page only: nothing deeper to compare
                urls.append((page, "deep", page.deep))
        for page, _which, url in urls:
            if error := self.preflight(port, fixtures, page, url):
                errors[(page.name, page.role)] = error
                say(f"    ! {page.role} {url}: {error}")
        healthz: list[dict[str, Any]] = []
        measurable = [u for u in urls if (u[0].name, u[0].role) not in errors]
        # Each wrk run is followed by a drain of a couple of seconds; plus the warm-up runs.
        each = self.args.duration + 2.5
        total = ((len(measurable) + 1) * self.args.runs + 1) * each + len(measurable) * 3.5
        say(
            f"  throughput: {len(measurable)} URLs + /healthz, {self.args.runs} round(s) of "
            f"{self.args.duration:g} s runs: about {total / 60:.0f} min"
        )
        # One short untimed run of each URL first: every worker compiles its templates, opens its
        # connection and fills the caches a warm figure is about.
        for page, _which, url in measurable:
            load.wrk(port, url, headers(fixtures, page.role, api=page.api), 1)
        # Rounds, not one URL's runs back to back, with T before and after each round: a page's
        # ratio is to the mean T around its own round, so drift on a shared machine (anyone
        # else's work, CPU steal) cancels out of the ratios as far as it can.
        healthz.append(load.wrk(port, "/healthz", {}, self.args.duration))
        for round_number in range(self.args.runs):
            for page, which, url in measurable:
                result = load.wrk(
                    port, url, headers(fixtures, page.role, api=page.api), self.args.duration
                )
                result["url"] = url
                result["round"] = round_number
                runs.setdefault((page.name, page.role, which), []).append(result)
            healthz.append(load.wrk(port, "/healthz", {}, self.args.duration))
            say(
                f"    round {round_number + 1}: T = {healthz[-2]['rps']:.0f} then "
                f"{healthz[-1]['rps']:.0f} req/s; dashboards "
                + ", ".join(
                    f"{r[-1]['rps']:.0f}"
                    for (name, role, which), r in runs.items()
                    if which == "first" and "dashboard" in name
                )
                + " req/s"
            )
        round_t = []
        for before, after in itertools.pairwise(healthz):
            valid = [r["rps"] for r in (before, after) if r["valid"]]
            round_t.append(sum(valid) / len(valid) if valid else None)

        def figures(results: list[dict[str, Any]]) -> dict[str, Any]:
            valid = [r for r in results if r["valid"]]
            return {
                "rps": report.summary(r["rps"] for r in valid),
                "ratio_to_T": report.summary(
                    r["rps"] / t for r in valid if (t := round_t[r["round"]])
                ),
                "p50_ms": report.summary(r.get("p50", 0) for r in valid),
                "p99_ms": report.summary(r.get("p99", 0) for r in valid),
                "invalid_runs": len(results) - len(valid),
                "timeouts": sum(r["timeouts"] for r in results),
                "runs": results,
            }

        def p99_ratio(first: list[dict[str, Any]], deep: list[dict[str, Any]]) -> dict[str, Any]:
            by_round = {r["round"]: r for r in first if r["valid"] and r.get("p99")}
            return report.summary(
                d["p99"] / by_round[d["round"]]["p99"]
                for d in deep
                if d["valid"] and d["round"] in by_round
            )

        measured = []
        for page in targets:
            entry: dict[str, Any] = {
                "name": page.name,
                "role": page.role,
                "kind": page.kind,
                "url": page.first,
                "deep_url": page.deep,
                "deep_page": page.deep_page,
                "error": errors.get((page.name, page.role), ""),
            }
            if not entry["error"]:
                first = runs[(page.name, page.role, "first")]
                entry["first"] = figures(first)
                if entry["first"]["rps"]["n"] == 0:
                    entry["error"] = "every run had errors (non-2xx or socket errors)"
                if (page.name, page.role, "deep") in runs:
                    deep = runs[(page.name, page.role, "deep")]
                    entry["deep"] = figures(deep)
                    entry["deep"]["p99_ratio"] = p99_ratio(first, deep)
            measured.append(entry)
        return {
            "baseline_T": report.summary(r["rps"] for r in healthz if r["valid"]),
            "T_runs": healthz,
            "round_T": round_t,
            "throughput": measured,
        }

    # Cold ------------------------------------------------------------------------------------

    def cold(self, scale: int, port: int, fixtures: dict[str, Any], path: Path) -> dict[str, Any]:
        runs = max(self.args.runs, 2 if self.args.quick else config.COLD_RUNS_MIN)
        return _summarised(
            self.task(
                "cold", scale, "--fixtures", str(path), "--port", str(port), "--runs", str(runs)
            )
        )

    def _pdf_pairs(self) -> int:
        # A pair (P, report) takes half a second; with three, one slow P moved the median ratio
        # by a third (0.9-1.6 within one run).
        return max(self.args.runs, 1 if self.args.quick else config.PDF_PAIRS_MIN)

    def cold_per_process(self, scale: int, fixtures: dict[str, Any]) -> dict[str, Any]:
        """Without a shared cache no other process can empty a worker's: each figure is the
        first /portfolio/ of a fresh one-worker server, after an untimed /healthz and list
        page (connection, templates, session) that leave the dashboard cache empty."""
        runs = max(self.args.runs, 2 if self.args.quick else config.COLD_RUNS_MIN)
        roles: dict[str, Any] = {}
        for role in config.ROLES:
            head = headers(fixtures, role, api=False)
            cold_ms, warm_ms = [], []
            for _ in range(runs):
                with servers.gunicorn(
                    scale, workers=1, log_path=self.log(f"gunicorn-{scale}.log")
                ) as port:
                    load.get(port, "/healthz", {})
                    load.get(port, "/sites/?page=1", head)
                    cold_ms.append(load.get(port, "/portfolio/", head).seconds * 1000)
                    warm_ms.append(load.get(port, "/portfolio/", head).seconds * 1000)
            roles[role] = {"cold_ms": cold_ms, "warm_ms": warm_ms}
        return _summarised({"mode": "fresh one-worker server (per-process cache)", "roles": roles})

    # One scale -------------------------------------------------------------------------------

    def scale(self, scale: int) -> dict[str, Any]:
        say(f"== {scale} countries ({config.database_name(scale)})")
        busy_before_load = self.wait_idle()
        with self.log(f"load-{scale}.log").open("a") as log:
            loaded = databases.ensure_loaded(scale, fresh=self.args.fresh, log=log, say=say)
        # The scales share one Redis: rows counted on another scale's database (the lists
        # cache their counts) would make this scale's deep pages wrong.
        self._flush_cache()
        fixtures = self.task("fixtures", scale)
        fixtures_path = self.workdir / f"fixtures-{scale}.json"
        fixtures_path.write_text(json.dumps(fixtures))
        result: dict[str, Any] = {
            "load": {**loaded, "busy_before": busy_before_load if not loaded["reused"] else None},
            "counts": fixtures["counts"],
            "country": fixtures["country"],
            "rows": fixtures["rows"],
            "pages": fixtures["pages"],
            "caches": fixtures["caches"],
        }
        say(
            "  data: "
            + ", ".join(f"{n:,} {name}" for name, n in fixtures["counts"].items())
            + f"; liaison country {fixtures['country']} ({fixtures['country_name']})"
        )
        if "queries" not in self.args.skip:
            say("  queries per page and endpoint (in process, django.test.Client)")
            sql_log = self.log(f"queries-{scale}.sql.txt")
            result["queries"] = self.task(
                "queries", scale, "--fixtures", str(fixtures_path), "--sql-log", str(sql_log)
            )["pages"]
        # Anything else busy on the machine (other people's tests) would be in the figures: wait
        # a while for it to end, and say so when it does not.
        result["busy_before"] = self.wait_idle()
        if not {"throughput", "cold"} <= self.args.skip:
            self._flush_cache()
            with servers.gunicorn(
                scale, workers=config.GUNICORN_WORKERS, log_path=self.log(f"gunicorn-{scale}.log")
            ) as port:
                if "throughput" not in self.args.skip:
                    result.update(self.throughput(scale, port, fixtures))
                if "cold" not in self.args.skip and fixtures["caches"]["shared"]:
                    say("  cold portfolio: shared cache emptied before each request")
                    # Every worker warm (templates, connection, code paths): only the cache is cold.
                    for role in config.ROLES:
                        load.wrk(port, "/portfolio/", headers(fixtures, role, api=False), 1)
                    result["cold"] = self.cold(scale, port, fixtures, fixtures_path)
            if "cold" not in self.args.skip and not fixtures["caches"]["shared"]:
                say("  cold portfolio: per-process cache, a fresh server for each request")
                result["cold"] = self.cold_per_process(scale, fixtures)
        if "pdf" not in self.args.skip:
            say("  PDF: baseline document and the country status report (in process)")
            pdf = self.task(
                "pdf", scale, "--fixtures", str(fixtures_path), "--runs", str(self._pdf_pairs())
            )
            result["pdf"] = {
                "ratio_to_P": report.summary(
                    r / p for r, p in zip(pdf["report_s"], pdf["baseline_s"], strict=True)
                ),
                "baseline_P_s": report.summary(pdf["baseline_s"]),
                "baseline_pages": pdf["baseline_pages"],
                "report_s": report.summary(pdf["report_s"]),
                "report_pages": pdf["report_pages"],
                "country": pdf["country"],
            }
        return result

    def wait_idle(self) -> float | None:
        busy = busy_fraction()
        deadline = time.monotonic() + self.args.wait_idle
        if busy is not None and busy > config.BUSY_WARNING and self.args.wait_idle > 0:
            say(
                f"  CPU {busy:.0%} busy with other work: waiting up to "
                f"{self.args.wait_idle:.0f} s for it to end"
            )
        while busy is not None and busy > config.BUSY_WARNING and time.monotonic() < deadline:
            time.sleep(8)
            busy = busy_fraction()
        if busy is not None and busy > config.BUSY_WARNING:
            say(f"  ! CPU {busy:.0%} busy with other work: measuring anyway, figures distorted")
        return busy

    def _flush_cache(self) -> None:
        """A cache left by another scale's database would serve that scale's figures."""
        import redis

        try:
            redis.Redis.from_url(config.CACHE_URL).flushdb()
        except redis.RedisError as error:
            say(f"  (cannot empty {config.CACHE_URL}: {error})")

    def batch(self, scale: int) -> dict[str, Any]:
        say(
            f"== monthly batch at {scale} countries: {config.BATCH_WORKERS} worker processes, "
            f"{self.args.batch_runs} run(s)"
        )
        env = config.app_env(scale, CELERY_BROKER_URL=config.BROKER_URL)
        busy = self.wait_idle()
        results = []
        for n in range(self.args.batch_runs):
            result = self.task(
                "batch",
                scale,
                "--log",
                str(self.log(f"celery-{scale}-{n + 1}.log")),
                "--timeout",
                str(config.BATCH_TIMEOUT_S),
                env=env,
            )
            say(
                f"    run {n + 1}: {result['runs']} reports in {result['seconds']:.1f} s "
                f"({result['statuses']}); workers peak "
                + ", ".join(f"{w['peak_mb']:.0f} MB" for w in result["workers"])
            )
            results.append(result)
            limit = config.TARGETS["batch_time"].limit
            if (
                result["seconds"] > config.BATCH_REPEAT_UNDER * limit
                and n + 1 < self.args.batch_runs
            ):
                note = (
                    f"one run only: it took over {config.BATCH_REPEAT_UNDER:g} x the "
                    f"{limit:g} s target, so more runs could not change the verdict"
                )
                say(f"    {note}")
                return {"scale": scale, "results": results, "note": note, "busy_before": busy}
        return {"scale": scale, "results": results, "note": "", "busy_before": busy}


def _resumable(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """With --resume, what the interrupted run in ``out`` measured with these same options."""
    if not args.resume or not out.exists():
        return {}
    previous = json.loads(out.read_text())
    options = previous.get("options", {})
    same = (
        previous.get("quick") == args.quick
        and options.get("duration_s") == args.duration
        and options.get("runs") == args.runs
        and set(options.get("skip", [])) <= args.skip
    )
    if not same:
        say("bench: --resume ignored: the run in the output file had other options")
        return {}
    return previous


def _stop_cleanly(signum: int, _frame: Any) -> None:
    say(f"bench: stopped by {signal.Signals(signum).name}; stopping the servers it started")
    # SystemExit unwinds through the context managers: gunicorn and Celery are stopped, not
    # orphaned (SIGINT is ignored in a background job, and SIGTERM would skip them).
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_cleanly)
    signal.signal(signal.SIGINT, _stop_cleanly)
    started = time.monotonic()
    if "throughput" not in args.skip:
        load.wrk_binary()
    results: dict[str, Any] = {
        "started_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "options": {
            "scales": args.scales,
            "duration_s": args.duration,
            "runs": args.runs,
            "batch_runs": args.batch_runs,
            "fresh": args.fresh,
            "skip": sorted(args.skip),
            "wait_idle_s": args.wait_idle,
            "gunicorn_workers": config.GUNICORN_WORKERS,
            "wrk": f"-t{config.WRK_THREADS} -c{config.WRK_CONNECTIONS} "
            f"--timeout {config.WRK_TIMEOUT}",
            "cache_env": {config.CACHE_URL_ENV: config.CACHE_URL},
            "env_overrides": {"API_THROTTLE_USER": config.UNTHROTTLED, "LOG_LEVEL": "WARNING"},
        },
        "machine": machine_info(),
        "scales": {},
        "batch": None,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    say(
        "bench: "
        + ", ".join(
            f"{k} {v}" for k, v in results["machine"].items() if k in ("cpu", "cores", "ram_gb")
        )
        + (" -- QUICK: indicative figures only" if args.quick else "")
    )
    previous = _resumable(args, out)
    with tempfile.TemporaryDirectory(prefix="oc-bench-") as workdir:
        harness = Harness(args, Path(workdir))
        for scale in args.scales:
            if str(scale) in previous.get("scales", {}):
                say(f"== {scale} countries: kept from the run started {previous['started_at']}")
                results["scales"][str(scale)] = previous["scales"][str(scale)]
                results["scales"][str(scale)]["resumed_from"] = previous["started_at"]
                continue
            results["scales"][str(scale)] = harness.scale(scale)
            out.write_text(json.dumps(results, indent=1, default=str))  # partial, if we crash
        if previous.get("batch"):  # kept even when this run skips it: it was measured
            say(f"== monthly batch: kept from the run started {previous['started_at']}")
            results["batch"] = {**previous["batch"], "resumed_from": previous["started_at"]}
        elif "batch" not in args.skip:
            try:
                results["batch"] = harness.batch(max(args.scales))
            except RuntimeError as error:
                say(f"  batch failed: {error}")
                results["batch"] = {"scale": max(args.scales), "error": str(error)}
    rows = report.evaluate(results)
    checks = report.query_check(results["scales"])
    results["targets"] = rows
    results["queries_check"] = checks
    results["finished_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    results["duration_s"] = round(time.monotonic() - started, 1)
    out.write_text(json.dumps(results, indent=1, default=str))
    print_report(results, rows, checks, out)
    return 0


def print_report(
    results: dict[str, Any], rows: list[dict[str, Any]], checks: list[dict[str, Any]], out: Path
) -> None:
    machine = results["machine"]
    scales = [int(s) for s in results["scales"]]
    largest = max(scales)
    print()
    print(
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram_gb']} GB RAM, "
        f"{machine['kernel']}, Python {machine['python']}, PostgreSQL {machine['postgresql']}, "
        f"Redis {machine['redis']}; git {machine['git']} (+{machine['git_modified_files']} "
        "modified files)"
    )
    opts = results["options"]
    print(
        f"Runs: median of {opts['runs']} (min-max); wrk {opts['wrk']} for {opts['duration_s']:g} s "
        f"against gunicorn --workers {opts['gunicorn_workers']}; T = /healthz throughput, "
        "P = WeasyPrint render of the fixed 2-page document, both in this run"
        + ("; QUICK RUN: indicative only" if results["quick"] else "")
    )
    print(f"\nTargets at {largest} countries (other scales below)")
    print(report.targets_table(rows, largest))
    if len(scales) > 1:
        print("\nRatio targets at every scale (absolute median = ratio)")
        print(report.by_scale_table(rows, scales))
    if checks:
        print(
            "\nSQL queries per request: cold/warm at page 1, /warm at the deep page "
            "(page 100, or the last when there are fewer)"
        )
        print(report.queries_table(checks, [str(s) for s in scales]))
    for scale in scales:
        data = results["scales"][str(scale)]
        counts = data["counts"]
        print(
            f"\nData at {scale}: "
            + ", ".join(f"{n:,} {name}" for name, n in counts.items())
            + f"; load {data['load']['seconds']:.1f} s"
            + (" (reused from an earlier run)" if data["load"]["reused"] else "")
            + (
                f"; measured by the interrupted run started {data['resumed_from']} (--resume)"
                if data.get("resumed_from")
                else ""
            )
            + (
                f"; CPU busy with other work before measuring: {data['busy_before']:.0%}"
                if data.get("busy_before") is not None
                else ""
            )
            + (
                f"; T {report.spread(data['baseline_T'], 'req/s', 0)}"
                if "baseline_T" in data
                else ""
            )
            + (f"; P {report.spread(data['pdf']['baseline_P_s'], 's', 2)}" if "pdf" in data else "")
        )
    batch = results.get("batch")
    if batch and batch.get("results"):
        for n, run in enumerate(batch["results"], 1):
            print(
                f"Batch run {n}: {run['runs']} reports, {run['statuses']}, "
                f"{run['seconds']:.1f} s, median render {run['render_ms_median']} ms; workers: "
                + "; ".join(
                    f"{w['peak_mb']:.0f} MB together (own peak {w['self_mb']:.0f} MB, "
                    f"render child peak {w['render_mb']:.0f} MB, {w['children']} render children)"
                    for w in run["workers"]
                )
                + (f"; errors: {run['errors']}" if run["errors"] else "")
            )
        if batch.get("note"):
            print(f"Batch: {batch['note']}")
    verdicts = [r["pass"] for r in rows if r["pass"] is not None]
    print(
        f"\n{sum(verdicts)} of {len(verdicts)} target rows pass (all scales). "
        f"Written to {out.relative_to(config.ROOT) if out.is_relative_to(config.ROOT) else out}; "
        f"logs in {config.LOGS_DIR.relative_to(config.ROOT)}/. "
        f"Took {results['duration_s'] / 60:.1f} min."
    )


if __name__ == "__main__":
    sys.exit(main())
