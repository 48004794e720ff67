"""Turning measurements into verdicts and tables: every figure next to its baseline and target."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any

from bench import config


def summary(values: Iterable[float]) -> dict[str, Any]:
    data = [float(v) for v in values]
    if not data:
        return {"median": None, "min": None, "max": None, "n": 0, "values": []}
    return {
        "median": statistics.median(data),
        "min": min(data),
        "max": max(data),
        "n": len(data),
        "values": data,
    }


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def spread(stats: dict[str, Any] | None, unit: str = "", digits: int = 1) -> str:
    if not stats or stats.get("median") is None:
        return "-"
    text = f"{_num(stats['median'], digits)} {unit}".rstrip()
    if stats["n"] > 1:
        text += f" [{_num(stats['min'], digits)}-{_num(stats['max'], digits)}]"
    return text


def _row(
    key: str,
    subject: str,
    scale: int | None,
    value: str,
    *,
    baseline: str = "",
    ratio: float | dict[str, Any] | None = None,
    measured: float | None = None,
    note: str = "",
    passed: bool | None = None,
) -> dict[str, Any]:
    target = config.TARGETS[key]
    ratio_range = ""
    median: float | None
    if isinstance(ratio, dict):  # a summary of per-round ratios: the verdict is on its median
        median = ratio["median"]
        if ratio["n"] > 1:
            ratio_range = f"[{ratio['min']:.2f}-{ratio['max']:.2f}]"
    else:
        median = ratio
    figure = median if median is not None else measured
    if passed is None and figure is not None:
        passed = figure >= target.limit if target.at_least else figure <= target.limit
    limit = "" if key == "queries" else f"{'>=' if target.at_least else '<='} {target.limit:g}"
    return {
        "target": key,
        "what": target.what,
        "subject": subject,
        "scale": scale,
        "value": value,
        "baseline": baseline,
        "ratio": median,
        "ratio_range": ratio_range,
        "limit": f"{limit} {target.unit}".strip(),
        "pass": passed,
        "note": note,
    }


def _ratio(value: float | None, base: float | None) -> float | None:
    return value / base if value is not None and base else None


def throughput_rows(scale: int, data: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    t = data.get("baseline_T")
    if not t or t.get("median") is None:
        return rows
    baseline = f"T {spread(t, 'req/s', 0)}"
    for page in data.get("throughput", []):
        subject = f"{page['name']} ({page['role']})"
        key = {"dashboard": "dashboard_warm", "html_list": "html_list", "api_list": "api_list"}[
            page["kind"]
        ]
        if page.get("error"):
            rows.append(_row(key, subject, scale, "ERROR", note=page["error"], passed=False))
            continue
        first = page["first"]
        notes = []
        if first.get("invalid_runs"):
            notes.append(f"{first['invalid_runs']} run(s) left out: non-2xx or socket errors")
        if first.get("timeouts"):
            notes.append(f"{first['timeouts']} requests over {config.WRK_TIMEOUT}")
        note = "; ".join(notes)
        rows.append(
            _row(
                key,
                subject,
                scale,
                spread(first["rps"], "req/s"),
                baseline=baseline,
                ratio=first.get("ratio_to_T") or _ratio(first["rps"]["median"], t["median"]),
                note=note,
            )
        )
        if page.get("deep"):
            deep = page["deep"]
            rows.append(
                _row(
                    "api_deep_p99",
                    f"{subject} page {page['deep_page']}",
                    scale,
                    f"p99 {spread(deep['p99_ms'], 'ms')}",
                    baseline=f"page 1 p99 {spread(first['p99_ms'], 'ms')}",
                    ratio=deep.get("p99_ratio")
                    or _ratio(deep["p99_ms"]["median"], first["p99_ms"]["median"]),
                    note="" if page["deep_page"] == config.DEEP_PAGE else "last page (< 100)",
                )
            )
    return rows


def cold_rows(scale: int, data: dict[str, Any]) -> list[dict[str, Any]]:
    cold = data.get("cold")
    if not cold or "roles" not in cold:
        return []
    rows = []
    for role, figures in cold["roles"].items():
        rows.append(
            _row(
                "dashboard_cold",
                f"portfolio dashboard ({role})",
                scale,
                spread(figures["cold_ms"], "ms"),
                baseline=f"warm {spread(figures['warm_ms'], 'ms')}",
                measured=figures["cold_ms"]["median"],
                note=cold["mode"],
            )
        )
    return rows


def pdf_rows(scale: int, data: dict[str, Any]) -> list[dict[str, Any]]:
    pdf = data.get("pdf")
    if not pdf:
        return []
    p = pdf["baseline_P_s"]
    note = f"{pdf['report_pages']} pages"
    if pdf["baseline_pages"] != 2:
        note += f"; baseline document had {pdf['baseline_pages']} pages, not 2"
    return [
        _row(
            "pdf",
            f"country status PDF ({pdf['country']})",
            scale,
            spread(pdf["report_s"], "s", 2),
            baseline=f"P {spread(p, 's', 2)}",
            ratio=pdf.get("ratio_to_P") or _ratio(pdf["report_s"]["median"], p["median"]),
            note=note,
        )
    ]


def batch_rows(batch: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not batch:
        return []
    if batch.get("error"):
        return [_row("batch_time", "monthly batch", batch.get("scale"), "ERROR", passed=False)]
    rows = []
    runs = batch["results"]
    scale = batch["scale"]
    failed = sum(r["statuses"].get("failed", 0) for r in runs)
    unfinished = sum(
        r["runs"] - r["statuses"].get("succeeded", 0) - r["statuses"].get("failed", 0) for r in runs
    )
    seconds = summary(r["seconds"] for r in runs)
    note = f"{runs[0]['runs']} reports ({runs[0]['countries']} countries + portfolio)"
    if failed or unfinished:
        note += f"; {failed} failed, {unfinished} unfinished: FAIL whatever the time"
    within = seconds["median"] <= config.TARGETS["batch_time"].limit
    rows.append(
        _row(
            "batch_time",
            "monthly batch",
            scale,
            spread(seconds, "s"),
            measured=seconds["median"],
            note=note,
            passed=within and not failed and not unfinished,
        )
    )
    peaks: dict[int, list[float]] = {}
    for run in runs:
        for n, worker in enumerate(run["workers"]):
            peaks.setdefault(n, []).append(worker["peak_mb"])
    for n, values in sorted(peaks.items()):
        stats = summary(values)
        rows.append(
            _row(
                "batch_rss",
                f"worker process {n + 1}",
                scale,
                spread(stats, "MB", 0),
                measured=stats["max"],
                note="max over runs: pool process RSS + its render child's private pages",
            )
        )
    return rows


def load_rows(scale: int, load: dict[str, Any]) -> list[dict[str, Any]]:
    if scale != 200:
        return []
    note = (
        "loaded in this run"
        if not load["reused"]
        else f"reused: from the load of {load['loaded_at'][:16]}"
    )
    if load.get("command_seconds") is not None:
        note += f"; load_demo says {load['command_seconds']:.1f} s"
    return [
        _row(
            "load",
            "load_demo --scale 200 (wall time)",
            scale,
            f"{load['seconds']:.1f} s",
            measured=load["seconds"],
            note=note,
        )
    ]


def query_check(scales: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Per page and role: its query counts at every scale, page 1 and the deep page."""
    table: dict[tuple[str, str], dict[str, Any]] = {}
    for scale, data in scales.items():
        for page in data.get("queries") or []:
            entry = table.setdefault(
                (page["name"], page["role"]),
                {"name": page["name"], "role": page["role"], "kind": page["kind"], "by_scale": {}},
            )
            entry["by_scale"][scale] = {k: page[k] for k in ("cold", "warm", "deep", "deep_page")}
    checks = []
    for entry in table.values():
        warm = {
            n
            for counts in entry["by_scale"].values()
            for n in (counts["warm"], counts["deep"])
            if n is not None
        }
        cold = {counts["cold"] for counts in entry["by_scale"].values()}
        entry["identical"] = len(warm) == 1
        entry["cold_identical"] = len(cold) == 1
        checks.append(entry)
    return checks


def query_rows(checks: list[dict[str, Any]], scales: list[str]) -> list[dict[str, Any]]:
    if not checks:
        return []
    same = [c for c in checks if c["identical"] and c["cold_identical"]]
    differ = [f"{c['name']} ({c['role']})" for c in checks if c not in same]
    notes = []
    if differ:
        notes.append("differ: " + ", ".join(differ[:6]) + (" ..." if len(differ) > 6 else ""))
    if len(scales) < 2:
        notes.append("one scale only: pages compared, scales not")
    roles = len({c["role"] for c in checks})
    return [
        _row(
            "queries",
            f"{len(checks) // max(roles, 1)} pages/endpoints x {roles} roles",
            None,
            f"{len(same)} of {len(checks)} identical",
            baseline=f"at {', '.join(scales)}; page 1 and page min(100, last)",
            note="; ".join(notes),
            passed=not differ,
        )
    ]


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    scales = results["scales"]
    names = sorted(scales, key=int)
    rows = query_rows(query_check(scales), names)
    for name in names:
        data = scales[name]
        scale = int(name)
        rows += throughput_rows(scale, data)
        if scale == max(int(n) for n in names):
            rows += cold_rows(scale, data)
        rows += pdf_rows(scale, data)
        rows += load_rows(scale, data["load"])
    rows += batch_rows(results.get("batch"))
    return rows


# Printing ------------------------------------------------------------------------------------


def _table(headers: list[str], body: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *body, strict=True)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)), line]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in body]
    return "\n".join(out)


def _verdict(passed: bool | None) -> str:
    return "PASS" if passed else ("n/a" if passed is None else "FAIL")


def targets_table(rows: list[dict[str, Any]], scale: int | None) -> str:
    """The rows of the largest scale plus those measured once (queries, batch, load)."""
    body = [
        [
            config.TARGETS[r["target"]].label,
            r["subject"],
            r["value"],
            r["baseline"],
            "" if r["ratio"] is None else f"{r['ratio']:.2f} {r.get('ratio_range', '')}".strip(),
            r["limit"],
            _verdict(r["pass"]),
            r["note"],
        ]
        for r in rows
        if r["scale"] in (None, scale) or r["target"] in ("batch_time", "batch_rss", "load")
    ]
    return _table(
        ["target", "what", "absolute: median [min-max]", "baseline", "ratio", "target", "", "note"],
        body,
    )


def by_scale_table(rows: list[dict[str, Any]], scales: list[int]) -> str:
    """Every ratio target at every scale, one row per page and role."""
    keyed: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
    for r in rows:
        if r["target"] in ("dashboard_warm", "html_list", "api_list", "api_deep_p99", "pdf"):
            keyed.setdefault((r["target"], r["subject"]), {})[r["scale"]] = r
    body = []
    for (target, subject), per_scale in keyed.items():
        cells = []
        for scale in scales:
            cell = per_scale.get(scale)
            if cell is None:
                cells.append("")
            elif cell["ratio"] is None:
                cells.append(f"{cell['value']} {_verdict(cell['pass'])}")
            else:
                value = cell["value"].split(" [")[0]
                cells.append(f"{value} = {cell['ratio']:.2f} {_verdict(cell['pass'])}")
        body.append([config.TARGETS[target].label, subject, *cells, config.TARGETS[target].unit])
    return _table(["target", "page (role)", *[f"at {s}" for s in scales], "ratio to"], body)


def queries_table(checks: list[dict[str, Any]], scales: list[str]) -> str:
    body = []
    for c in checks:
        cells = []
        for scale in scales:
            counts = c["by_scale"].get(scale)
            if counts is None:
                cells.append("")
                continue
            cell = f"{counts['cold']}/{counts['warm']}"
            if counts["deep"] is not None:
                cell += f"/{counts['deep']}@p{counts['deep_page']}"
            cells.append(cell)
        same = "yes" if c["identical"] and c["cold_identical"] else "NO"
        body.append([c["name"], c["role"], *cells, same])
    return _table(["page or endpoint", "role", *[f"at {s}" for s in scales], "identical"], body)
