"""Disasters, traffic accidents and fires: counts for each old province, month by month.

Counts are drawn around an expected number (Poisson), so small provinces have months
with none. Disaster deaths follow the storm and flood seasons of each region, with two
large events shaped on real ones: the central floods of October 2020 and Typhoon Yagi in
the northern mountains in September 2024 (the counts are generated, not published).
"""

from __future__ import annotations

from govops.core.periods import Period
from govops.demo.economy import Flow, flow_figures
from govops.demo.figures import Context, Figures, Revision
from govops.demo.paths import poisson, series_random
from govops.demo.provinces import COMPONENTS, Component, Region

TRAFFIC_ACCIDENTS = Flow(
    "TRAFFIC_ACCIDENTS",
    1_700,
    -0.02,
    (1.1, 1.1, 1.0, 0.95, 0.95, 0.95, 0.95, 1.0, 0.95, 0.95, 1.0, 1.05),
    shopping=0.15,
    sensitivity=0.8,
    noise=0.04,
    spread=0.05,
    concentration=0.2,
    counts=True,
    revision=Revision(relative=0.03),
)
FIRES = Flow(
    "FIRES",
    250,
    0.02,
    (1.3, 1.4, 1.3, 1.2, 1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.9, 1.0),
    shopping=0.2,
    sensitivity=0.2,
    noise=0.08,
    spread=0.1,
    concentration=0.6,
    counts=True,
    revision=Revision(relative=0.03),
)


def deaths_per_accident(month: Period) -> float:
    # Minor accidents fell faster than fatal ones, so each accident kills more over time.
    return min(0.58, 0.41 + 0.017 * (month.start.year - 2016))


def traffic(ctx: Context) -> tuple[Figures, Figures]:
    """Accidents, and the deaths in them drawn around a steady share of accidents."""
    accidents = flow_figures(ctx, TRAFFIC_ACCIDENTS)
    deaths = Figures(
        "TRAFFIC_DEATHS",
        ctx.periods("TRAFFIC_DEATHS", TRAFFIC_ACCIDENTS.first),
        revision=Revision(relative=0.03),
    )
    for key, counts in accidents.components.items():
        rng = series_random("TRAFFIC_DEATHS", *key)
        deaths.components[key] = [
            poisson(rng, deaths_per_accident(month) * count)
            for month, count in zip(accidents.periods, counts, strict=True)
        ]
    return accidents, deaths


def fires(ctx: Context) -> Figures:
    return flow_figures(ctx, FIRES)


# Expected deaths and missing in a month, for a province of a million people, by region
# and calendar month: flash floods in the mountains in summer, storms and floods in the
# centre in autumn.
_QUIET = (0.05,) * 12
DISASTER_SEASON = {
    Region.NORTHERN_MOUNTAINS: (0, 0, 0.1, 0.3, 0.6, 1.2, 1.5, 1.5, 1.0, 0.3, 0.1, 0),
    Region.RED_RIVER_DELTA: (0, 0, 0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.2, 0.1, 0.05, 0),
    Region.NORTH_CENTRAL: (0, 0, 0, 0.05, 0.1, 0.1, 0.2, 0.4, 0.9, 1.0, 0.4, 0.1),
    Region.SOUTH_CENTRAL_COAST: (0.05, 0, 0, 0, 0.05, 0.05, 0.1, 0.1, 0.4, 1.0, 1.2, 0.5),
    Region.CENTRAL_HIGHLANDS: (0, 0, 0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.4, 0.1),
    Region.SOUTHEAST: (0, 0, 0, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0),
    Region.MEKONG_DELTA: (0, 0, 0, 0, 0.05, 0.1, 0.15, 0.2, 0.2, 0.2, 0.1, 0),
}
# Extra expected deaths and missing in the months of the two large events.
DISASTER_EVENTS = {
    "2020-M10": {"42": 10, "44": 25, "45": 20, "46": 15, "48": 5, "49": 45, "51": 15, "40": 5},
    "2024-M09": {
        "10": 140, "15": 55, "04": 60, "02": 20, "22": 20, "31": 10, "01": 8, "19": 10,
        "20": 10, "06": 15, "08": 10, "25": 15, "17": 8,
    },
}  # fmt: skip


def disaster_deaths(ctx: Context) -> Figures:
    periods = ctx.periods("DISASTER_DEATHS", "2016-M01")
    figures = Figures("DISASTER_DEATHS", periods, revision=Revision(relative=0.05))
    for component in COMPONENTS:
        rng = series_random("DISASTER_DEATHS", component.code)
        figures.components[(component.code, "")] = [
            poisson(rng, _expected_deaths(component, month)) for month in periods
        ]
    return figures


def _expected_deaths(component: Component, month: Period) -> float:
    season = DISASTER_SEASON.get(component.region, _QUIET)[month.start.month - 1]
    event = DISASTER_EVENTS.get(month.code, {}).get(component.code, 0)
    return season * component.population / 1000 + event
