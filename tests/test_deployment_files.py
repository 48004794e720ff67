"""docker-compose.yml and the Dockerfile cannot be run here (no Docker engine), so the mistakes
`docker compose config` would catch are caught here instead."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
INTERPOLATION = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::?[-?][^}]*)?\}")
SERVICE_KEYS = {
    "build",
    "image",
    "restart",
    "environment",
    "volumes",
    "depends_on",
    "command",
    "ports",
    "healthcheck",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def test_the_stack_has_its_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"postgres", "redis", "migrate", "web", "worker", "beat"}


def test_every_service_is_well_formed(compose: dict[str, Any]) -> None:
    services = compose["services"]
    declared_volumes = set(compose.get("volumes", {}))
    for name, service in services.items():
        assert set(service) <= SERVICE_KEYS, f"{name}: unknown keys {set(service) - SERVICE_KEYS}"
        assert "image" in service or "build" in service, name
        for dependency, spec in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            assert spec["condition"] in {
                "service_started",
                "service_healthy",
                "service_completed_successfully",
            }
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck"
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source.startswith(("/", ".")) or source in declared_volumes, volume
        for port in service.get("ports", []):
            assert re.fullmatch(r"\d+:\d+", port), port
        if "healthcheck" in service:
            assert service["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}


def test_interpolations_are_valid() -> None:
    text = COMPOSE.read_text()
    dollars = text.count("$")
    assert len(INTERPOLATION.findall(text)) == dollars, "a bare $ or malformed ${...}"
    assert "${SECRET_KEY:?" in text, "the stack must refuse to start without a secret"


def test_app_services_run_real_entry_points(compose: dict[str, Any]) -> None:
    services = compose["services"]
    module, attribute = services["web"]["command"][1].split(":")
    assert hasattr(importlib.import_module(module), attribute)
    for name in ("worker", "beat"):
        command = services[name]["command"]
        assert command[:3] == ["celery", "-A", "openai_countries"]
        importlib.import_module("openai_countries.celery")
    assert services["migrate"]["command"][-2:] == ["migrate", "--no-input"]


def test_app_environment_is_read_by_settings(compose: dict[str, Any]) -> None:
    settings_source = (ROOT / "openai_countries" / "settings.py").read_text()
    for name in compose["services"]["web"]["environment"]:
        assert f'"{name}"' in settings_source, f"{name} is set but settings never read it"


def test_dockerfile_installs_weasyprint_libraries_and_runs_gunicorn() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "fonts-noto-core"):
        assert package in dockerfile
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "openai_countries.wsgi:application" in dockerfile
