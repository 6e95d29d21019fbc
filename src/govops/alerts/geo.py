"""Province outlines for CAP areas, from the geoBoundaries-derived boundaries of the 34 units.

A CAP polygon is meant to let a receiver decide whether a point is in the alert's area,
not to redraw the border. We take each province's mainland (the largest part, by area) and
its outer ring only, simplified with the Douglas–Peucker algorithm to a tolerance of
0.01 degrees (about 1 km): a few dozen points instead of hundreds, within a kilometre of
the source border. Islands and holes are left to the province geocode, which every area
carries too and which is exact.

Source: geoBoundaries VNM ADM1 (www.geoboundaries.org, CC BY 4.0), the 63 provinces
dissolved into the 34 units of Resolution 202/2025/QH15; see ``data/``.
"""

from __future__ import annotations

import itertools
import json
import math
from functools import lru_cache
from importlib import resources

from govops.core.text import fold

TOLERANCE_DEGREES = 0.01
BOUNDARIES = "vn_34_provinces_2025.json"

Point = tuple[float, float]  # (longitude, latitude), as GeoJSON writes them


def province_outline(name_vi: str) -> list[Point] | None:
    """The simplified closed outer ring of the province named ``name_vi``, or None when
    the boundaries do not have it (a province before the 2025 merger, say)."""
    return _outlines().get(_key(name_vi))


def cap_polygon(ring: list[Point]) -> str:
    """A ring as CAP writes it: "lat,lon" pairs separated by spaces, first equal to last."""
    return " ".join(f"{lat:.5f},{lon:.5f}" for lon, lat in ring)


@lru_cache(maxsize=1)
def _outlines() -> dict[str, list[Point]]:
    text = resources.files("govops.alerts").joinpath("data", BOUNDARIES).read_text("utf-8")
    outlines = {}
    for feature in json.loads(text)["features"]:
        geometry = feature["geometry"]
        parts = (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        mainland = max((part[0] for part in parts), key=lambda ring: abs(_area(ring)))
        ring = [(float(x), float(y)) for x, y in mainland]
        outlines[_key(feature["properties"]["name_2025"])] = simplify(ring, TOLERANCE_DEGREES)
    return outlines


def _key(name: str) -> str:
    folded = fold(name).replace(".", " ")
    for prefix in ("thanh pho ", "tp ", "tinh "):
        if folded.startswith(prefix):
            folded = folded[len(prefix) :]
    return " ".join(folded.split())


def _area(ring: list[list[float]]) -> float:
    """Twice the signed area of the ring (shoelace formula)."""
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring))


def simplify(ring: list[Point], tolerance: float) -> list[Point]:
    """Douglas–Peucker on a closed ring, kept closed and with at least four points.

    The ring is split at its first point and the point farthest from it, so that each
    half is an open line the algorithm can work on.
    """
    start = ring[0]
    far = max(range(len(ring)), key=lambda i: math.dist(start, ring[i]))
    first = _simplify_line(ring[: far + 1], tolerance)
    second = _simplify_line(ring[far:], tolerance)
    simplified = first[:-1] + second
    if len(simplified) < 4:
        return ring
    return simplified


def _simplify_line(line: list[Point], tolerance: float) -> list[Point]:
    keep = [False] * len(line)
    keep[0] = keep[-1] = True
    stack = [(0, len(line) - 1)]
    while stack:
        first, last = stack.pop()
        index, distance = _farthest(line, first, last)
        if distance > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [point for point, kept in zip(line, keep, strict=True) if kept]


def _farthest(line: list[Point], first: int, last: int) -> tuple[int, float]:
    best, best_distance = first, -1.0
    for i in range(first + 1, last):
        distance = _segment_distance(line[i], line[first], line[last])
        if distance > best_distance:
            best, best_distance = i, distance
    return best, best_distance


def _segment_distance(point: Point, a: Point, b: Point) -> float:
    (px, py), (ax, ay), (bx, by) = point, a, b
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    if length == 0:
        return math.dist(point, a)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
    return math.dist(point, (ax + t * dx, ay + t * dy))
