"""Template context every page gets: the navigation, limited to what the user may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [
        (_("Dashboard"), reverse("home"), ("/portfolio/", "/countries/")),
        (_("Partnerships"), reverse("partnerships:partnership-list"), ("/partnerships/",)),
        (_("Sites"), reverse("infrastructure:site-list"), ("/sites/",)),
        (_("Financing"), reverse("financing:commitment-list"), ("/commitments/",)),
        (_("Localization"), reverse("localization:requirement-list"), ("/requirements/",)),
        (_("Milestones"), reverse("partnerships:milestone-list"), ("/milestones/",)),
        (_("Risks"), reverse("partnerships:risk-list"), ("/risks/",)),
        (_("Organisations"), reverse("partnerships:organisation-list"), ("/organisations/",)),
        (_("Reports"), reverse("report-list"), ("/reports/",)),
    ]
    path = request.path
    return {
        "nav": {
            "items": [
                {"label": label, "url": url, "active": any(path.startswith(p) for p in prefixes)}
                for label, url, prefixes in items
            ]
        }
    }
