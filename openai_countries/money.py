"""Currencies: ISO 4217 codes from py-moneyed (behind django-money), never typed by hand."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q
from moneyed import list_all_currencies

# Codes that are ISO 4217 entries but not money a partner can commit (test, no-currency, metals).
_NOT_MONEY = {"XXX", "XTS", "XAU", "XAG", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XSU", "XUA"}

CURRENCY_CODES: tuple[str, ...] = tuple(
    sorted(c.code for c in list_all_currencies() if c.code not in _NOT_MONEY)
)
CURRENCY_CHOICES: list[tuple[str, str]] = [(code, code) for code in CURRENCY_CODES]
REPORTING_CURRENCY = "USD"
ZERO = Decimal("0")


def known_currency(field: str) -> Q:
    """A check-constraint condition: ``field`` holds a known ISO 4217 currency code."""
    return Q(**{f"{field}__in": CURRENCY_CODES})
