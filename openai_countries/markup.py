"""Markup written as strings where the template engine is too slow for the size of the page
(a portfolio's coverage matrix, its map, a list's cells): every value goes through ``escape``."""

from __future__ import annotations

import html


def escape(value: object) -> str:
    """What ``django.utils.html.escape`` does, without its lazy-string wrapper (it is called for
    thousands of values a page): the text of ``value`` with ``& < > " '`` escaped."""
    return html.escape(str(value))
