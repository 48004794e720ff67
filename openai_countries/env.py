"""Typed, strict readers for the environment variables that configure the project.

Every reader raises ``ImproperlyConfigured`` naming the variable when a value is malformed, so a
typo in a deployment fails at start-up instead of silently falling back to a default.
"""

from __future__ import annotations

import os
import re
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_DATABASE_SCHEMES = {"postgres", "postgresql", "pgsql", "sqlite"}
_BROKER_SCHEMES = {"redis", "rediss", "memory"}
# A request rate as DRF reads it: a number, then a period DRF knows by its first letter.
_RATE = re.compile(r"[0-9]+/(s|secs?|seconds?|m|mins?|minutes?|h|hours?|d|days?)")


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None else value.strip()


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean; use one of true/false, 1/0, yes/no, on/off."
    )


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name}={value!r} must be at least {minimum}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of: {', '.join(sorted(choices))}.")
    return value


def env_rate(name: str, default: str) -> str:
    value = env_str(name, default)
    if not _RATE.fullmatch(value):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a request rate; write requests per period, e.g. "
            "5000/hour (periods: second, minute, hour, day)."
        )
    return value


def env_database(name: str, default: str) -> dict[str, Any]:
    url = env_str(name, default)
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in _DATABASE_SCHEMES:
        raise ImproperlyConfigured(
            f"{name}={url!r} is not a supported database URL; expected "
            "postgres://user@host:port/name or sqlite:///path/to/file.sqlite3."
        )
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # django-environ raises several types for bad URLs
        raise ImproperlyConfigured(f"{name}={url!r} cannot be parsed: {exc}") from None
    if not config.get("NAME") or config["NAME"] == ":memory:":
        raise ImproperlyConfigured(f"{name}={url!r} names no database (file or name).")
    if config["ENGINE"] == "django.db.backends.postgresql":
        config.setdefault("CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
    return config


def env_broker(name: str) -> str | None:
    url = env_str(name, "")
    if not url:
        return None
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in _BROKER_SCHEMES:
        raise ImproperlyConfigured(
            f"{name}={url!r} is not a supported broker URL; expected redis://host:port/db."
        )
    return url


def redis_next_database(url: str) -> str:
    """``redis://host:6379/0`` -> ``redis://host:6379/1``: the same server, the next database."""
    base, _, database = url.rpartition("/")
    if not database.isdigit() or "://" not in base:
        return url.rstrip("/") + "/1"
    return f"{base}/{int(database) + 1}"
