"""HTTP against the server under test: single timed requests, and wrk runs parsed."""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from typing import Any

from bench import config


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    seconds: float
    location: str


def get(port: int, path: str, headers: dict[str, str], timeout: float = 120) -> Response:
    """One GET on a new connection (the sync workers close it anyway), redirects not followed:
    a page that sends the bench user to the login form must not count as served."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    return Response(
        response.status, body, time.perf_counter() - started, response.getheader("Location", "")
    )


def drain(port: int, *, quiet_ms: float = 50, timeout: float = 600) -> float:
    """Wait until the server is idle; returns the seconds waited.

    wrk stops at its deadline with requests still queued in the listen backlog, and sync
    workers serve those anyway: without this, one run's leftovers are the next run's load.
    Idle is two /healthz answered in under ``quiet_ms`` in a row (each waits behind the queue).
    """
    started = time.monotonic()
    quick = 0
    while quick < 2:
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"the server was still busy after {timeout:.0f} s")
        quick = quick + 1 if get(port, "/healthz", {}).seconds * 1000 < quiet_ms else 0
    return time.monotonic() - started


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit(
            "bench: wrk is missing; install it with `.ci/ensure-system --bench` "
            "(Debian package wrk) or `apt-get install wrk`."
        )
    return found


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> dict[str, Any]:
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    total = re.search(r"(\d+) requests in ([0-9.]+\w+)", output)
    if not rps or not total:
        raise ValueError(f"cannot read wrk's output:\n{output}")
    latency = {
        f"p{pct}": _ms(value)
        for pct, value in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.MULTILINE)
    }
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(rps.group(1)),
        "requests": int(total.group(1)),
        **latency,
        "socket_errors": sum(int(n) for n in socket.groups()) if socket else 0,
        "timeouts": int(socket.group(4)) if socket else 0,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
    }


def wrk(port: int, path: str, headers: dict[str, str], seconds: float) -> dict[str, Any]:
    command = [
        wrk_binary(),
        f"-t{config.WRK_THREADS}",
        f"-c{config.WRK_CONNECTIONS}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={config.WRK_TIMEOUT}",
        "--latency",
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    completed = subprocess.run(  # noqa: S603 - wrk from PATH, our own arguments
        command, capture_output=True, text=True, check=False, timeout=seconds + 120
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed on {path}: {completed.stderr or completed.stdout}")
    result = parse_wrk(completed.stdout)
    result["drain_s"] = drain(port)
    # Errors make a run invalid: a throughput of refusals measures nothing. Timeouts do not:
    # they are slowness (the run's rate counts what completed), reported next to the figure.
    result["valid"] = (
        result["non_2xx"] == 0
        and result["socket_errors"] == result["timeouts"]
        and result["requests"] > 0
    )
    return result
