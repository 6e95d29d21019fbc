"""The 63 provinces before July 2025 as the building blocks of every provincial demo figure.

Generated figures are made for the 63 old provinces only. A province of the 34 is the
sum (or the weighted mean) of the old provinces it took over, and the nation the sum of
all, so series read straight across the merger and provinces always add up to the nation.

The sizes below are relative weights for generated figures, not published statistics:
resident population in thousands, rounded, about 2019, and output per person against
the national average, both approximate magnitudes chosen so that large and rich
provinces look large and rich.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Region(StrEnum):
    NORTHERN_MOUNTAINS = "northern_mountains"
    RED_RIVER_DELTA = "red_river_delta"
    NORTH_CENTRAL = "north_central"
    SOUTH_CENTRAL_COAST = "south_central_coast"
    CENTRAL_HIGHLANDS = "central_highlands"
    SOUTHEAST = "southeast"
    MEKONG_DELTA = "mekong_delta"

    @property
    def is_south(self) -> bool:
        return self in (Region.SOUTHEAST, Region.MEKONG_DELTA)

    @property
    def is_upland(self) -> bool:
        return self in (Region.NORTHERN_MOUNTAINS, Region.CENTRAL_HIGHLANDS)


@dataclass(frozen=True)
class Component:
    """An old province: its code, region, relative population and output per person."""

    code: str
    region: Region
    population: float
    productivity: float
    # Share of output sold abroad, against the national average (industrial zones export).
    trade: float = 1.0

    @property
    def economy(self) -> float:
        return self.population * self.productivity

    @property
    def urban_share(self) -> float:
        return min(0.88, 0.12 + 0.22 * self.productivity)


_N = Region.NORTHERN_MOUNTAINS
_R = Region.RED_RIVER_DELTA
_C = Region.NORTH_CENTRAL
_S = Region.SOUTH_CENTRAL_COAST
_H = Region.CENTRAL_HIGHLANDS
_E = Region.SOUTHEAST
_M = Region.MEKONG_DELTA

COMPONENTS: tuple[Component, ...] = (
    Component("01", _R, 8050, 1.8, 1.0),
    Component("02", _N, 855, 0.45, 0.1),
    Component("04", _N, 530, 0.5, 0.2),
    Component("06", _N, 315, 0.5, 0.1),
    Component("08", _N, 785, 0.6, 0.2),
    Component("10", _N, 730, 0.9, 0.6),
    Component("11", _N, 600, 0.45, 0.1),
    Component("12", _N, 460, 0.55, 0.1),
    Component("14", _N, 1250, 0.55, 0.1),
    Component("15", _N, 820, 0.6, 0.3),
    Component("17", _N, 855, 0.7, 0.5),
    Component("19", _N, 1285, 1.3, 3.5),
    Component("20", _N, 780, 0.65, 0.8),
    Component("22", _R, 1320, 2.0, 0.8),
    Component("24", _N, 1805, 0.95, 2.5),
    Component("25", _N, 1465, 0.75, 1.0),
    Component("26", _R, 1150, 1.6, 1.8),
    Component("27", _R, 1370, 2.4, 4.0),
    Component("30", _R, 1890, 1.1, 1.2),
    Component("31", _R, 2030, 1.9, 1.6),
    Component("33", _R, 1255, 1.2, 1.2),
    Component("34", _R, 1860, 0.8, 0.5),
    Component("35", _R, 855, 1.0, 0.9),
    Component("36", _R, 1780, 0.75, 0.4),
    Component("37", _R, 980, 0.95, 0.5),
    Component("38", _C, 3640, 0.85, 0.5),
    Component("40", _C, 3330, 0.7, 0.3),
    Component("42", _C, 1290, 1.0, 0.6),
    Component("44", _C, 895, 0.8, 0.2),
    Component("45", _C, 635, 0.8, 0.2),
    Component("46", _C, 1130, 0.85, 0.4),
    Component("48", _S, 1135, 1.5, 0.6),
    Component("49", _S, 1495, 1.0, 0.6),
    Component("51", _S, 1230, 1.2, 0.5),
    Component("52", _S, 1485, 0.85, 0.5),
    Component("54", _S, 875, 0.75, 0.2),
    Component("56", _S, 1230, 1.15, 0.4),
    Component("58", _S, 590, 0.8, 0.2),
    Component("60", _S, 1230, 0.9, 0.3),
    Component("62", _H, 540, 0.7, 0.1),
    Component("64", _H, 1515, 0.75, 0.2),
    Component("66", _H, 1870, 0.7, 0.3),
    Component("67", _H, 625, 0.7, 0.2),
    Component("68", _H, 1295, 0.85, 0.3),
    Component("70", _E, 995, 1.0, 0.9),
    Component("72", _E, 1170, 1.1, 1.2),
    Component("74", _E, 2455, 1.8, 2.5),
    Component("75", _E, 3095, 1.4, 2.0),
    Component("77", _E, 1150, 3.0, 0.8),
    Component("79", _E, 8995, 2.3, 1.4),
    Component("80", _M, 1690, 1.3, 1.5),
    Component("82", _M, 1765, 0.9, 0.7),
    Component("83", _M, 1290, 0.75, 0.5),
    Component("84", _M, 1010, 0.8, 0.3),
    Component("86", _M, 1025, 0.8, 0.3),
    Component("87", _M, 1600, 0.8, 0.4),
    Component("89", _M, 1910, 0.75, 0.4),
    Component("91", _M, 1725, 0.9, 0.4),
    Component("92", _M, 1235, 1.1, 0.5),
    Component("93", _M, 735, 0.8, 0.3),
    Component("94", _M, 1200, 0.75, 0.4),
    Component("95", _M, 905, 0.8, 0.3),
    Component("96", _M, 1195, 0.8, 0.5),
)

BY_CODE = {component.code: component for component in COMPONENTS}


def shares(weights: dict[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {code: weight / total for code, weight in weights.items()}


def size_shares(concentration: float = 0.0, trade: float = 0.0) -> dict[str, float]:
    """Each old province's share of a national total.

    ``concentration`` 0 shares by population, 1 by output; larger values concentrate
    further on rich provinces. ``trade`` does the same with the export intensity.
    """
    return shares(
        {c.code: c.population * c.productivity**concentration * c.trade**trade for c in COMPONENTS}
    )
