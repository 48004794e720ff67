"""A world map drawn on the server as inline SVG, one shape per country.

Why server-side SVG: the map needs no tile server, no network access at run time and no
JavaScript (the CSP forbids inline script anyway); it is plain markup, so tests can parse it
and check what a page shows; and each highlighted country is a real ``<a>`` with an accessible
name, so the map works with a keyboard and a screen reader.

The shapes come from Natural Earth via the ``world-atlas`` npm package (TopoJSON), served as
static files under ``vendor/world-atlas/``. They are decoded, projected (Equal Earth) and
simplified once per process; a page then only writes the cached path data out.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ImproperlyConfigured
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django_countries import countries as all_countries

from openai_countries.markup import escape

# 50m keeps small states (Singapore, Bahrain, Malta...) that 110m leaves out; simplified as
# below, its path data is about 107 KB for the whole world (at 1 decimal and no
# simplification it would be over 500 KB).
RESOLUTION = "50m"
STATIC_PREFIX = "vendor/world-atlas"
MAP_WIDTH = 1000.0  # px of the viewBox; the height follows from the projection
# Douglas-Peucker tolerance in px: detail finer than this is invisible at the map's size.
TOLERANCE = 0.2
# Points are snapped to a grid of 1/GRID px, so neighbouring points coincide and are dropped
# and each number is short ("12.5" rather than "12.4837").
GRID = 2
# Antarctica would take a fifth of the height, and no partnership is there. It is also the one
# shape that surrounds a pole, which the antimeridian cut below does not handle.
DROPPED = frozenset({"010"})
# A country smaller than this (px, both ways) also gets a marker, or nobody could see or
# click it.
SMALL_PX = 3.0
MARKER_RADIUS = 4.0

Point = tuple[float, float]
GridPoint = tuple[int, int]
T = TypeVar("T")


@dataclass(frozen=True)
class MapCountry:
    """A country to highlight on the map."""

    code: str  # ISO alpha-2, upper case
    label: str  # accessible name, e.g. "Norway: Operational" (already translated by caller)
    css_class: str  # e.g. "stage-operational"
    url: str = ""  # link target; empty = not a link


@dataclass(frozen=True)
class Atlas:
    """The projected shapes of one resolution, ready to be written into SVG."""

    paths: dict[str, str]  # alpha-2 -> path data; absent when every ring collapsed
    centroids: dict[str, Point]  # alpha-2 -> centre of its largest ring, for markers
    small: frozenset[str]  # alpha-2 codes too small to see or click without a marker
    view_box: str
    path_bytes: int


# --- TopoJSON ---------------------------------------------------------------------------------


def decode_arcs(topology: dict[str, Any]) -> list[list[Point]]:
    """Arcs as (longitude, latitude) points: undo the delta encoding and the quantization."""
    transform = topology.get("transform")
    if not transform:
        return [[(float(p[0]), float(p[1])) for p in arc] for arc in topology["arcs"]]
    (scale_x, scale_y), (shift_x, shift_y) = transform["scale"], transform["translate"]
    decoded: list[list[Point]] = []
    for arc in topology["arcs"]:
        points: list[Point] = []
        x = y = 0
        for position in arc:
            x += position[0]
            y += position[1]
            points.append((x * scale_x + shift_x, y * scale_y + shift_y))
        decoded.append(points)
    return decoded


def ring_points(arc_indexes: Sequence[int], arcs: Sequence[Sequence[T]]) -> list[T]:
    """One ring from its arcs; a negative index ``~i`` means arc ``i`` walked backwards.

    Each arc starts where the previous one ended, so that shared point is kept only once.
    """
    points: list[T] = []
    for index in arc_indexes:
        arc = arcs[~index][::-1] if index < 0 else arcs[index]
        points.extend(arc[1:] if points else arc)
    return points


def polygons(geometry: dict[str, Any]) -> list[list[list[int]]]:
    """The polygons (each a list of rings of arc indexes) of a Polygon or MultiPolygon."""
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry["arcs"]]
    if kind == "MultiPolygon":
        return list(geometry["arcs"])
    return []  # points, lines and empty geometries have no area to fill


# --- Equal Earth (Šavrič, Patterson & Jenny 2018) ---------------------------------------------

_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796
_M = math.sqrt(3) / 2


def equal_earth(longitude: float, latitude: float) -> Point:
    """Equal Earth projection of degrees, on a unit sphere; y grows northwards."""
    theta = math.asin(_M * math.sin(math.radians(latitude)))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = math.radians(longitude) * math.cos(theta)
    x /= _M * (_A1 + 3 * _A2 * t2 + t6 * (7 * _A3 + 9 * _A4 * t2))
    y = theta * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2))
    return x, y


_HALF_WIDTH = equal_earth(180.0, 0.0)[0]  # x of longitude 180 on the equator
_SCALE = MAP_WIDTH / (2 * _HALF_WIDTH)


def _to_px(longitude: float, latitude: float) -> Point:
    """Degrees to px of the viewBox, before the vertical shift: origin left, y downwards."""
    x, y = equal_earth(longitude, latitude)
    return (x + _HALF_WIDTH) * _SCALE, -y * _SCALE


# --- Geometry ---------------------------------------------------------------------------------


def split_at_antimeridian(arc: Sequence[Point]) -> list[list[Point]]:
    """The arc in pieces that each stay on one side of longitude ±180.

    world-atlas is made for renderers that cut shapes on the sphere, so a few coasts (east
    Russia, Wrangel Island, one island of Fiji) step from 179.9 to -180 and back; projected
    as they are, that step would draw a line across the whole map. Each piece ends, and the
    next begins, on the antimeridian.
    """
    pieces: list[list[Point]] = [[arc[0]]] if arc else []
    for (lon0, lat0), (lon1, lat1) in pairwise(arc):
        if abs(lon1 - lon0) > 180:
            edge = math.copysign(180.0, lon0)
            unwrapped = lon1 + 2 * edge  # lon1 as seen from lon0's side
            span = unwrapped - lon0
            lat = lat0 + (lat1 - lat0) * ((edge - lon0) / span if span else 0.0)
            pieces[-1].append((edge, lat))
            pieces.append([(-edge, lat)])
        pieces[-1].append((lon1, lat1))
    return pieces


def ring_pieces(arc_indexes: Sequence[int], arcs: Sequence[Sequence[list[T]]]) -> list[list[T]]:
    """`ring_points` for arcs cut into pieces: the ring's own pieces, each one a ring.

    A piece is closed by a straight edge along the antimeridian, which is close enough: the
    coasts that cross it do so over a few degrees of latitude.
    """
    pieces: list[list[T]] = []
    for index in arc_indexes:
        arc = [piece[::-1] for piece in reversed(arcs[~index])] if index < 0 else arcs[index]
        for number, piece in enumerate(arc):
            if number == 0 and pieces:
                pieces[-1].extend(piece[1:])
            else:
                pieces.append(list(piece))
    if len(pieces) > 1:
        # A ring is a loop: its last piece runs on into its first.
        pieces[0] = pieces.pop() + pieces[0][1:]
    return pieces


def simplify(points: Sequence[Point], tolerance: float) -> list[Point]:
    """Douglas-Peucker: the points that matter at `tolerance` px; both ends are kept.

    Simplifying each arc, ends fixed, keeps a border that two countries share identical on
    both sides, so no gaps open between neighbours.
    """
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        dx, dy = bx - ax, by - ay
        length = math.hypot(dx, dy)
        farthest, distance = 0, tolerance
        for i in range(first + 1, last):
            px, py = points[i]
            if length:
                d = abs(dy * (px - ax) - dx * (py - ay)) / length
            else:  # an island's arc starts and ends at the same point
                d = math.hypot(px - ax, py - ay)
            if d > distance:
                farthest, distance = i, d
        if farthest:
            keep[farthest] = True
            stack += [(first, farthest), (farthest, last)]
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def snap(points: Iterable[Point]) -> list[GridPoint]:
    """Points on the grid (in grid units), without consecutive repeats."""
    snapped: list[GridPoint] = []
    for x, y in points:
        point = (round(x * GRID), round(y * GRID))
        if not snapped or snapped[-1] != point:
            snapped.append(point)
    return snapped


def _twice_area(ring: Sequence[tuple[float, float]]) -> float:
    return sum(
        x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, [*ring[1:], ring[0]], strict=True)
    )


def _clean_ring(ring: list[GridPoint]) -> list[GridPoint]:
    """The ring without its closing point, or [] if snapping left it no area."""
    while len(ring) > 1 and ring[-1] == ring[0]:
        ring = ring[:-1]
    if len(set(ring)) < 3 or _twice_area(ring) == 0:
        return []
    return ring


def _centroid(ring: Sequence[Point]) -> Point:
    """Area centroid of a ring, or the mean of its points when it has no area."""
    area = _twice_area(ring)
    if abs(area) < 1e-12:
        return (sum(x for x, _ in ring) / len(ring), sum(y for _, y in ring) / len(ring))
    cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, [*ring[1:], ring[0]], strict=True):
        cross = x0 * y1 - x1 * y0
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return cx / (3 * area), cy / (3 * area)


# --- Path data --------------------------------------------------------------------------------


def _number(units: int) -> str:
    """Grid units as px, as short as SVG allows ("0.5" is written ".5")."""
    text = f"{units / GRID:g}"
    if text.startswith("0."):
        return text[1:]
    if text.startswith("-0."):
        return "-" + text[2:]
    return text


def _numbers(values: Iterable[int]) -> str:
    # A minus sign already separates two numbers, so no space is needed before it.
    parts: list[str] = []
    for value in values:
        text = _number(value)
        if parts and not text.startswith("-"):
            parts.append(" ")
        parts.append(text)
    return "".join(parts)


def _path_data(rings: Iterable[list[GridPoint]], top: int) -> str:
    """Path data in relative steps (shorter than absolute points); y counted from `top`."""
    commands: list[str] = []
    for ring in rings:
        steps: list[int] = []
        for (x0, y0), (x1, y1) in pairwise(ring):
            steps += (x1 - x0, y1 - y0)
        start_x, start_y = ring[0]
        commands.append(f"M{_numbers((start_x, start_y - top))}l{_numbers(steps)}z")
    return "".join(commands)


# --- Loading ----------------------------------------------------------------------------------


def atlas_file(resolution: str = RESOLUTION) -> Path:
    """The TopoJSON file, found where static files are: the apps' and npm's, or collectstatic's."""
    name = f"{STATIC_PREFIX}/countries-{resolution}.json"
    found = finders.find(name)
    if isinstance(found, str) and Path(found).is_file():
        return Path(found)
    try:
        collected: Path | None = Path(staticfiles_storage.path(name))
    except (NotImplementedError, ImproperlyConfigured):  # remote storage, or no STATIC_ROOT
        collected = None
    if collected is not None and collected.is_file():
        return collected
    raise ImproperlyConfigured(
        f"The world map needs the static file {name} from the npm package world-atlas: "
        "run `npm ci` in the project directory (and `manage.py collectstatic` in production)."
    )


def _alpha2(numeric: object) -> str:
    if not numeric:
        return ""  # Natural Earth has no code for e.g. N. Cyprus, Somaliland or Kosovo
    return all_countries.alpha2(str(numeric))


@lru_cache(maxsize=2)
def load_atlas(resolution: str = RESOLUTION) -> Atlas:
    """Decode, project and simplify every country, once per process and resolution."""
    with atlas_file(resolution).open(encoding="utf-8") as handle:
        topology = json.load(handle)
    projected = [
        [[_to_px(lon, lat) for lon, lat in piece] for piece in split_at_antimeridian(arc)]
        for arc in decode_arcs(topology)
    ]
    snapped = [[snap(simplify(piece, TOLERANCE)) for piece in arc] for arc in projected]

    rings_by_code: dict[str, list[list[GridPoint]]] = {}
    largest: dict[str, tuple[float, Point]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        numeric = geometry.get("id")
        code = _alpha2(numeric)
        if not code or numeric in DROPPED:
            continue
        rings = rings_by_code.setdefault(code, [])
        for polygon in polygons(geometry):
            for arc_indexes in polygon:
                rings += filter(None, map(_clean_ring, ring_pieces(arc_indexes, snapped)))
            # Markers go to the middle of the biggest exterior ring (mainland France, not the
            # ocean between it and French Guiana).
            for exterior in ring_pieces(polygon[0], projected):
                area = abs(_twice_area(exterior))
                if code not in largest or area > largest[code][0]:
                    largest[code] = (area, _centroid(exterior))

    all_y = [y for rings in rings_by_code.values() for ring in rings for _, y in ring]
    top, bottom = min(all_y) - GRID, max(all_y) + GRID  # a pixel of margin for the strokes

    paths: dict[str, str] = {}
    small: set[str] = set()
    for code, rings in rings_by_code.items():
        if rings:
            paths[code] = _path_data(rings, top)
        xs = [x for ring in rings for x, _ in ring] or [0]
        ys = [y for ring in rings for _, y in ring] or [0]
        if max(max(xs) - min(xs), max(ys) - min(ys)) < SMALL_PX * GRID:
            small.add(code)
    return Atlas(
        paths=paths,
        centroids={code: (x, y - top / GRID) for code, (_, (x, y)) in largest.items()},
        small=frozenset(small),
        view_box=f"0 0 {MAP_WIDTH:g} {(bottom - top) / GRID:g}",
        path_bytes=sum(len(d) for d in paths.values()),
    )


def country_shapes() -> dict[str, str]:
    """ISO alpha-2 code -> SVG path data, for every country drawn at this resolution."""
    return dict(load_atlas().paths)


def view_box() -> str:
    """The viewBox that the path data of `country_shapes` is drawn in."""
    return load_atlas().view_box


# --- SVG --------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def shapes_document() -> str:
    """Every country's shape in one SVG document, for pages to draw with ``<use>``: ``#land``
    is the whole world, ``#c-NO`` one country. Browsers fetch it once and keep it (its URL
    changes with its content), so a dashboard carries only its countries' colours and links:
    on the portfolio of 200 countries, 40 KB of markup instead of 180 KB of path data."""
    atlas = load_atlas()
    shapes = format_html_join("", '<path id="c-{}" d="{}"></path>', sorted(atlas.paths.items()))
    return str(
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="{}"><g id="land">{}</g></svg>',
            atlas.view_box,
            shapes,
        )
    )


@lru_cache(maxsize=1)
def shapes_digest() -> str:
    """A digest of ``shapes_document``: the name under which it may be cached for good."""
    return hashlib.sha256(shapes_document().encode()).hexdigest()[:16]


def _country_markup(country: MapCountry, atlas: Atlas, shapes_url: str | None) -> str:
    """One highlighted country, every value escaped: built as a string, as a portfolio draws
    two hundred of them (``format_html`` per element cost more than the rest of the map)."""
    code = country.code
    css, label = escape(country.css_class), escape(country.label)
    parts = []
    if code in atlas.paths and shapes_url:
        parts.append(
            f'<use class="country {css}" href="{escape(shapes_url)}#c-{escape(code)}">'
            f"<title>{label}</title></use>"
        )
    elif code in atlas.paths:
        parts.append(
            f'<path class="country {css}" d="{escape(atlas.paths[code])}">'
            f"<title>{label}</title></path>"
        )
    if code in atlas.small and code in atlas.centroids:
        cx, cy = atlas.centroids[code]
        parts.append(
            f'<circle class="country-marker {css}" cx="{cx:.1f}" cy="{cy:.1f}" '
            f'r="{MARKER_RADIUS:g}"><title>{label}</title></circle>'
        )
    inner = "".join(parts)
    if country.url:
        return f'<a href="{escape(country.url)}" aria-label="{label}">{inner}</a>'
    return inner


def world_map_svg(
    countries: Iterable[MapCountry],
    *,
    title: str,
    id_prefix: str = "world-map",
    shapes_url: str | None = None,
) -> SafeString:
    """The world map, with `countries` highlighted and, when they have a url, linked.

    With ``shapes_url`` (where ``shapes_document`` is served) the shapes are drawn from that
    document; without it they are written out in the markup, for a page that must stand alone.
    Unknown codes, and countries with no shape at this resolution (Gibraltar, Tuvalu), are
    left out: pages that show the map also list the countries as text.
    """
    atlas = load_atlas()
    chosen: dict[str, MapCountry] = {}
    for country in countries:
        code = country.code.upper()
        if code not in chosen and (code in atlas.paths or code in atlas.centroids):
            chosen[code] = replace(country, code=code)

    if shapes_url:
        # The whole world underneath; the chosen countries are drawn over it.
        land = format_html('<use class="land" aria-hidden="true" href="{}#land"></use>', shapes_url)
    else:
        land = format_html_join(
            "",
            '<path class="land" aria-hidden="true" d="{}"></path>',
            ((d,) for code, d in atlas.paths.items() if code not in chosen),
        )
    # Markers come last, so that a neighbour's shape cannot cover them.
    ordered = sorted(chosen.values(), key=lambda country: country.code in atlas.small)
    highlighted = SafeString(
        "".join(_country_markup(country, atlas, shapes_url) for country in ordered)
    )
    # role="img" would make everything inside presentational, hiding the links from screen
    # readers while they stay in the tab order; a map with links is a group instead.
    role = "group" if any(country.url for country in chosen.values()) else "img"
    title_id = f"{id_prefix}-title"
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" id="{}" class="world-map" viewBox="{}" '
        'preserveAspectRatio="xMidYMid meet" role="{}" aria-labelledby="{}">'
        '<title id="{}">{}</title>'
        '<g class="map-land">{}</g><g class="map-countries">{}</g></svg>',
        id_prefix,
        atlas.view_box,
        role,
        title_id,
        title_id,
        title,
        land,
        highlighted,
    )
