"""Build the province boundaries the map pages ship, from the openly licensed files.

Reads ``shared/data/geo`` (geoBoundaries' ADM1 of Viet Nam, 63 provinces, and the same
dissolved into the 34 provinces of 1 July 2025), names each shape by govops' area code,
simplifies each outline within 0.01° (about 1 km, under a pixel on a map of the
country), rounds coordinates to 0.001°, and writes
``src/govops/web/static/geo/provinces-63.json`` and ``provinces-34.json``. Every polygon
is kept, the islands of Hoàng Sa (with Đà Nẵng) and Trường Sa (with Khánh Hòa) included.
Côn Đảo, a shape of its own in the source, joins Bà Rịa - Vũng Tàu.

    python3 scripts/build_geo.py [path/to/shared/data/geo]
"""

from __future__ import annotations

import itertools
import json
import math
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from govops.catalog.areas import areas_on
from govops.catalog.reference import load_reference
from govops.core.db import create_db_engine, session_factory, transaction
from govops.core.migrate import upgrade
from govops.core.text import fold

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "geo"
TARGET = ROOT / "src" / "govops" / "web" / "static" / "geo"
MAPS = {
    "63": ("geoBoundaries-VNM-ADM1_simplified.geojson", "shapeName", date(2025, 6, 30)),
    "34": ("vn_34_provinces_2025_derived.geojson", "name_2025", date(2025, 7, 1)),
}
# The source names the province by its former name; Côn Đảo is a shape of its own.
PART_OF = {"con dao": "ba ria - vung tau", "thua thien hue": "hue"}
PLACES = 3
FINE_PLACES = 6
TOLERANCE = 0.01


def key(name: str) -> str:
    folded = fold(name)
    for prefix in ("tp. ", "thanh pho ", "tinh "):
        folded = folded.removeprefix(prefix)
    return PART_OF.get(folded, folded)


def province_codes(day: date) -> dict[str, tuple[str, str]]:
    with tempfile.TemporaryDirectory() as folder:
        engine = create_db_engine(f"sqlite:///{folder}/areas.sqlite")
        upgrade(engine)
        with transaction(session_factory(engine)) as session:
            load_reference(session, include_communes=False)
            found = {
                key(area.name_vi): (area.code, area.name_vi)
                for area in areas_on(session, day, level="province")
            }
        engine.dispose()
    return found


def rounded(coordinates: Any) -> Any:
    if isinstance(coordinates[0][0], int | float):  # a ring
        ring = _ring(simplified(coordinates), PLACES)
        # An islet smaller than the rounding keeps its outline at full precision.
        return ring if len(ring) >= 4 else _ring(coordinates, FINE_PLACES)
    return [rounded(part) for part in coordinates]


def _drawable(parts: list[Any]) -> list[Any]:
    """Polygons with an outline; the source has a sliver of a few metres on the coast of
    Đà Nẵng whose points collapse into one another, which plotly.js cannot draw."""
    return [polygon for polygon in parts if len(polygon[0]) >= 4]


def _ring(points: list[list[float]], places: int) -> list[list[float]]:
    ring = [[round(x, places), round(y, places)] for x, y in points]
    return [p for i, p in enumerate(ring) if i == 0 or p != ring[i - 1]]


def simplified(ring: list[list[float]]) -> list[list[float]]:
    """Douglas-Peucker within TOLERANCE degrees; a small island keeps its few points."""
    if len(ring) <= 8:
        return ring
    keep = {0, len(ring) - 1}
    stack = [(0, len(ring) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, distance = None, TOLERANCE
        for i in range(first + 1, last):
            gap = _distance(ring[i], ring[first], ring[last])
            if gap > distance:
                farthest, distance = i, gap
        if farthest is not None:
            keep.add(farthest)
            stack += [(first, farthest), (farthest, last)]
    points = [ring[i] for i in sorted(keep)]
    return points if len(points) >= 4 else ring


def _distance(point: list[float], start: list[float], end: list[float]) -> float:
    (x, y), (x1, y1), (x2, y2) = point, start, end
    length = math.hypot(x2 - x1, y2 - y1)
    if length == 0:
        return math.hypot(x - x1, y - y1)
    return abs((x2 - x1) * (y1 - y) - (x1 - x) * (y2 - y1)) / length


def wound(polygon: list[Any]) -> list[Any]:
    """The outline clockwise and its holes anticlockwise, as plotly.js (d3-geo) reads a
    polygon on the sphere; wound the other way (as RFC 7946 has it), an outline means
    everything outside it, and the map fills the whole frame."""
    return [
        ring if (_signed_area(ring) < 0) == (index == 0) else ring[::-1]
        for index, ring in enumerate(polygon)
    ]


def _signed_area(ring: list[list[float]]) -> float:
    pairs = itertools.pairwise(ring)
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairs) / 2


def polygons(geometry: dict[str, Any]) -> list[Any]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    return list(geometry["coordinates"])


def build(source: Path, name: str) -> None:
    filename, field, day = MAPS[name]
    codes = province_codes(day)
    shapes: dict[str, list[Any]] = {}
    for feature in json.loads((source / filename).read_text(encoding="utf-8"))["features"]:
        found = codes.get(key(feature["properties"][field]))
        if found is None:
            raise SystemExit(f"{filename}: no province named {feature['properties'][field]}")
        shapes.setdefault(found[0], []).extend(polygons(feature["geometry"]))
    missing = set(code for code, _ in codes.values()) - set(shapes)
    if missing:
        raise SystemExit(f"{filename}: no shape for the provinces {sorted(missing)}")
    names = dict(codes.values())
    features = [
        {
            "type": "Feature",
            "id": code,
            "properties": {"code": code, "name": names[code]},
            "geometry": {
                "type": "MultiPolygon",
                "coordinates": [wound(polygon) for polygon in _drawable(rounded(parts))],
            },
        }
        for code, parts in sorted(shapes.items())
    ]
    TARGET.mkdir(parents=True, exist_ok=True)
    output = TARGET / f"provinces-{name}.json"
    document = {"type": "FeatureCollection", "features": features}
    output.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
    print(f"{output.relative_to(ROOT)}: {len(features)} provinces, {output.stat().st_size} bytes")


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    for map_name in MAPS:
        build(folder, map_name)
