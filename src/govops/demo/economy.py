"""Generated monthly and daily figures of the economy: trade, retail, investment, finance.

A flow's national path is a trend with a growth rate that varies from year to year, the
months' seasons, Tết and the pandemic, and some noise. Each old province takes its share
of the national path, with a slow wander of its own and the 2021 outbreaks of its region;
provinces are made first and the nation is their sum.

Magnitudes are near those of the statistics office's monthly reports but are generated:
none of these monthly values is a published figure.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from random import Random

from govops.core.periods import Frequency, Period
from govops.demo.figures import Context, Figures, Revision, at_release_hour
from govops.demo.paths import allocate, poisson, series_random, units, wander
from govops.demo.provinces import COMPONENTS, size_shares
from govops.demo.seasons import (
    HOLIDAY,
    SHOPPING,
    SLOW_WORK,
    borders_open,
    in_tet_window,
    pandemic_factor,
    regional_factor,
    tet_share,
)

FLAT = (1.0,) * 12
ONE_PERCENT = Revision(relative=0.01)
# Trend growth lost in the pandemic years and regained after, for a sensitivity of 1,
# on top of the months of lockdown themselves.
PANDEMIC_GROWTH_CUT = {2020: 0.05, 2021: 0.07, 2022: -0.04}


@dataclass(frozen=True)
class Flow:
    """How to generate a monthly flow (a total over the month) that adds up over areas."""

    code: str
    level: float  # national value in the first month, before seasons
    growth: float  # trend growth a year
    season: tuple[float, ...] = FLAT
    slow_work: float = 0.0  # share of a month lost when all of Tết's slow weeks fall in it
    shopping: float = 0.0  # rise when all the shopping weeks before Tết fall in the month
    sensitivity: float = 0.5  # to the pandemic; negative when it raised the flow
    noise: float = 0.03
    spread: float = 0.02  # each province's own wander, a month
    concentration: float = 1.0
    trade: float = 0.0
    counts: bool = False
    revision: Revision = ONE_PERCENT
    first: str = "2016-M01"
    growth_sd: float = 0.02


# fmt: off
FLOWS = (
    Flow(
        "RETAIL_SALES", 285_000, 0.085,
        (1.0, 0.99, 0.95, 0.96, 0.98, 0.98, 0.99, 1.0, 0.99, 1.01, 1.03, 1.1),
        slow_work=0.04, shopping=0.12, sensitivity=1.0, noise=0.01, concentration=0.8,
    ),
    Flow(
        "EXPORTS", 14_700, 0.11,
        (1.02, 1.0, 1.0, 0.97, 0.98, 1.0, 1.02, 1.05, 1.05, 1.05, 1.03, 1.07),
        slow_work=0.32, sensitivity=0.35, noise=0.035, concentration=1.0, trade=1.0,
        revision=Revision(relative=0.015),
    ),
    Flow(
        "IMPORTS", 14_300, 0.10,
        (1.02, 1.0, 1.02, 0.98, 1.0, 1.0, 1.02, 1.03, 1.02, 1.03, 1.02, 1.05),
        slow_work=0.27, sensitivity=0.35, noise=0.035, concentration=1.0, trade=1.0,
        revision=Revision(relative=0.015),
    ),
    Flow(
        "FDI_REGISTERED", 2_000, 0.05,
        (0.8, 0.7, 1.0, 0.9, 0.9, 1.1, 0.9, 0.9, 1.0, 0.9, 1.0, 1.9),
        slow_work=0.2, sensitivity=0.5, noise=0.25, spread=0.2, concentration=1.2,
        trade=1.0, revision=Revision(relative=0.03), growth_sd=0.03,
    ),
    Flow(
        "FDI_DISBURSED", 1_300, 0.065,
        (0.85, 0.75, 0.95, 0.95, 1.0, 1.05, 1.0, 1.0, 1.05, 1.05, 1.05, 1.3),
        slow_work=0.3, sensitivity=0.4, noise=0.06, spread=0.05, trade=1.0,
        revision=Revision(relative=0.02),
    ),
    Flow(
        "BUDGET_REVENUE", 92_000, 0.095,
        (1.35, 0.8, 0.95, 1.05, 0.9, 0.85, 0.95, 0.85, 0.85, 1.0, 0.9, 1.6),
        sensitivity=0.4, noise=0.06, spread=0.04, concentration=1.4,
        revision=Revision(relative=0.02),
    ),
    Flow(
        "BUDGET_SPENDING", 105_000, 0.08,
        (0.75, 0.85, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 1.0, 1.05, 1.8),
        sensitivity=0.15, noise=0.05, concentration=0.7, revision=Revision(relative=0.02),
    ),
    Flow(
        "PUBLIC_INVESTMENT_DISBURSED", 21_000, 0.13,
        (0.45, 0.5, 0.75, 0.8, 0.85, 0.95, 1.0, 1.0, 1.05, 1.15, 1.2, 2.3),
        slow_work=0.25, sensitivity=0.3, noise=0.06, spread=0.04, concentration=0.6,
        revision=Revision(relative=0.02),
    ),
    Flow(
        "NEW_ENTERPRISES", 9_000, 0.06,
        (0.95, 0.8, 1.1, 1.1, 1.05, 1.05, 1.0, 1.0, 1.0, 1.0, 1.0, 1.05),
        slow_work=0.45, sensitivity=0.9, noise=0.05, concentration=1.3, counts=True,
        revision=Revision(relative=0.02),
    ),
    # Enterprises register a suspension before Tết, and more of them withdrew in the
    # pandemic: the January peak and a negative sensitivity.
    Flow(
        "ENTERPRISES_EXITED", 4_500, 0.13,
        (3.0, 0.6, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.9, 1.2),
        sensitivity=-0.4, noise=0.06, concentration=1.3, counts=True,
        revision=Revision(relative=0.02),
    ),
    Flow(
        "PASSENGERS_CARRIED", 300_000, 0.07,
        (1.05, 1.05, 0.95, 0.98, 1.0, 1.02, 1.05, 1.03, 0.97, 0.98, 0.97, 1.0),
        shopping=0.1, sensitivity=1.8, noise=0.015, concentration=0.6,
    ),
    Flow(
        "FREIGHT_CARRIED", 105_000, 0.08,
        (1.0, 0.95, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.02, 1.02, 1.05),
        slow_work=0.2, sensitivity=0.6, noise=0.015, concentration=0.7,
    ),
)
# fmt: on


def flow_figures(ctx: Context, flow: Flow) -> Figures:
    """A flow made for each old province; the nation and merged provinces add them up."""
    periods = ctx.periods(flow.code, flow.first)
    decimals = ctx.decimals(flow.code)
    national = _national_flow(flow, periods)
    shares = size_shares(flow.concentration, flow.trade)
    figures = Figures(flow.code, periods, revision=flow.revision)
    for component in COMPONENTS:
        rng = series_random(flow.code, component.code)
        drift = rng.gauss(0, 0.01)
        own = wander(rng, len(periods), sd=flow.spread, persistence=0.9)
        counts = series_random(flow.code, component.code, "counts")
        values = []
        for k, period in enumerate(periods):
            years = k / 12
            expected = (
                national[k]
                * shares[component.code]
                * math.exp(own[k] + drift * years)
                * regional_factor(period, component, flow.sensitivity)
            )
            value = poisson(counts, expected) if flow.counts else units(expected, decimals)
            values.append(value)
        figures.components[(component.code, "")] = values
    return figures


def _national_flow(flow: Flow, periods: list[Period]) -> list[float]:
    noise = wander(
        series_random(flow.code, "nation"), len(periods), sd=flow.noise, persistence=0.3
    )
    rng = series_random(flow.code, "nation", "growth")
    level, growth = flow.level, flow.growth
    path = []
    for k, month in enumerate(periods):
        if k == 0 or month.start.month == 1:
            growth = flow.growth + rng.gauss(0, flow.growth_sd)
            growth -= flow.sensitivity * PANDEMIC_GROWTH_CUT.get(month.start.year, 0.0)
        if k > 0:
            level *= (1 + growth) ** (1 / 12)
        path.append(level * _month_shape(flow, month) * math.exp(noise[k]))
    return path


def _month_shape(flow: Flow, month: Period) -> float:
    season = flow.season[month.start.month - 1]
    tet = 1 - flow.slow_work * tet_share(month, SLOW_WORK)
    shopping = 1 + flow.shopping * tet_share(month, SHOPPING)
    return season * tet * shopping * pandemic_factor(month, flow.sensitivity)


# --- production and prices of industry -----------------------------------------------


def industrial_production(ctx: Context, gdp_growth: Callable[[int], float]) -> Figures:
    """IIP on 2019 = 100: the nation's own index, and each old province's.

    The trend follows GDP growth (industry grows faster than GDP in most years); a
    province's index wanders off the nation's with growth of its own.
    """
    periods = ctx.periods("IIP", "2016-M01")
    rng = series_random("IIP", "nation")
    noise = wander(rng, len(periods), sd=0.015, persistence=0.4)
    season = (1.02, 1.0, 1.0, 0.98, 1.0, 1.0, 1.01, 1.03, 1.03, 1.05, 1.06, 1.08)
    level, path = 1.0, []
    for k, month in enumerate(periods):
        if k > 0:
            level *= (1 + (1.3 * gdp_growth(month.start.year) - 0.8) / 100) ** (1 / 12)
        shape = season[month.start.month - 1] * (1 - 0.22 * tet_share(month, SLOW_WORK))
        path.append(level * shape * pandemic_factor(month, 0.5) * math.exp(noise[k]))
    base = _mean_of_year(path, periods, 2019)
    national = [100 * value / base for value in path]

    figures = Figures("IIP", periods, revision=Revision(relative=0.004))
    figures.national[""] = [units(value, 2) for value in national]
    for component in COMPONENTS:
        own_rng = series_random("IIP", component.code)
        drift = own_rng.gauss(0, 0.025)
        own = wander(own_rng, len(periods), sd=0.02, persistence=0.85)
        figures.components[(component.code, "")] = [
            units(
                national[k]
                * math.exp(own[k] + drift * (k / 12 - 3.5))
                * regional_factor(period, component, 0.5),
                2,
            )
            for k, period in enumerate(periods)
        ]
    return figures


def _mean_of_year(path: list[float], periods: list[Period], year: int) -> float:
    values = [value for value, p in zip(path, periods, strict=True) if p.start.year == year]
    return sum(values) / len(values)


def credit_outstanding(ctx: Context) -> Figures:
    """Credit to the economy, a stock at the end of each month.

    Credit grows most in the last months of a year; a province's share moves slowly.
    """
    periods = ctx.periods("CREDIT_OUTSTANDING", "2016-M01")
    rng = series_random("CREDIT_OUTSTANDING", "nation")
    year_share = (0.02, 0.05, 0.1, 0.07, 0.07, 0.1, 0.06, 0.07, 0.09, 0.08, 0.09, 0.2)
    national: list[float] = []
    start_of_year, growth, done = 4_950_000.0, 0.0, 0.0
    for month in periods:
        if month.start.month == 1 or not national:
            start_of_year = national[-1] if national else start_of_year
            growth, done = 0.14 + rng.gauss(0, 0.018), 0.0
        done += year_share[month.start.month - 1]
        national.append(start_of_year * (1 + growth * done))
    figures = Figures("CREDIT_OUTSTANDING", periods, revision=Revision(relative=0.002))
    shares = size_shares(1.3)
    for component in COMPONENTS:
        own_rng = series_random("CREDIT_OUTSTANDING", component.code)
        drift = own_rng.gauss(0, 0.008)
        own = wander(own_rng, len(periods), sd=0.004, persistence=0.98)
        figures.components[(component.code, "")] = [
            units(national[k] * shares[component.code] * math.exp(own[k] + drift * k / 12), 1)
            for k in range(len(periods))
        ]
    return figures


def international_arrivals(ctx: Context) -> Figures:
    """Visitors counted at the border, for the nation only; near zero while it was shut."""
    periods = ctx.periods("INTL_ARRIVALS", "2016-M01")
    rng = series_random("INTL_ARRIVALS", "nation")
    noise = wander(rng, len(periods), sd=0.04, persistence=0.5)
    season = (1.25, 1.2, 1.1, 0.95, 0.85, 0.85, 0.95, 0.95, 0.85, 1.0, 1.05, 1.1)
    level, values = 800.0, []
    for k, month in enumerate(periods):
        if k > 0:
            level *= (1.18 if month.start.year <= 2019 else 1.035) ** (1 / 12)
        expected = level * season[month.start.month - 1] * borders_open(month)
        values.append(units(expected * math.exp(noise[k]), 1))
    figures = Figures("INTL_ARRIVALS", periods, revision=Revision(relative=0.01))
    figures.national[""] = values
    return figures


# --- daily operational data ----------------------------------------------------------

DAILY_DAYS = 400
DAILY_HISTORY_START = date(2016, 1, 1)


def power_system(ctx: Context) -> tuple[Figures, Figures]:
    """Daily electricity delivered (GWh) and peak load (MW), nation only, last 400 days.

    The series run from 2016 so each day's value is the same whenever the demo is built;
    only the last 400 days are stored.
    """
    last = ctx.horizon.last(Frequency.DAILY)
    days = (last.start - DAILY_HISTORY_START).days + 1
    noise = wander(series_random("POWER_DEMAND", "nation"), days, sd=0.015, persistence=0.7)
    peak_rng = series_random("POWER_PEAK_LOAD", "nation")
    peak_noise = [peak_rng.gauss(0, 0.012) for _ in range(days)]
    demand, peak = [], []
    for k in range(days):
        day = DAILY_HISTORY_START + timedelta(days=k)
        value = _daily_demand(day, k) * math.exp(noise[k])
        demand.append(units(value, 1))
        peak.append(units(value * 1000 / 24 * 1.38 * math.exp(peak_noise[k]), 0))
    keep = min(DAILY_DAYS, days)
    periods = [
        Period(Frequency.DAILY, last.start - timedelta(days=keep - 1 - k)) for k in range(keep)
    ]
    demand_figures = Figures("POWER_DEMAND", periods)
    demand_figures.national[""] = demand[-keep:]
    peak_figures = Figures("POWER_PEAK_LOAD", periods)
    peak_figures.national[""] = peak[-keep:]
    return demand_figures, peak_figures


def _daily_demand(day: date, k: int) -> float:
    trend = 435 * 1.065 ** (k / 365.25)
    summer = 1 + 0.12 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 170) / 365.25)
    weekday = {5: 0.96, 6: 0.9}.get(day.weekday(), 1.0)
    holiday = 0.72 if in_tet_window(day, HOLIDAY) else 1.0
    month = Period.containing(Frequency.MONTHLY, day)
    return trend * summer * weekday * holiday * pandemic_factor(month, 0.3)


# --- strategic works -----------------------------------------------------------------

# Expressways in operation at the end of each year (km); generated, near the reported
# course, with the 3,000 km target of 2025 met in its last month.
# fmt: off
EXPRESSWAY_YEAR_END = {
    2015: 746, 2016: 816, 2017: 894, 2018: 1046, 2019: 1163, 2020: 1239,
    2021: 1406, 2022: 1729, 2023: 1892, 2024: 2021, 2025: 3140,
}
EXPRESSWAY_GROWTH_AFTER = 450
EXPRESSWAY_FIRST = {
    "01": 60, "79": 40, "31": 60, "30": 40, "33": 40, "35": 50, "37": 30, "26": 50,
    "25": 60, "15": 80, "10": 60, "24": 40, "27": 30, "19": 40, "22": 20, "80": 40,
    "82": 30, "75": 40, "48": 30, "49": 40, "51": 60,
}
EXPRESSWAY_CORRIDOR = (
    "38", "40", "42", "44", "45", "46", "48", "49", "51", "52", "54", "56", "58", "60",
    "75", "77", "79", "80", "82", "87", "92", "86", "89", "91", "95", "96", "22", "20",
    "24", "04", "19", "14", "17", "64", "66", "68", "74", "72",
)
# fmt: on


def expressways(ctx: Context) -> Figures:
    """Kilometres open at each month's end: sections open in a few months of each year,
    each in one or two provinces along the corridors."""
    periods = ctx.periods("EXPRESSWAY_KM", "2016-M01")
    rng = series_random("EXPRESSWAY_KM", "nation")
    codes = list(EXPRESSWAY_FIRST)
    first = allocate(EXPRESSWAY_YEAR_END[2015], [EXPRESSWAY_FIRST[c] for c in codes])
    stock = {c.code: 0 for c in COMPONENTS} | dict(zip(codes, first, strict=True))
    openings: dict[str, list[tuple[str, int]]] = {}
    values: dict[str, list[int]] = {c.code: [] for c in COMPONENTS}
    for month in periods:
        if month.start.month == 1:
            openings = _openings_of_year(rng, month.start.year)
        for code, km in openings.get(month.code, []):
            stock[code] += km
        for code, series in values.items():
            series.append(stock[code])
    figures = Figures("EXPRESSWAY_KM", periods)
    figures.components = {(code, ""): series for code, series in values.items()}
    return figures


def _openings_of_year(rng: Random, year: int) -> dict[str, list[tuple[str, int]]]:
    end = EXPRESSWAY_YEAR_END.get(year)
    before = EXPRESSWAY_YEAR_END.get(year - 1)
    added = EXPRESSWAY_GROWTH_AFTER if end is None or before is None else end - before
    months = [*sorted(rng.sample(range(1, 12), 2)), 12]
    sizes = allocate(added, [0.25, 0.25, 0.5])
    openings: dict[str, list[tuple[str, int]]] = {}
    for month, km in zip(months, sizes, strict=True):
        places = rng.sample(EXPRESSWAY_CORRIDOR, 2)
        split = allocate(km, [0.6, 0.4])
        openings[f"{year}-M{month:02d}"] = list(zip(places, split, strict=True))
    return openings


# --- public finance plans ------------------------------------------------------------

DRAFT_DAY = (10, 20)  # the Government sends the draft estimate to the National Assembly


def budget_drafts(ctx: Context) -> Figures:
    """Draft budget revenue estimates, each made in October for the following year."""
    periods = []
    year = 2016
    while _draft_moment(Period(Frequency.YEARLY, date(year, 1, 1))) <= ctx.horizon.as_of:
        periods.append(Period(Frequency.YEARLY, date(year, 1, 1)))
        year += 1
    shares = size_shares(1.4)
    figures = Figures("BUDGET_REVENUE_DRAFT_ESTIMATE", periods, release=_draft_moment)
    for component in COMPONENTS:
        rng = series_random("BUDGET_REVENUE_DRAFT_ESTIMATE", component.code)
        figures.components[(component.code, "")] = [
            units(
                0.92
                * 12
                * 92_000
                * 1.095 ** (p.start.year - 2016)
                * shares[component.code]
                * math.exp(rng.gauss(0, 0.02)),
                1,
            )
            for p in periods
        ]
    return figures


def _draft_moment(year: Period) -> datetime:
    month, day = DRAFT_DAY
    return at_release_hour(date(year.start.year - 1, month, day))
