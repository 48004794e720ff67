"""Template helpers of the pages: locale-aware formatting (Babel) and small display pieces.

Numbers, money and dates are formatted for the active language with Babel's CLDR data, so a
French page shows ``1 250 000,00 $US`` and an Arabic one uses Arabic separators, while the
figures themselves stay exact (``Decimal``, never float).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from django import template
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language, to_locale

from openai_countries.links import url
from openai_countries.markup import escape

register = template.Library()


def _locale() -> str:
    return to_locale(get_language() or "en")


@register.filter
def number(value: Any, digits: int = 0) -> str:
    """A decimal figure with the locale's grouping, ``digits`` places at most."""
    return number_in(value, digits, _locale())


@register.filter
def money(value: Any, currency: str = "") -> str:
    """A ``Money`` (or an amount plus ``currency``) in the locale's currency format."""
    if value in (None, ""):
        return "—"
    amount = getattr(value, "amount", value)
    code = str(getattr(value, "currency", "") or currency or "USD")
    return _currency(Decimal(str(amount)), code, _locale())


# Babel's formatting is pure but costs tens of microseconds a figure; a list page shows the
# same amounts and dates again and again, so the results are remembered (bounded).
@lru_cache(maxsize=8192)
def _currency(amount: Decimal, code: str, locale: str) -> str:
    return format_currency(amount, code, locale=locale)


@lru_cache(maxsize=8192)
def _decimal(value: Decimal, pattern: str, locale: str) -> str:
    return format_decimal(value, format=pattern, locale=locale)


@lru_cache(maxsize=8192)
def _date(value: date, style: str, locale: str) -> str:
    return format_date(value, format=style, locale=locale)


@register.filter
def usd(value: Any) -> str:
    """A US dollar figure without cents, for totals and charts."""
    if value in (None, ""):
        return "—"
    return _usd(Decimal(str(value)), _locale())


@lru_cache(maxsize=8192)
def _usd(amount: Decimal, locale: str) -> str:
    return format_currency(amount, "USD", format="¤#,##0", locale=locale, currency_digits=False)


@register.filter
def percent(value: Any) -> str:
    """A share given as a fraction (0.25 -> 25 %)."""
    if value in (None, ""):
        return "—"
    return format_percent(Decimal(str(value)), locale=_locale())


@register.filter
def day(value: date | datetime | None, style: str = "medium") -> str:
    return _day(value, style, _locale())


def _day(value: date | datetime | None, style: str, locale: str) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return _date(value, style, locale)


@register.filter
def moment(value: datetime | None) -> str:
    if value is None:
        return "—"
    return format_datetime(timezone.localtime(value), format="short", locale=_locale())


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None


@lru_cache(maxsize=1024)
def _choice_labels(model: Any, name: str, language: str) -> dict[Any, str] | None:
    """A field's choice labels in ``language``, or None when it has no choices: Django's
    ``get_FOO_display`` rebuilds (and translates) the whole choice list on every call."""
    from django.core.exceptions import FieldDoesNotExist

    meta = getattr(model, "_meta", None)
    try:
        field: Any = meta.get_field(name) if meta is not None else None
    except FieldDoesNotExist:
        return None
    if not getattr(field, "choices", None):
        return None
    return {value: str(label) for value, label in field.flatchoices}


def _steps(model: Any, path: str, language: str) -> tuple[tuple[str, dict[Any, str] | None], ...]:
    """How to walk ``path`` ("partnership.code") from a row of ``model``: each attribute, with
    its choice labels in ``language`` where it has choices (the label is shown, not the code)."""
    from django.core.exceptions import FieldDoesNotExist

    steps = []
    current: Any = model
    for part in path.split("."):
        steps.append((part, _choice_labels(current, part, language) if current else None))
        try:
            field = current._meta.get_field(part) if current else None
        except FieldDoesNotExist:
            field = None
        current = field.related_model if field is not None and field.is_relation else None
    return tuple(steps)


def _walk(row: Any, steps: tuple[tuple[str, dict[Any, str] | None], ...]) -> Any:
    value = row
    for part, labels in steps:
        if value is None:
            return None
        value = getattr(value, part, None)
        if labels is not None:
            value = labels.get(value, value)
        elif callable(value) and not hasattr(value, "all"):
            value = value()
    return value


def _cell(row: Any, column: Any, steps: Any, locale: str) -> str:
    """One list cell, formatted by the column's kind and escaped (it may hold user text)."""
    value = _walk(row, steps)
    kind = column.kind
    if kind == "money":
        if value in (None, ""):
            return "—"
        code = str(getattr(value, "currency", "") or "USD")
        return escape(_currency(Decimal(str(getattr(value, "amount", value))), code, locale))
    if kind == "day":
        return escape(_day(value, "medium", locale))
    if kind == "number":
        if value in (None, ""):
            return "—"
        return escape(_decimal(Decimal(str(value)), "#,##0.#", locale))
    if kind == "stage":
        swatch = escape(getattr(row, "stage", ""))
        return (
            f'<span class="legend-swatch stage-{swatch}" aria-hidden="true"></span>{escape(value)}'
        )
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    elif hasattr(value, "all"):
        value = ", ".join(str(v) for v in value.all())
    text = "—" if value in (None, "") else str(value)
    if kind == "link" and hasattr(row, "get_absolute_url"):
        return f'<a href="{escape(row.get_absolute_url())}">{escape(text)}</a>'
    return escape(text)


@register.simple_tag
def table_rows(rows: Any, columns: Any) -> str:
    """The <tr>s of a list's page, built in one pass: 50 rows of 8 cells through the template
    engine cost more than the rest of the page. How to reach and show each column is worked
    out once per table, not per cell; every cell is escaped by ``_cell``."""
    rows = list(rows)
    if not rows:
        return ""
    language = get_language() or ""
    locale = to_locale(language or "en")
    model = type(rows[0])
    shown = [c["column"] if isinstance(c, dict) else c for c in columns]
    plan = [(column, _steps(model, column.path, language)) for column in shown]
    return SafeString(
        "".join(
            "<tr>"
            + "".join(f"<td>{_cell(row, column, steps, locale)}</td>" for column, steps in plan)
            + "</tr>"
            for row in rows
        )
    )


@register.filter
def query(params: dict[str, Any]) -> str:
    """A dict of list filters as a query string (values are escaped by urlencode)."""
    from django.utils.http import urlencode

    return urlencode(params)


@register.simple_tag
def world_map(countries: list[dict[str, Any]], title: str) -> str:
    """The world map of the dashboards: partner countries coloured by their stage."""
    from django.utils.translation import gettext as _

    from openai_countries.worldmap import MapCountry, shapes_digest, world_map_svg

    label = _("%(country)s: %(stage)s")
    return world_map_svg(
        [
            MapCountry(
                code=entry["code"],
                label=label % {"country": entry["name"], "stage": entry["label"]},
                css_class=f"stage-{entry['stage']}",
                url=url("country-dashboard", entry["code"]) if entry["openable"] else "",
            )
            for entry in countries
        ],
        title=title,
        shapes_url=url("map-shapes", shapes_digest()),
    )


@register.simple_tag
def map_rows(countries: list[dict[str, Any]]) -> str:
    """The <tr>s of the map's table (country, most advanced stage, partnerships), escaped."""
    locale = _locale()
    rows = []
    for entry in countries:
        name = escape(entry["name"])
        if entry["openable"]:
            name = f'<a href="{escape(url("country-dashboard", entry["code"]))}">{name}</a>'
        count = escape(_decimal(Decimal(entry["partnerships"]), "#,##0", locale))
        rows.append(f"<tr><td>{name}</td><td>{escape(entry['label'])}</td><td>{count}</td></tr>")
    return SafeString("".join(rows))


@register.simple_tag
def coverage_rows(coverage: dict[str, Any]) -> str:
    """The <tr>s of the coverage matrix: per country and service domain, requirements live out
    of all, linked to that list; every value escaped. Twelve hundred cells on a portfolio of
    two hundred countries: built in one pass, the list's address and each domain's filter once."""
    from urllib.parse import quote_plus

    locale = _locale()
    base = escape(url("localization:requirement-list"))
    domains = [
        escape(f"&service_domain={quote_plus(str(d['value']))}") for d in coverage["domains"]
    ]
    figures: dict[int, str] = {}

    def figure(n: int) -> str:
        if n not in figures:
            figures[n] = escape(_decimal(Decimal(n), "#,##0", locale))
        return figures[n]

    rows = []
    for row in coverage["rows"]:
        country = f"{base}?country={escape(quote_plus(str(row['code'])))}"
        cells = "".join(
            f'<td><a href="{country}{domain}">{figure(cell["live"])} / {figure(cell["total"])}'
            "</a></td>"
            if cell["total"]
            else '<td><span class="cell-none">—</span></td>'
            for cell, domain in zip(row["cells"], domains, strict=True)
        )
        name = escape(row["name"])
        rows.append(f'<tr><th scope="row" class="text-start">{name}</th>{cells}</tr>')
    return SafeString("".join(rows))


@register.simple_tag(takes_context=True)
def page_header(context: Any) -> str:
    """The signed-in header (openai_countries.navigation): rendered once per language and
    section, with this request's CSRF token, user name, path and search words put in."""
    from openai_countries.navigation import page_header as render_header

    return render_header(context["request"], context.get("csrf_token", ""))


@register.simple_tag
def page_assets() -> str:
    """The page's style sheets and scripts (openai_countries.navigation)."""
    from openai_countries.navigation import page_assets as render_assets

    return render_assets()


@register.filter
def get_share(split: Any, side: str) -> Any:
    return split.share(side)


@register.simple_tag
def capacity_bars(capacity: dict[str, Any]) -> str:
    """The chart's bars (planned and energized, each titled with its quarter's MW) and labels
    for every quarter of ``dashboards.capacity``, escaped: two rectangles a quarter, written in
    one pass rather than through the template engine's loop."""
    locale = _locale()
    width = int(capacity["bar_width"])
    parts = []
    for bar in capacity["bars"]:
        quarter = escape(bar["quarter"])
        x = int(bar["x"])
        planned = escape(number_in(bar["planned_mw"], 0, locale))
        energized = escape(number_in(bar["energized_mw"], 0, locale))
        parts.append(
            f'<rect class="planned" x="{x}" y="{int(bar["planned_y"])}" width="{width}" '
            f'height="{int(bar["planned_h"])}"><title>{quarter}: {planned} MW</title></rect>'
            f'<rect class="energized" x="{x + width}" y="{int(bar["energized_y"])}" '
            f'width="{width}" height="{int(bar["energized_h"])}"><title>{quarter}: {energized} MW'
            "</title></rect>"
        )
        if bar["label_every"]:
            parts.append(f'<text x="{x}" y="188">{quarter}</text>')
    return SafeString("".join(parts))


@register.simple_tag
def capacity_rows(capacity: dict[str, Any]) -> str:
    """The <tr>s of the chart's table: quarter, planned and energized MW, escaped."""
    locale = _locale()
    return SafeString(
        "".join(
            f"<tr><td>{escape(bar['quarter'])}</td>"
            f'<td class="text-end">{escape(number_in(bar["planned_mw"], 1, locale))}</td>'
            f'<td class="text-end">{escape(number_in(bar["energized_mw"], 1, locale))}</td></tr>'
            for bar in capacity["bars"]
        )
    )


@register.simple_tag
def rates_used(rates: Any) -> str:
    """The exchange rates a figure used, escaped: 'AED 0.272300 (Jan 1, 2025, source); ...'. A
    portfolio's figures use a rate or two of every currency of two hundred countries."""
    locale = _locale()
    return SafeString(
        "; ".join(
            f"{escape(rate.currency)} {escape(number_in(rate.rate_to_usd, 6, locale))} "
            f"({escape(_day(rate.on, 'medium', locale))}, {escape(rate.source)})"
            for rate in rates
        )
    )


@register.filter
def currencies(rates: Any) -> int:
    """How many currencies ``rates`` are rates of."""
    return len({str(rate.currency) for rate in rates})


def number_in(value: Any, digits: int, locale: str) -> str:
    """``number`` for a known locale (a tag formatting many figures looks it up once)."""
    if value in (None, ""):
        return "—"
    pattern = "#,##0" + ("." + "#" * int(digits) if int(digits) else "")
    return _decimal(Decimal(str(value)), pattern, locale)
