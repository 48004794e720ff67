"""Template context every page gets: the navigation, limited to what the user may open."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy

ITEMS = (
    (gettext_lazy("Dashboard"), "home", ("/portfolio/", "/countries/")),
    (gettext_lazy("Partnerships"), "partnerships:partnership-list", ("/partnerships/",)),
    (gettext_lazy("Sites"), "infrastructure:site-list", ("/sites/",)),
    (gettext_lazy("Financing"), "financing:commitment-list", ("/commitments/",)),
    (gettext_lazy("Localization"), "localization:requirement-list", ("/requirements/",)),
    (gettext_lazy("Milestones"), "partnerships:milestone-list", ("/milestones/",)),
    (gettext_lazy("Risks"), "partnerships:risk-list", ("/risks/",)),
    (gettext_lazy("Organisations"), "partnerships:organisation-list", ("/organisations/",)),
    (gettext_lazy("Reports"), "report-list", ("/reports/",)),
)


@cache
def _urls() -> tuple[str, ...]:
    # The URLconf does not change while a process runs: every page reverses them once.
    return tuple(reverse(name) for _label, name, _prefixes in ITEMS)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    path = request.path
    return {
        "nav": {
            "items": [
                {
                    "label": str(label),
                    "url": url,
                    "active": any(path.startswith(p) for p in prefixes),
                }
                for (label, _name, prefixes), url in zip(ITEMS, _urls(), strict=True)
            ]
        }
    }
