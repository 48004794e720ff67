"""Settings come from the environment; a malformed value stops start-up naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from openai_countries.env import (
    env_bool,
    env_broker,
    env_choice,
    env_database,
    env_int,
    env_list,
    env_rate,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("raw", "value"), [("true", True), ("1", True), ("Off", False), ("", False)]
)
def test_booleans(monkeypatch: pytest.MonkeyPatch, raw: str, value: bool) -> None:
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", not value) is value


def test_defaults_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE", raising=False)
    assert env_bool("NOPE", True) is True
    assert env_list("NOPE", ["a"]) == ["a"]
    assert env_broker("NOPE") is None
    assert (
        env_database("NOPE", "sqlite:////tmp/x.sqlite3")["ENGINE"] == "django.db.backends.sqlite3"
    )


@pytest.mark.parametrize(
    "raw", ["5000/hour", "10/s", "1000000/second", "3/min", "100/minutes", "200/day"]
)
def test_request_rates_drf_reads(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("API_THROTTLE_USER", raw)
    assert env_rate("API_THROTTLE_USER", "5000/hour") == raw


def test_postgres_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB", "postgres://postgres@127.0.0.1:5432/program")
    config = env_database("DB", "")
    assert (config["ENGINE"], config["NAME"], config["HOST"], config["PORT"]) == (
        "django.db.backends.postgresql",
        "program",
        "127.0.0.1",
        5432,
    )
    assert config["CONN_HEALTH_CHECKS"] is True


@pytest.mark.parametrize(
    ("name", "raw", "reader", "message"),
    [
        ("DEBUG", "maybe", lambda: env_bool("DEBUG", False), "DEBUG='maybe' is not a boolean"),
        ("WORKERS", "many", lambda: env_int("WORKERS", 1), "WORKERS='many' is not a whole number"),
        ("WORKERS", "-1", lambda: env_int("WORKERS", 1), "WORKERS='-1' must be at least 0"),
        (
            "DATABASE_URL",
            "mysql://x/y",
            lambda: env_database("DATABASE_URL", ""),
            "DATABASE_URL='mysql://x/y' is not a supported",
        ),
        (
            "DATABASE_URL",
            "postgres://host:notaport/db",
            lambda: env_database("DATABASE_URL", ""),
            "DATABASE_URL=",
        ),
        (
            "DATABASE_URL",
            "postgres://host:5432/",
            lambda: env_database("DATABASE_URL", ""),
            "names no database",
        ),
        (
            "CELERY_BROKER_URL",
            "amqp://guest@x//",
            lambda: env_broker("CELERY_BROKER_URL"),
            "CELERY_BROKER_URL='amqp://guest@x//'",
        ),
        (
            "API_THROTTLE_USER",
            "5000/fortnight",
            lambda: env_rate("API_THROTTLE_USER", "5000/hour"),
            "API_THROTTLE_USER='5000/fortnight' is not a request rate",
        ),
        (
            "API_THROTTLE_ANON",
            "lots",
            lambda: env_rate("API_THROTTLE_ANON", "60/hour"),
            "API_THROTTLE_ANON='lots' is not a request rate",
        ),
        (
            "DJANGO_ENV",
            "staging",
            lambda: env_choice("DJANGO_ENV", "development", {"development", "production"}),
            "DJANGO_ENV='staging' is not one of",
        ),
    ],
)
def test_malformed_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, raw: str, reader: object, message: str
) -> None:
    monkeypatch.setenv(name, raw)
    with pytest.raises(ImproperlyConfigured, match=message.replace("(", r"\(").replace("?", r"\?")):
        reader()  # type: ignore[operator]


def _start(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "DEBUG"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_start_up_fails_on_a_malformed_variable() -> None:
    result = _start(DEBUG="perhaps")
    assert result.returncode != 0
    assert "DEBUG='perhaps' is not a boolean" in result.stderr


@pytest.mark.slow
def test_production_requires_a_secret_key_and_hosts() -> None:
    result = _start(DJANGO_ENV="production")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    result = _start(DJANGO_ENV="production", SECRET_KEY="x" * 60)
    assert "ALLOWED_HOSTS must be set" in result.stderr


PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "a-long-random-production-secret-" + "x" * 40,
    "ALLOWED_HOSTS": "program.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"DEBUG": "true"}, "DEBUG must be off"),
        ({"DATABASE_URL": ""}, "DATABASE_URL must be set"),
        ({"CELERY_BROKER_URL": ""}, "CELERY_BROKER_URL must be set"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL='LOUD' is not one of"),
        ({"DATABASE_URL": "sqlite://"}, "names no database"),
    ],
)
def test_production_refuses_unsafe_or_missing_settings(
    override: dict[str, str], message: str
) -> None:
    result = _start(**(PRODUCTION | override))
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.slow
def test_deploy_checks_pass_with_production_settings() -> None:
    # A deployment's environment: none of this machine's settings, nor the browser tests'
    # switch (DJANGO_ALLOW_ASYNC_UNSAFE, set while their Chromium runs).
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean | PRODUCTION,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
