"""The province boundaries the map ships: one shape per province of the day, drawable,
the islands of Hoàng Sa and Trường Sa kept (no browser)."""

from __future__ import annotations

import itertools
import json
from datetime import date
from typing import Any

import pytest

from govops.catalog.areas import areas_on
from govops.core.periods import Period
from govops.web.maps import boundaries_for
from govops.web.shell import STATIC

# Boxes around the archipelagos, generous enough for any honest simplification.
HOANG_SA = (111.0, 113.0, 15.5, 17.5)
TRUONG_SA = (111.5, 117.5, 6.0, 12.0)
MAPS = [("2025-M06", date(2025, 6, 30), 63), ("2025-M07", date(2025, 7, 1), 34)]


def boundaries(period: str) -> dict[str, Any]:
    path = STATIC / boundaries_for(Period.parse(period))
    return json.loads(path.read_text(encoding="utf-8"))


def signed_area(ring: list[list[float]]) -> float:
    pairs = itertools.pairwise(ring)
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairs) / 2


def outlines(feature: dict[str, Any]) -> list[list[list[float]]]:
    return [polygon[0] for polygon in feature["geometry"]["coordinates"]]


def has_islet_in(feature: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    west, east, south, north = box
    return any(
        all(west <= x <= east and south <= y <= north for x, y in ring)
        for ring in outlines(feature)
    )


@pytest.mark.parametrize(("period", "day", "count"), MAPS)
def test_each_province_of_the_day_has_one_shape_named_by_its_code(store, period, day, count):
    features = boundaries(period)["features"]
    with store.session() as session:
        codes = {area.code for area in areas_on(session, day, level="province")}
    assert len(features) == count
    assert {feature["properties"]["code"] for feature in features} == codes


@pytest.mark.parametrize(("period", "day", "count"), MAPS)
def test_every_outline_is_closed_and_wound_clockwise_as_plotly_draws_it(period, day, count):
    for feature in boundaries(period)["features"]:
        for polygon in feature["geometry"]["coordinates"]:
            outline, *holes = polygon
            assert outline[0] == outline[-1] and len(outline) >= 4, feature["id"]
            assert signed_area(outline) < 0, feature["id"]
            assert all(signed_area(hole) > 0 for hole in holes), feature["id"]


@pytest.mark.parametrize(("period", "day", "count"), MAPS)
def test_hoang_sa_stays_with_da_nang_and_truong_sa_with_khanh_hoa(period, day, count):
    features = {f["properties"]["code"]: f for f in boundaries(period)["features"]}
    assert has_islet_in(features["48"], HOANG_SA)
    assert has_islet_in(features["56"], TRUONG_SA)


def test_the_boundaries_credit_geoboundaries_beside_the_files():
    credit = (STATIC / "geo" / "CITATION-AND-USE-geoBoundaries.txt").read_text()
    assert "geoBoundaries" in credit and "CC BY 4.0" in credit
