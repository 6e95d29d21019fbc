"""National accounts: GDP growth by quarter and year, GDP, GDP per capita, provinces' GRDP.

Published figures anchor them (``vn_published_figures.csv``): annual growth 2010-2025, the
quarters of 2025, GDP of 2025, GDP per capita of 2023 and 2025. Every other value is
generated around them: quarters whose mean is the year's published growth, GDP at
current prices carried back from 2025 by published growth and a generated deflator,
provinces' GRDP sharing the nation's GDP out over the quarters.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from govops.core.periods import Frequency, Period
from govops.demo.figures import Context, Figures
from govops.demo.paths import series_random, units, wander
from govops.demo.provinces import COMPONENTS, size_shares
from govops.demo.seasons import quarter_activity

GDP_ANCHOR_YEAR = 2025
PER_CAPITA_ANCHORS = (2023, 2025)
# VND against USD, depreciation a year; generated, near its usual pace.
DEPRECIATION = 0.018
# Quarters against the year's growth, in points: the first quarter slowest, the last
# fastest. The pandemic years are shaped by the lockdowns of April 2020 and Q3 2021.
QUARTER_SHAPE = (-1.0, -0.2, 0.3, 0.9)
PANDEMIC_QUARTER_SHAPE = {2020: (0.8, -2.5, -0.3, 2.0), 2021: (1.9, 4.0, -8.75, 2.85)}


def gdp_growth_by_year(ctx: Context) -> Callable[[int], float]:
    """The year's GDP growth: the latest published vintage, or a generated one."""

    def growth(year: int) -> float:
        published = ctx.published_value("GDP_GROWTH_A", str(year))
        if published is not None:
            return float(published)
        return 6.8 + series_random("GDP_GROWTH_A", "generated", str(year)).gauss(0, 0.7)

    return growth


def gdp_growth_quarterly(ctx: Context, growth: Callable[[int], float]) -> Figures:
    periods = ctx.periods("GDP_GROWTH_Q", "2016-Q1")
    values = []
    for period in periods:
        year, quarter = period.start.year, (period.start.month - 1) // 3
        rng = series_random("GDP_GROWTH_Q", "nation", str(year))
        noise = [rng.gauss(0, 0.25) for _ in range(4)]
        mean_noise = sum(noise) / 4
        shape = PANDEMIC_QUARTER_SHAPE.get(year, QUARTER_SHAPE)
        values.append(units(growth(year) + shape[quarter] + noise[quarter] - mean_noise, 2))
    figures = Figures("GDP_GROWTH_Q", periods)
    figures.national[""] = values
    return figures


def gdp_growth_annual(ctx: Context, growth: Callable[[int], float]) -> Figures:
    """Generated annual growth for years past the published ones (published ones load
    as they were announced)."""
    periods = [
        period
        for period in ctx.periods("GDP_GROWTH_A", "2010")
        if ctx.published_value("GDP_GROWTH_A", period.code) is None
    ]
    figures = Figures("GDP_GROWTH_A", periods)
    figures.national[""] = [units(growth(p.start.year), 2) for p in periods]
    return figures


def gdp_levels(
    ctx: Context, growth: Callable[[int], float], inflation: Callable[[int], float]
) -> dict[int, float]:
    """GDP at current prices (VND billion) by year, carried back and forward from 2025.

    The GDP deflator is generated near the year's consumer price inflation.
    """
    last_year = ctx.horizon.today.year + 1
    rng = series_random("GDP_CURRENT_A", "deflator")
    deflator = {
        year: 0.8 * inflation(year) + 0.6 + rng.gauss(0, 0.5)
        for year in range(2016, last_year + 1)
    }
    anchor = ctx.published_value("GDP_CURRENT_A", str(GDP_ANCHOR_YEAR))
    if anchor is None:
        raise ValueError(f"the published figures lack GDP_CURRENT_A for {GDP_ANCHOR_YEAR}")
    levels = {GDP_ANCHOR_YEAR: float(anchor)}
    for year in range(GDP_ANCHOR_YEAR, 2015, -1):
        change = (1 + growth(year) / 100) * (1 + deflator[year] / 100)
        levels[year - 1] = levels[year] / change
    for year in range(GDP_ANCHOR_YEAR + 1, last_year + 1):
        change = (1 + growth(year) / 100) * (1 + deflator[year] / 100)
        levels[year] = levels[year - 1] * change
    return levels


def gdp_current(ctx: Context, levels: dict[int, float]) -> Figures:
    periods = ctx.periods("GDP_CURRENT_A", "2016")
    figures = Figures("GDP_CURRENT_A", periods)
    figures.national[""] = [units(levels[p.start.year], 1) for p in periods]
    return figures


def gdp_per_capita(
    ctx: Context, levels: dict[int, float], population: Callable[[int], float]
) -> Figures:
    """GDP per person in USD: generated years follow GDP per person in VND, converted at a
    rate that depreciates steadily, from the nearest published year."""
    periods = ctx.periods("GDP_PER_CAPITA", "2016")
    anchors = {}
    for year in PER_CAPITA_ANCHORS:
        value = ctx.published_value("GDP_PER_CAPITA", str(year))
        if value is None:
            raise ValueError(f"the published figures lack GDP_PER_CAPITA for {year}")
        anchors[year] = float(value)
    values = []
    for period in periods:
        year = period.start.year
        anchor = min(PER_CAPITA_ANCHORS, key=lambda a: (abs(a - year), a))
        per_person = (levels[year] / population(year)) / (levels[anchor] / population(anchor))
        values.append(
            units(anchors[anchor] * per_person / (1 + DEPRECIATION) ** (year - anchor), 0)
        )
    figures = Figures("GDP_PER_CAPITA", periods)
    figures.national[""] = values
    return figures


def manufacturing_share(ctx: Context) -> Figures:
    periods = ctx.periods("MANUFACTURING_SHARE_GDP", "2016")
    rng = series_random("MANUFACTURING_SHARE_GDP", "nation")
    values = []
    for period in periods:
        year = period.start.year
        dip = 0.4 if year == 2021 else 0.0
        values.append(units(15.0 + 1.05 * (year - 2016) - dip + rng.gauss(0, 0.25), 2))
    figures = Figures("MANUFACTURING_SHARE_GDP", periods)
    figures.national[""] = values
    return figures


# --- provinces -----------------------------------------------------------------------

QUARTER_WEIGHTS = (0.225, 0.245, 0.255, 0.275)


def grdp_quarterly(ctx: Context, levels: dict[int, float]) -> Figures:
    """Each old province's share of the year's GDP, spread over the quarters; the
    quarters of 2020 and 2021 carry the lockdowns."""
    periods = ctx.periods("GRDP_CURRENT_Q", "2016-Q1")
    shares = size_shares(1.0)
    figures = Figures("GRDP_CURRENT_Q", periods)
    for component in COMPONENTS:
        rng = series_random("GRDP_CURRENT_Q", component.code)
        drift = rng.gauss(0, 0.012)
        own = wander(rng, len(periods), sd=0.01, persistence=0.8)
        figures.components[(component.code, "")] = [
            units(
                levels[p.start.year]
                * QUARTER_WEIGHTS[(p.start.month - 1) // 3]
                * shares[component.code]
                * math.exp(own[k] + drift * (k / 4 - 4.5))
                * quarter_activity(p, component, 0.35),
                1,
            )
            for k, p in enumerate(periods)
        ]
    return figures


def grdp_annual(ctx: Context, quarterly: Figures) -> Figures:
    """A province's GRDP for the year is the sum of its four quarters."""
    periods = ctx.periods("GRDP_CURRENT_A", "2016")
    figures = Figures("GRDP_CURRENT_A", periods)
    for key, values in quarterly.components.items():
        figures.components[key] = [
            sum(values[index] for index in _quarter_indexes(quarterly, year.start.year))
            for year in periods
        ]
    return figures


def _quarter_indexes(quarterly: Figures, year: int) -> list[int]:
    indexes = []
    for quarter in Period.parse(str(year)).subperiods(Frequency.QUARTERLY):
        index = quarterly.index(quarter)
        if index is None:
            raise ValueError(f"GRDP for {year} needs its quarter {quarter.code}")
        indexes.append(index)
    return indexes
