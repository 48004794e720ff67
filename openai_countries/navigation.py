"""What every page has around its content: the style sheets and scripts, and the header of
signed-in pages (the navigation, the same for everyone: each list is scoped, never hidden;
search; the language switch; signing out).

The assets depend only on the text direction, and are rendered once per process for each.

Rendering it through the template engine costs more than the rest of a warm dashboard, and all
of it but four values depends only on the language and the section the page is in. So it is
rendered once per process for each (language, section), with markers where those four values
go, and each request only puts its own in: its CSRF token, the user's name, its path (where the
language switch returns to) and its search words, each escaped.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
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
# What a request puts into the rendered header; each marker is a slot's name between NULs,
# which neither the template engine's escaping nor any translation produces.
SLOTS = ("csrf_token", "user_name", "next", "q")


@cache
def _urls() -> tuple[str, ...]:
    # The URLconf does not change while a process runs: every page reverses them once.
    return tuple(reverse(name) for _label, name, _prefixes in ITEMS)


def section(path: str) -> int | None:
    """The navigation item a path belongs to, if any."""
    for index, (_label, _name, prefixes) in enumerate(ITEMS):
        if any(path.startswith(prefix) for prefix in prefixes):
            return index
    return None


def _render_parts(language: str, active: int | None) -> tuple[str, ...]:
    """The header in ``language`` with the slots left open: literal text at even positions,
    slot names at odd ones."""
    with translation.override(language):
        items = [
            {"label": str(item[0]), "url": url, "active": index == active}
            for index, (item, url) in enumerate(zip(ITEMS, _urls(), strict=True))
        ]
        html = render_to_string(
            "ui/_header.html", {"items": items, **{slot: f"\0{slot}\0" for slot in SLOTS}}
        )
    return tuple(html.split("\0"))


_cached_parts = lru_cache(maxsize=128)(_render_parts)


def page_header(request: HttpRequest, csrf_token: Any) -> SafeString:
    """The header for this request: the cached parts with the request's values, escaped."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    active = section(request.path)
    # In development templates change under a running server; elsewhere they never do.
    parts = (_render_parts if settings.DEBUG else _cached_parts)(language, active)
    user = getattr(request, "user", None)
    values = {
        "csrf_token": str(csrf_token),
        "user_name": user.get_username() if user is not None else "",
        "next": request.get_full_path(),
        "q": request.GET.get("q", ""),
    }
    return SafeString(
        "".join(
            part if index % 2 == 0 else str(conditional_escape(values[part]))
            for index, part in enumerate(parts)
        )
    )


@lru_cache(maxsize=2)
def _cached_assets(rtl: bool) -> str:
    return render_to_string("ui/_assets.html", {"rtl": rtl})


def page_assets() -> SafeString:
    """The <link> and <script> elements of the page's head (Bootstrap's mirrored build in a
    right-to-left language); ``{% static %}`` resolves each URL once per process."""
    rtl = translation.get_language_bidi()
    return SafeString(
        render_to_string("ui/_assets.html", {"rtl": rtl}) if settings.DEBUG else _cached_assets(rtl)
    )
