"""The server-side world map: TopoJSON decoding, projection, and safe, accessible SVG."""

from __future__ import annotations

import re
import shutil
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from openai_countries import worldmap
from openai_countries.worldmap import (
    MapCountry,
    country_shapes,
    decode_arcs,
    equal_earth,
    load_atlas,
    ring_points,
    split_at_antimeridian,
    view_box,
    world_map_svg,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


# --- Decoding and projection ------------------------------------------------------------------


def test_topojson_arcs_are_delta_decoded_and_transformed() -> None:
    topology = {
        "transform": {"scale": [0.5, 2.0], "translate": [-10.0, 100.0]},
        "arcs": [[[0, 0], [2, 0], [0, 1]], [[2, 1], [-2, -1]]],
    }
    assert decode_arcs(topology) == [
        [(-10.0, 100.0), (-9.0, 100.0), (-9.0, 102.0)],
        [(-9.0, 102.0), (-10.0, 100.0)],
    ]


def test_a_ring_walks_negative_arc_indexes_backwards_and_shares_their_ends() -> None:
    arcs = [["a", "b", "c"], ["a", "d", "c"]]
    assert ring_points([0, ~1], arcs) == ["a", "b", "c", "d", "a"]


def test_equal_earth_matches_the_published_extent() -> None:
    assert equal_earth(0.0, 0.0) == (0.0, 0.0)
    assert equal_earth(180.0, 0.0)[0] == pytest.approx(2.7066, abs=1e-4)
    assert equal_earth(0.0, 90.0)[1] == pytest.approx(1.3173627, abs=1e-6)
    x, y = equal_earth(-45.0, -30.0)
    assert equal_earth(45.0, 30.0) == pytest.approx((-x, -y))


def test_a_coast_crossing_the_antimeridian_is_cut_there() -> None:
    pieces = split_at_antimeridian([(179.0, 65.0), (-179.0, 67.0), (-178.0, 68.0)])
    assert pieces == [
        [(179.0, 65.0), (180.0, pytest.approx(66.0))],
        [(-180.0, pytest.approx(66.0)), (-179.0, 67.0), (-178.0, 68.0)],
    ]


def test_the_atlas_has_the_programs_countries_including_small_states() -> None:
    shapes = country_shapes()
    for code in ("NO", "AE", "US", "IN", "KE", "SG", "BH"):
        assert code in shapes, code
        assert re.fullmatch(r"(M[-\d. ]+l[-\d. ]+z)+", shapes[code]), code
    assert "AQ" not in shapes  # Antarctica is left out on purpose
    assert view_box().startswith("0 0 1000 ")


def test_no_shape_runs_across_the_map() -> None:
    # Russia and Fiji cross the antimeridian; uncut, they would span the whole width.
    atlas = load_atlas()
    width = float(atlas.view_box.split()[2])
    for code in ("RU", "FJ", "US"):
        for ring in atlas.paths[code].split("M")[1:]:
            start, steps = ring.rstrip("z").split("l")
            x = float(start.replace("-", " -").split()[0])
            xs = [x]
            numbers = [float(n) for n in steps.replace("-", " -").split()]
            for dx in numbers[::2]:
                x += dx
                xs.append(x)
            assert min(xs) >= 0 and max(xs) <= width, code
            assert max(xs) - min(xs) < width / 2, code


def test_the_shapes_are_decoded_once_per_process() -> None:
    load_atlas()
    started = time.perf_counter()
    assert load_atlas() is load_atlas()
    assert time.perf_counter() - started < 0.01
    shapes = country_shapes()
    shapes.clear()  # callers get a copy: the cache cannot be damaged
    assert country_shapes()


# --- Finding the data -------------------------------------------------------------------------


def test_the_collected_static_file_is_used_when_the_finders_have_none(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = worldmap.atlas_file()
    collected = tmp_path / "vendor" / "world-atlas" / source.name
    collected.parent.mkdir(parents=True)
    shutil.copyfile(source, collected)
    settings.STATIC_ROOT = str(tmp_path)
    monkeypatch.setattr(worldmap.finders, "find", lambda *args, **kwargs: None)
    assert worldmap.atlas_file() == collected


def test_a_missing_atlas_says_to_run_npm_ci(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.STATIC_ROOT = str(tmp_path)
    monkeypatch.setattr(worldmap.finders, "find", lambda *args, **kwargs: None)
    with pytest.raises(ImproperlyConfigured, match="npm ci"):
        worldmap.atlas_file()


# --- SVG --------------------------------------------------------------------------------------


def test_each_linked_country_is_one_link_with_its_escaped_url() -> None:
    url = '/countries/no/?stage="x"&tab=sites'
    svg = world_map_svg(
        [
            MapCountry("NO", "Norway: Operational", "stage-operational", url),
            MapCountry("KE", "Kenya: Building", "stage-building", "/countries/ke/"),
            MapCountry("IN", "India: Planned", "stage-planned"),
        ],
        title="Partnerships by stage",
    )
    assert "/countries/no/?stage=&quot;x&quot;&amp;tab=sites" in svg
    root = parse(svg)
    links = root.findall(f".//{SVG}a")
    assert [(a.get("href"), a.get("aria-label")) for a in links] == [
        (url, "Norway: Operational"),
        ("/countries/ke/", "Kenya: Building"),
    ]
    india = [p for p in root.iter(f"{SVG}path") if "stage-planned" in (p.get("class") or "")]
    assert len(india) == 1
    assert india[0].get("class") == "country stage-planned"
    assert india[0].findtext(f"{SVG}title") == "India: Planned"


def test_the_map_is_one_accessible_svg_without_styles_or_scripts() -> None:
    svg = world_map_svg(
        [MapCountry("AE", "UAE", "stage-operational", "/countries/ae/")],
        title="Partnerships",
        id_prefix="home-map",
    )
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("id") == "home-map"
    assert root.get("class") == "world-map"
    assert root.get("viewBox") == view_box()
    assert root.get("preserveAspectRatio") == "xMidYMid meet"
    # A map with links is a group: role="img" would hide the links from screen readers.
    assert root.get("role") == "group"
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.get("id") == root.get("aria-labelledby") == "home-map-title"
    assert title.text == "Partnerships"
    for element in root.iter():
        assert element.tag not in {f"{SVG}script", f"{SVG}style", f"{SVG}foreignObject"}
        assert "style" not in element.attrib
        assert not any(name.startswith("on") for name in element.attrib)
    land = root.find(f"{SVG}g[@class='map-land']")
    assert land is not None
    assert all(p.get("class") == "land" and p.get("aria-hidden") == "true" for p in land)
    assert len(land) == len(country_shapes()) - 1  # every country but the UAE


def test_a_map_without_links_is_an_image() -> None:
    root = parse(world_map_svg([MapCountry("KE", "Kenya", "stage-planned")], title="Map"))
    assert root.get("role") == "img"
    assert root.find(f".//{SVG}a") is None


def test_everything_from_the_caller_is_escaped() -> None:
    attack = "<script>alert(1)</script>"
    svg = world_map_svg(
        [
            MapCountry(
                "NO", attack, 'x" onmouseover="alert(1)', 'javascript:"><script>alert(1)</script>'
            )
        ],
        title=attack,
        id_prefix='m"><script>',
    )
    assert "<script" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert ' onmouseover="' not in svg
    root = parse(svg)  # still well-formed: nothing broke out of an attribute
    link = root.find(f".//{SVG}a")
    assert link is not None
    assert link.get("aria-label") == attack
    path = link.find(f"{SVG}path")
    assert path is not None
    assert path.get("class") == 'country x" onmouseover="alert(1)'
    assert path.findtext(f"{SVG}title") == attack


def test_unknown_and_shapeless_codes_are_skipped() -> None:
    svg = world_map_svg(
        [
            MapCountry("ZZ", "Nowhere", "stage-planned", "/countries/zz/"),
            MapCountry("GI", "Gibraltar", "stage-planned", "/countries/gi/"),  # not at 50m
            MapCountry("", "Blank", "stage-planned", "/countries/blank/"),
            MapCountry("no", "Norway", "stage-operational", "/countries/no/"),
            MapCountry("NO", "Norway again", "stage-operational", "/countries/no/2/"),
        ],
        title="Map",
    )
    links = parse(svg).findall(f".//{SVG}a")
    assert [a.get("aria-label") for a in links] == ["Norway"]


def test_a_tiny_country_also_gets_a_marker_drawn_last() -> None:
    svg = world_map_svg(
        [
            MapCountry("SG", "Singapore", "stage-building", "/countries/sg/"),
            MapCountry("MY", "Malaysia", "stage-planned", "/countries/my/"),
            MapCountry("MC", "Monaco", "stage-planned", "/countries/mc/"),
        ],
        title="Map",
    )
    links = parse(svg).findall(f".//{SVG}a")
    assert [a.get("aria-label") for a in links] == ["Malaysia", "Singapore", "Monaco"]
    markers = {a.get("aria-label"): a.find(f"{SVG}circle") for a in links}
    assert markers["Malaysia"] is None
    for name in ("Singapore", "Monaco"):
        marker = markers[name]
        assert marker is not None, name
        assert "country-marker" in (marker.get("class") or "")
        assert marker.findtext(f"{SVG}title") == name


def test_a_whole_program_map_stays_small() -> None:
    everyone = [
        MapCountry(code, f"{code}: Operational", "stage-operational", f"/countries/{code}/")
        for code in country_shapes()
    ]
    svg = world_map_svg(everyone, title="Every country")
    assert len(svg.encode()) < 250_000
    assert len(parse(svg).findall(f".//{SVG}a")) == len(everyone)
    assert len(world_map_svg([], title="Empty").encode()) < 250_000


# --- Shapes drawn from the shared document -----------------------------------------------------


def test_a_map_can_draw_its_shapes_from_the_shapes_document() -> None:
    url = f"/map/world-{worldmap.shapes_digest()}.svg"
    svg = world_map_svg(
        [
            MapCountry("NO", "Norway: Operational", "stage-operational", "/countries/NO/"),
            MapCountry("SG", "Singapore: Signed", "stage-signed"),
        ],
        title="Partnerships",
        shapes_url=url,
    )
    root = parse(svg)
    assert not list(root.iter(f"{SVG}path")), "no path data in the page"
    uses = root.findall(f".//{SVG}use")
    assert [(u.get("class"), u.get("href")) for u in uses] == [
        ("land", f"{url}#land"),
        ("country stage-operational", f"{url}#c-NO"),
        ("country stage-signed", f"{url}#c-SG"),
    ]
    assert uses[1].findtext(f"{SVG}title") == "Norway: Operational"
    assert root.find(f".//{SVG}circle") is not None  # Singapore still gets its marker
    document = parse(worldmap.shapes_document())
    ids = {path.get("id") for path in document.iter(f"{SVG}path")}
    assert {"c-NO", "c-SG"} <= ids
    assert document.find(f"{SVG}g").get("id") == "land"  # type: ignore[union-attr]
    assert document.get("viewBox") == view_box()


def test_the_shapes_document_is_public_and_kept_for_good(client: Any, db: None) -> None:
    url = f"/map/world-{worldmap.shapes_digest()}.svg"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.content.decode() == worldmap.shapes_document()
    assert client.get("/map/world-0000000000000000.svg").status_code == 404


def test_signed_in_pages_stay_no_store_and_the_shapes_stay_public(
    client: Any, manager: Any
) -> None:
    client.force_login(manager)
    page = client.get("/portfolio/")
    assert "no-store" in page["Cache-Control"]
    shapes_url = f"/map/world-{worldmap.shapes_digest()}.svg"
    assert f'href="{shapes_url}#land"' in page.content.decode()
    assert client.get(shapes_url)["Cache-Control"] == "public, max-age=31536000, immutable"
