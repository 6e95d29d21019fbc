"""The consumer price indices, built so their annual averages match published inflation.

The monthly CPI is a chain of month-on-month changes: a season (prices rise before Tết
and in the month of it), noise, and a drift for each year. The drift is solved so that
the year's average index grows on the previous year's by the published average CPI
growth; where the December-on-December change is published as well, a tilt of the
months within the year is solved for too. The index is then set to 2019 = 100 and
rounded to two decimals with the rounding spread so each year's average stays exact,
so the published growth reads back from the stored months to within 0.01 points.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from random import Random

from govops.core.periods import Frequency, Period
from govops.demo.figures import Context, Figures
from govops.demo.paths import series_random, units, wander
from govops.demo.provinces import COMPONENTS
from govops.demo.seasons import SHOPPING, tet_share

FIRST_YEAR = 2016
# A year before the first stored one is generated too, so that the first stored year's
# average also grows by its published rate.
HIDDEN_YEAR = FIRST_YEAR - 1
BASE_YEAR = 2019
# From the 2025 notes of vn_gdp_cpi_annual.csv: CPI December 2025 on December 2024, and
# average core inflation in 2025. Neither is a catalogue indicator; both shape the indices.
CPI_DECEMBER_ON_DECEMBER = {2025: 3.48}
CORE_AVERAGE_GROWTH = {2025: 3.21}
# Usual month-on-month change by calendar month, in percent, before the year's drift.
CPI_SEASON = (0.25, 0.3, -0.15, 0.0, 0.0, 0.05, 0.05, -0.05, 0.15, 0.05, -0.05, 0.05)
TET_PRICE_RISE = 0.45  # percent, when the whole shopping season falls in one month


@dataclass(frozen=True)
class YearTarget:
    average_growth: float
    december_growth: float | None = None


def consumer_prices(ctx: Context) -> Figures:
    """CPI for the nation (its own index) and for each old province (near the nation's)."""
    periods = ctx.periods("CPI", f"{FIRST_YEAR}-M01")
    average = cpi_target(ctx)
    targets = {
        year: YearTarget(average(year), CPI_DECEMBER_ON_DECEMBER.get(year))
        for year in range(HIDDEN_YEAR, max(_years(periods)) + 1)
    }
    national = price_index("CPI", targets, season_scale=1.0)
    figures = Figures("CPI", periods)
    figures.national[""] = national[: len(periods)]
    for component in COMPONENTS:
        rng = series_random("CPI", component.code)
        own = wander(rng, len(periods), sd=0.0025, persistence=0.97)
        figures.components[(component.code, "")] = [
            round(national[k] * math.exp(own[k])) for k in range(len(periods))
        ]
    return figures


def core_prices(ctx: Context, cpi_targets: Callable[[int], float]) -> Figures:
    """Core CPI for the nation: steadier than the CPI, its average following it loosely."""
    periods = ctx.periods("CORE_CPI", f"{FIRST_YEAR}-M01")
    rng = series_random("CORE_CPI", "targets")
    targets = {}
    for year in range(HIDDEN_YEAR, max(_years(periods)) + 1):
        generated = 0.55 * cpi_targets(year) + 0.9 + rng.gauss(0, 0.3)
        targets[year] = YearTarget(CORE_AVERAGE_GROWTH.get(year, generated))
    national = price_index("CORE_CPI", targets, season_scale=0.3)
    figures = Figures("CORE_CPI", periods)
    figures.national[""] = national[: len(periods)]
    return figures


def cpi_average_growth(ctx: Context, cpi: Figures) -> Figures:
    """Average CPI growth for years past the published ones, read off the monthly index."""
    periods = [
        period
        for period in ctx.periods("CPI_AVG_GROWTH", "2010")
        if ctx.published_value("CPI_AVG_GROWTH", period.code) is None
    ]
    sums = _year_sums(cpi.national[""], cpi.periods)
    figures = Figures("CPI_AVG_GROWTH", periods)
    figures.national[""] = [
        units((sums[p.start.year] / sums[p.start.year - 1] - 1) * 100, 2) for p in periods
    ]
    return figures


def cpi_target(ctx: Context) -> Callable[[int], float]:
    """The average CPI growth the index is built to, by year (published, else generated)."""
    return lambda year: _published_or(ctx, "CPI_AVG_GROWTH", year, 3.4, 0.7)


def _published_or(ctx: Context, code: str, year: int, centre: float, spread: float) -> float:
    published = ctx.published_value(code, str(year))
    if published is not None:
        return float(published)
    return centre + series_random(code, "generated", str(year)).gauss(0, spread)


def _years(periods: Sequence[Period]) -> list[int]:
    return sorted({period.start.year for period in periods})


# --- the index ------------------------------------------------------------------------


def price_index(code: str, targets: dict[int, YearTarget], *, season_scale: float) -> list[int]:
    """Monthly index units (hundredths) from January of the first year to December of the
    last, 2019 = 100, each year's average reproducing its target growth."""
    rng = series_random(code, "nation")
    years = list(range(HIDDEN_YEAR, max(targets) + 1))
    levels: list[float] = []
    previous_mean, december = 1.0, 1.0
    for year in years:
        base = _monthly_base(rng, year, season_scale)
        path = _solve_year(december, previous_mean, base, targets[year], first=year == HIDDEN_YEAR)
        levels.extend(path)
        previous_mean, december = sum(path) / 12, path[-1]
    base_mean = sum(levels[(BASE_YEAR - HIDDEN_YEAR) * 12 :][:12]) / 12
    scaled = [100 * level / base_mean for level in levels]
    stored = scaled[12:]
    return _round_keeping_year_sums(stored)


def _monthly_base(rng: Random, year: int, season_scale: float) -> list[float]:
    rates = []
    for month in range(1, 13):
        tet = TET_PRICE_RISE * tet_share(Period(Frequency.MONTHLY, date(year, month, 1)), SHOPPING)
        rates.append((season_scale * (CPI_SEASON[month - 1] + tet) + rng.gauss(0, 0.12)) / 100)
    return rates


def _year_path(december: float, base: list[float], drift: float, tilt: float) -> list[float]:
    level, path = december, []
    for month, rate in enumerate(base):
        level *= 1 + rate + drift + tilt * (month - 5.5) / 11
        path.append(level)
    return path


def _solve_year(
    december: float, previous_mean: float, base: list[float], target: YearTarget, *, first: bool
) -> list[float]:
    growth = 1 + target.average_growth / 100
    if first:
        # No year before it: aim the year's own December-on-December at the average rate.
        drift = _bisect(lambda d: _year_path(december, base, d, 0)[-1] / december - growth)
        return _year_path(december, base, drift, 0)
    if target.december_growth is None:
        drift = _bisect(
            lambda d: sum(_year_path(december, base, d, 0)) / 12 / previous_mean - growth
        )
        return _year_path(december, base, drift, 0)
    december_growth = 1 + target.december_growth / 100

    def drift_for(tilt: float) -> float:
        return _bisect(
            lambda d: _year_path(december, base, d, tilt)[-1] / december - december_growth
        )

    def average_gap(tilt: float) -> float:
        path = _year_path(december, base, drift_for(tilt), tilt)
        return growth - sum(path) / 12 / previous_mean

    tilt = _bisect(average_gap, low=-0.05, high=0.05)
    return _year_path(december, base, drift_for(tilt), tilt)


def _bisect(
    gap: Callable[[float], float], *, low: float = -0.1, high: float = 0.1, steps: int = 60
) -> float:
    """The root of an increasing function between ``low`` and ``high``."""
    for _ in range(steps):
        middle = (low + high) / 2
        if gap(middle) > 0:
            high = middle
        else:
            low = middle
    return (low + high) / 2


def _round_keeping_year_sums(levels: list[float]) -> list[int]:
    """Hundredths of the levels, each year's sum the rounded sum of its exact levels."""
    rounded: list[int] = []
    for start in range(0, len(levels), 12):
        year = levels[start : start + 12]
        exact = [value * 100 for value in year]
        floors = [math.floor(value) for value in exact]
        extra = round(sum(exact)) - sum(floors)
        by_remainder = sorted(range(len(year)), key=lambda k: floors[k] - exact[k])
        for k in by_remainder[:extra]:
            floors[k] += 1
        rounded.extend(floors)
    return rounded


def _year_sums(values: list[int], periods: list[Period]) -> dict[int, int]:
    sums: dict[int, int] = {}
    counts: dict[int, int] = {}
    for value, period in zip(values, periods, strict=True):
        sums[period.start.year] = sums.get(period.start.year, 0) + value
        counts[period.start.year] = counts.get(period.start.year, 0) + 1
    return {year: total for year, total in sums.items() if counts[year] == 12}
