"""The zero-setup path: with no DATABASE_URL or broker, the SQLite default migrates and loads the
demo program, exactly what `make run` does before starting the server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_sqlite_default_migrates_and_loads_the_demo(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'newcomer.sqlite3'}"
    migrated = manage("migrate", "--no-input", env=env)
    assert migrated.returncode == 0, migrated.stderr
    loaded = manage("load_demo", env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert "Loaded partnerships: US-STARGATE" in loaded.stdout
    probe = manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model;"
        "from partnerships.models import Partnership;"
        "admin = get_user_model().objects.get(username='admin');"
        "print(Partnership.objects.count(), admin.is_superuser and"
        " admin.check_password('openai-countries-demo'))",
        env=env,
    )
    assert probe.stdout.split()[-2:] == ["10", "True"], probe.stderr


@pytest.mark.slow
def test_the_default_database_is_a_sqlite_file() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    probe = manage(
        "shell",
        "-c",
        "from django.conf import settings; d = settings.DATABASES['default'];"
        "print(d['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER)",
        env=env,
    )
    assert probe.stdout.split()[-2:] == ["django.db.backends.sqlite3", "True"], probe.stderr
