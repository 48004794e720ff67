"""Names for the choice sets the OpenAPI schema shares between components."""

from __future__ import annotations

from typing import Any


def country_choices() -> list[tuple[str, Any]]:
    """ISO 3166-1 codes with their names, exactly as the country fields offer them."""
    from django_countries import countries

    return [(country.code, country.name) for country in countries]
