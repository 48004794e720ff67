"""ISO reference data from libraries: countries (django-countries), currencies (Babel), time zones
(IANA zone.tab from tzdata). Used by the initial data migration and ``country_sync_from_iso``."""

from __future__ import annotations

import datetime
from functools import cache
from importlib import resources

from babel.numbers import get_territory_currencies
from django_countries import countries

from openai_countries.money import CURRENCY_CODES

# The currency on this date is what a country uses now; Babel keeps the whole history.
_CURRENCY_AS_OF = datetime.date(2026, 1, 1)


@cache
def _main_time_zones() -> dict[str, str]:
    """Country code -> the zone zone.tab marks as covering most of it (else its first zone)."""
    zones: dict[str, str] = {}
    main: dict[str, str] = {}
    text = (resources.files("tzdata.zoneinfo") / "zone.tab").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        code, zone = parts[0], parts[2]
        zones.setdefault(code, zone)
        if len(parts) > 3 and "most areas" in parts[3]:
            main.setdefault(code, zone)
    return zones | main


def iso_country_rows() -> list[dict[str, str]]:
    """One row per ISO 3166-1 country: code, English name, current currency, main time zone."""
    rows = []
    zones = _main_time_zones()
    for country in countries:
        currencies = [
            c
            for c in get_territory_currencies(country.code, _CURRENCY_AS_OF)
            if c in CURRENCY_CODES
        ]
        rows.append(
            {
                "code": country.code,
                "name": str(country.name),
                "currency": currencies[0] if currencies else "",
                "time_zone": zones.get(country.code, ""),
            }
        )
    return rows
