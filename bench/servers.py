"""gunicorn on loopback, started and stopped by the harness (never left running)."""

from __future__ import annotations

import functools
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import config, load


@functools.cache
def _control_socket_flags() -> tuple[str, ...]:
    """gunicorn 27 opens a control socket at one fixed path per user by default: two servers
    (ours, and anyone else's on this machine) must not fight over it."""
    help_text = subprocess.run(  # noqa: S603 - our own interpreter
        [config.PYTHON, "-m", "gunicorn", "--help"], capture_output=True, text=True, check=False
    ).stdout
    return ("--no-control-socket",) if "--no-control-socket" in help_text else ()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(scale: int, *, workers: int, log_path: Path) -> Iterator[int]:
    """Serve the app on a free loopback port with the scale's environment; yields the port."""
    port = free_port()
    command = [
        config.PYTHON, "-m", "gunicorn", "openai_countries.wsgi:application",
        "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
        "--timeout", "300", "--graceful-timeout", "5", *_control_socket_flags(),
    ]  # fmt: skip
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter
            command,
            cwd=config.ROOT,
            env=config.app_env(scale),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({process.returncode}); see {log_path}")
            try:
                if load.get(port, "/healthz", {}, timeout=5).status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer /healthz in 60 s; see {log_path}")
            time.sleep(0.2)
        yield port
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
