"""The pages and endpoints measured, for each role: built from a scale's fixtures.

Shared by the orchestrator (wrk URLs) and the Django subprocess (query counts), so both measure
exactly the same URLs with the same credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench import config


@dataclass(frozen=True)
class Page:
    name: str  # e.g. "portfolio", "html /sites/", "api /api/v1/sites/"
    kind: str  # "dashboard", "html_list" or "api_list"
    role: str
    first: str  # the URL at page 1 (dashboards: their only URL)
    deep: str  # the URL at page min(100, last); "" for dashboards
    deep_page: int

    @property
    def api(self) -> bool:
        return self.kind == "api_list"


def headers(fixtures: dict[str, Any], role: str, *, api: bool) -> dict[str, str]:
    if api:
        return {"Authorization": f"Token {fixtures['tokens'][role]}"}
    return {"Cookie": f"sessionid={fixtures['sessions'][role]}"}


def deep_page(fixtures: dict[str, Any], role: str, resource: str) -> int:
    return max(1, min(config.DEEP_PAGE, fixtures["pages"][role][resource]))


def pages(fixtures: dict[str, Any]) -> list[Page]:
    found: list[Page] = []
    for role in config.ROLES:
        found += [
            Page("portfolio dashboard", "dashboard", role, "/portfolio/", "", 1),
            Page("country dashboard", "dashboard", role, fixtures["country_url"], "", 1),
        ]
        for resource in config.HTML_LISTS:
            deep = deep_page(fixtures, role, resource)
            found.append(
                Page(
                    f"html /{resource}/",
                    "html_list",
                    role,
                    f"/{resource}/?page=1",
                    f"/{resource}/?page={deep}",
                    deep,
                )
            )
        for resource in config.API_LISTS:
            deep = deep_page(fixtures, role, resource)
            base = f"/api/v1/{resource}/?page_size={config.PAGE_SIZE}&page="
            found.append(
                Page(f"api /{resource}/", "api_list", role, f"{base}1", f"{base}{deep}", deep)
            )
    return found
