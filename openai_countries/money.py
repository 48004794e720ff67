"""Currencies: ISO 4217 codes in use today (pycountry) that django-money can hold (py-moneyed)."""

from __future__ import annotations

from decimal import Decimal

import pycountry
from django.db.models import Q
from moneyed import list_all_currencies

# ISO 4217 entries that are not money a partner can commit (test, no-currency, metals, units).
_NOT_MONEY = {"XXX", "XTS", "XAU", "XAG", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XSU", "XUA"}

CURRENCY_CODES: tuple[str, ...] = tuple(
    sorted(
        ({c.alpha_3 for c in pycountry.currencies} & {c.code for c in list_all_currencies()})
        - _NOT_MONEY
    )
)
CURRENCY_CHOICES: list[tuple[str, str]] = [(code, code) for code in CURRENCY_CODES]
REPORTING_CURRENCY = "USD"
ZERO = Decimal("0")


def known_currency(field: str) -> Q:
    """A check-constraint condition: ``field`` holds a known ISO 4217 currency code."""
    return Q(**{f"{field}__in": CURRENCY_CODES})
