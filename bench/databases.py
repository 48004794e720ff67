"""One PostgreSQL database per scale, kept between runs and reused while its load is current.

A database is reused when its marker row (table ``bench_load``, written after a successful
``load_demo --scale N``) says it holds that scale, the partnership count agrees, and the demo
generator's source has not changed since; otherwise (or with ``--fresh``) it is dropped,
migrated and loaded again, and that load is timed. Either way it is migrated, so a reused
database follows the app's schema.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import subprocess
import time
from typing import Any

import psycopg

from bench import config

MARKER_TABLE = "bench_load"
GENERATOR_SOURCES = (
    "openai_countries/demo",
    "openai_countries/management/commands/load_demo.py",
)


def generator_hash() -> str:
    digest = hashlib.sha256()
    for source in GENERATOR_SOURCES:
        path = config.ROOT / source
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(config.ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _server() -> psycopg.Connection[Any]:
    return psycopg.connect(f"{config.PG_SERVER}/postgres", autocommit=True)


def _database(scale: int) -> psycopg.Connection[Any]:
    return psycopg.connect(config.database_url(scale), autocommit=True)


def postgres_version() -> str:
    with _server() as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def _marker(scale: int) -> dict[str, Any] | None:
    """The marker of a complete load of ``scale``, if the database has one and agrees with it."""
    with _server() as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config.database_name(scale)]
        ).fetchone()
    if not exists:
        return None
    with _database(scale) as conn:
        table = conn.execute("SELECT to_regclass(%s)", [MARKER_TABLE]).fetchone()
        if not table or table[0] is None:
            return None
        row = conn.execute(
            f"SELECT scale, seed, seconds, command_seconds, loaded_at, generator "  # noqa: S608
            f"FROM {MARKER_TABLE} ORDER BY loaded_at DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        partnerships = conn.execute(
            "SELECT count(*) FROM partnerships_partnership WHERE code LIKE 'SC-%%'"
        ).fetchone()
    marker = dict(
        zip(
            ("scale", "seed", "seconds", "command_seconds", "loaded_at", "generator"),
            row,
            strict=True,
        )
    )
    if marker["scale"] != scale or marker["seed"] != config.SEED:
        return None
    if not partnerships or partnerships[0] != scale:
        return None
    return marker


def _manage(scale: int, *args: str, log: Any) -> str:
    completed = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [config.PYTHON, "manage.py", *args],
        cwd=config.ROOT,
        env=config.app_env(scale, LOG_LEVEL="INFO"),
        capture_output=True,
        text=True,
        check=False,
    )
    log.write(f"$ manage.py {' '.join(args)}\n{completed.stdout}{completed.stderr}\n")
    if completed.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed at scale {scale}:\n{completed.stderr[-3000:]}"
        )
    return completed.stdout


def ensure_loaded(scale: int, *, fresh: bool, log: Any, say: Any) -> dict[str, Any]:
    """Make the database of ``scale`` hold the demo program plus ``scale`` generated countries;
    return how (and how long) it was loaded."""
    name = config.database_name(scale)
    current = generator_hash()
    marker = None if fresh else _marker(scale)
    reason = "--fresh" if fresh else "no complete load of this scale"
    if marker is not None and marker["generator"] != current:
        reason = "the demo generator changed since the last load"
        marker = None
    if marker is not None:
        say(f"  {name}: reusing the load of {marker['loaded_at']:%Y-%m-%d %H:%M}; migrating")
        _manage(scale, "migrate", "--no-input", "-v", "0", log=log)
        return {
            "reused": True,
            "seconds": marker["seconds"],
            "command_seconds": marker["command_seconds"],
            "loaded_at": marker["loaded_at"].isoformat(),
        }
    say(f"  {name}: (re)creating ({reason})")
    with _server() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    started = time.monotonic()
    _manage(scale, "migrate", "--no-input", "-v", "0", log=log)
    migrate_seconds = time.monotonic() - started
    say(f"  {name}: migrated in {migrate_seconds:.1f} s; loading --scale {scale}")
    started = time.monotonic()
    output = _manage(scale, "load_demo", "--scale", str(scale), "--seed", str(config.SEED), log=log)
    seconds = time.monotonic() - started
    done = re.search(r"Done in ([0-9.]+) s", output)
    command_seconds = float(done.group(1)) if done else None
    loaded_at = datetime.datetime.now(datetime.UTC)
    with _database(scale) as conn:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (scale int, seed int, seconds float, "
            "command_seconds float, loaded_at timestamptz, generator text)"
        )
        conn.execute(
            f"INSERT INTO {MARKER_TABLE} VALUES (%s, %s, %s, %s, %s, %s)",  # noqa: S608
            [scale, config.SEED, seconds, command_seconds, loaded_at, current],
        )
    say(f"  {name}: loaded in {seconds:.1f} s (load_demo says {command_seconds} s)")
    return {
        "reused": False,
        "seconds": seconds,
        "command_seconds": command_seconds,
        "migrate_seconds": migrate_seconds,
        "loaded_at": loaded_at.isoformat(),
    }
