"""Population, labour, poverty, health insurance and communes: generated for each old
province, by sex where the indicator has it, so that men and women add up to the total.

Rates are generated for men and women; the total's rate is their mean weighted by the
labour force (or the employed), as it would be compiled.
"""

from __future__ import annotations

import math
from datetime import date

from govops.core.periods import Period
from govops.demo.figures import ComponentKey, Context, Figures, release_moment
from govops.demo.paths import allocate, logistic, series_random, units, wander
from govops.demo.provinces import COMPONENTS, Component, Region
from govops.demo.seasons import quarter_activity

SEXES = ("_T", "M", "F")
REFERENCE_YEAR = 2019  # the year the relative populations describe
# Population moves towards the industrial and city provinces (a year, against the
# nation's natural growth); generated, near the census picture.
MIGRATION = {
    "74": 0.025, "79": 0.012, "27": 0.012, "75": 0.01, "48": 0.01, "01": 0.008,
    "80": 0.006, "26": 0.006, "19": 0.004,
}  # fmt: skip


def natural_growth(year: int) -> float:
    return 0.0095 - 0.0003 * (year - 2016)


def migration(component: Component) -> float:
    if component.code in MIGRATION:
        return MIGRATION[component.code]
    if component.region is Region.MEKONG_DELTA:
        return -0.008
    if component.region.is_upland:
        return 0.003
    if component.region in (Region.RED_RIVER_DELTA, Region.NORTH_CENTRAL):
        return -0.004
    return 0.0


def population(component: Component, year: int) -> float:
    """Average population of an old province in a year, thousands."""
    growth = 1.0
    for step in range(min(year, REFERENCE_YEAR), max(year, REFERENCE_YEAR)):
        growth *= 1 + natural_growth(step)
    if year < REFERENCE_YEAR:
        growth = 1 / growth
    return component.population * growth * math.exp(migration(component) * (year - REFERENCE_YEAR))


def national_population(year: int) -> float:
    return sum(population(component, year) for component in COMPONENTS)


def male_share(component: Component) -> float:
    # Industrial zones employ many young women; upland provinces have slightly more men.
    return (
        0.497
        - (0.012 if component.trade >= 2 else 0.0)
        + (0.004 if component.region.is_upland else 0.0)
    )


def split_by_sex(total: int, share_of_men: float) -> dict[str, int]:
    men = round(total * share_of_men)
    return {"_T": total, "M": men, "F": total - men}


def weighted_total(rates: dict[str, int], weights: dict[str, int]) -> int:
    """The total's rate from the rates of men and women, weighted by their counts."""
    weight = weights["M"] + weights["F"]
    return round((rates["M"] * weights["M"] + rates["F"] * weights["F"]) / weight)


def _by_sex(figures: Figures, component: str, values: dict[str, int]) -> None:
    for sex, value in values.items():
        figures.components.setdefault((component, sex), []).append(value)


def _at(figures: Figures, key: ComponentKey, index: int) -> int:
    return figures.components[key][index]


# --- population ------------------------------------------------------------------------


def population_figures(ctx: Context) -> Figures:
    periods = ctx.periods("POP", "2016")
    figures = Figures("POP", periods, sexes=SEXES)
    for component in COMPONENTS:
        for period in periods:
            total = units(population(component, period.start.year), 1)
            _by_sex(figures, component.code, split_by_sex(total, male_share(component)))
    return figures


def census_population(ctx: Context) -> Figures:
    """The ten-yearly census, at its reference time of 1 April 2009 and 2019."""
    periods = _spans(ctx, Period.parse("2009-04-01/P10Y"))
    figures = Figures("POP_CENSUS", periods, sexes=SEXES)
    for component in COMPONENTS:
        for period in periods:
            total = units(0.9975 * population(component, period.start.year), 1)
            _by_sex(figures, component.code, split_by_sex(total, male_share(component)))
    return figures


def agricultural_households(ctx: Context) -> Figures:
    """Households farming, forestry or fishing, five-yearly from the census of 1 July 2016."""
    periods = _spans(ctx, Period.parse("2016-07-01/P5Y"))
    figures = Figures("AGRI_HOUSEHOLDS", periods)
    for component in COMPONENTS:
        figures.components[(component.code, "")] = [
            units(
                population(component, p.start.year)
                * (1 - component.urban_share)
                * (0.13 - 0.003 * (p.start.year - 2016)),
                1,
            )
            for p in periods
        ]
    return figures


def _spans(ctx: Context, first: Period) -> list[Period]:
    """Multi-year spans from ``first`` whose results are out by the demo's instant."""
    spans, span = [], first
    while release_moment(span) <= ctx.horizon.as_of:
        spans.append(span)
        span = span.next()
    return spans


# --- labour force survey -----------------------------------------------------------------


def labour_force(ctx: Context) -> Figures:
    periods = ctx.periods("LABOUR_FORCE_Q", "2016-Q1")
    figures = Figures("LABOUR_FORCE_Q", periods, sexes=SEXES)
    season = (0.995, 1.0, 1.003, 1.002)
    for component in COMPONENTS:
        rng = series_random("LABOUR_FORCE_Q", component.code)
        participation = 0.575 + (0.04 if component.region.is_upland else 0.0)
        participation -= 0.015 if component.productivity > 1.7 else 0.0
        for period in periods:
            people = population(component, period.start.year) * participation
            people *= season[(period.start.month - 1) // 3] * quarter_activity(
                period, component, 0.12
            )
            total = units(people * math.exp(rng.gauss(0, 0.004)), 1)
            share = 0.5 if component.trade >= 2 else 0.525
            _by_sex(figures, component.code, split_by_sex(total, share))
    return figures


def unemployment_and_employment(ctx: Context, force: Figures) -> tuple[Figures, Figures]:
    """Unemployment rates of men and women, and the employed they leave."""
    periods = ctx.periods("UNEMPLOYMENT_RATE_Q", "2016-Q1")
    rates = Figures("UNEMPLOYMENT_RATE_Q", periods, sexes=SEXES)
    employed = Figures("EMPLOYED_Q", periods, sexes=SEXES)
    common = wander(
        series_random("UNEMPLOYMENT_RATE_Q", "nation"), len(periods), sd=0.03, persistence=0.6
    )
    for component in COMPONENTS:
        rng = series_random("UNEMPLOYMENT_RATE_Q", component.code)
        base = 2.0 * (0.55 + 0.45 * component.productivity**0.6)
        for k, period in enumerate(periods):
            index_in_force = force.index(period)
            if index_in_force is None:
                raise ValueError(f"the labour force lacks {period.code}")
            shock = 25 * (1 - quarter_activity(period, component, 0.35))
            trend = -0.02 * min(period.start.year - 2016, 3)
            rate = (base + trend + shock) * math.exp(common[k])
            by_sex = {
                sex: units(max(0.3, rate * factor + rng.gauss(0, 0.06)), 2)
                for sex, factor in (("M", 1.04), ("F", 0.96))
            }
            people = {s: _at(force, (component.code, s), index_in_force) for s in ("M", "F")}
            by_sex["_T"] = weighted_total(by_sex, people)
            _by_sex(rates, component.code, by_sex)
            working = {s: round(people[s] * (1 - by_sex[s] / 10_000 * 0.92)) for s in ("M", "F")}
            _by_sex(employed, component.code, {"_T": working["M"] + working["F"], **working})
    return rates, employed


def average_income(ctx: Context, employed: Figures) -> Figures:
    periods = ctx.periods("AVG_INCOME_Q", "2016-Q1")
    figures = Figures("AVG_INCOME_Q", periods, sexes=SEXES)
    for component in COMPONENTS:
        rng = series_random("AVG_INCOME_Q", component.code)
        own = wander(rng, len(periods), sd=0.01, persistence=0.8)
        level = 4.4 * component.productivity**0.45
        for k, period in enumerate(periods):
            bonus = 1.04 if period.start.month == 1 else 1.0
            income = level * 1.065 ** (k / 4) * bonus * quarter_activity(period, component, 0.6)
            income *= math.exp(own[k])
            by_sex = {"M": units(income * 1.12, 2), "F": units(income * 0.87, 2)}
            index = employed.index(period)
            if index is None:
                raise ValueError(f"the employed lack {period.code}")
            people = {s: _at(employed, (component.code, s), index) for s in ("M", "F")}
            by_sex["_T"] = weighted_total(by_sex, people)
            _by_sex(figures, component.code, by_sex)
    return figures


# --- annual social indicators --------------------------------------------------------------


def urban_labour(ctx: Context) -> tuple[Figures, Figures]:
    """Urban labour force and urban unemployment rates, by sex."""
    periods = ctx.periods("LABOUR_FORCE_URBAN_A", "2016")
    force = Figures("LABOUR_FORCE_URBAN_A", periods, sexes=SEXES)
    rates = Figures("UNEMPLOYMENT_RATE_URBAN_A", periods, sexes=SEXES)
    year_effect = {2020: 0.9, 2021: 1.4, 2022: -0.2}
    for component in COMPONENTS:
        rng = series_random("UNEMPLOYMENT_RATE_URBAN_A", component.code)
        base = 2.9 * (0.7 + 0.3 * component.productivity**0.5)
        for period in periods:
            year = period.start.year
            urban = min(0.95, component.urban_share * (1 + 0.015 * (year - 2016)))
            total = units(population(component, year) * urban * 0.57, 1)
            people = split_by_sex(total, 0.52)
            _by_sex(force, component.code, people)
            lockdown = 0.8 if year == 2021 and component.region.is_south else 0.0
            rate = base + year_effect.get(year, 0.0) + lockdown
            by_sex = {
                sex: units(max(0.5, rate * factor + rng.gauss(0, 0.1)), 2)
                for sex, factor in (("M", 1.03), ("F", 0.97))
            }
            by_sex["_T"] = weighted_total(by_sex, people)
            _by_sex(rates, component.code, by_sex)
    return force, rates


def poverty_rate(ctx: Context) -> Figures:
    """Multidimensional poverty: highest in the uplands, falling every year, and higher
    again from 2022 when the stricter standard of 2022-2025 applied."""
    periods = ctx.periods("POVERTY_RATE_MD", "2016")
    poorness = {
        c.code: c.productivity**-1.6 * (1.8 if c.region.is_upland else 1.0) for c in COMPONENTS
    }
    mean = sum(poorness[c.code] * c.population for c in COMPONENTS) / sum(
        c.population for c in COMPONENTS
    )
    figures = Figures("POVERTY_RATE_MD", periods)
    for component in COMPONENTS:
        rng = series_random("POVERTY_RATE_MD", component.code)
        start = 9.9 * poorness[component.code] / mean
        values = []
        for period in periods:
            years = period.start.year - 2016
            rate = start * 0.75 ** min(years, 5)
            if years >= 6:
                rate *= 1.75 * 0.78 ** (years - 6)
            values.append(units(min(60.0, max(0.05, rate * math.exp(rng.gauss(0, 0.05)))), 2))
        figures.components[(component.code, "")] = values
    return figures


def health_insurance(ctx: Context) -> Figures:
    periods = ctx.periods("HEALTH_INSURANCE_COVERAGE", "2016")
    figures = Figures("HEALTH_INSURANCE_COVERAGE", periods)
    for component in COMPONENTS:
        rng = series_random("HEALTH_INSURANCE_COVERAGE", component.code)
        # The state pays the premiums of the poor and of ethnic minorities in the uplands.
        offset = (3.0 if component.region.is_upland else 0.0) - 2.5 * max(
            0.0, component.productivity - 1
        )
        offset += rng.gauss(0, 1.2)
        values = []
        for period in periods:
            years = period.start.year - 2016
            national = 81.7 + 2.8 * min(years, 3) + 0.65 * max(years - 3, 0)
            values.append(units(min(99.5, national + offset + rng.gauss(0, 0.3)), 2))
        figures.components[(component.code, "")] = values
    return figures


# Rural communes (xã) in the nation at each year's end; generated, with the commune
# mergers of 2019-2021 and 2023-2025. From 2025 the published count of each province is
# used (the communes of July 2025).
RURAL_COMMUNES = {
    2016: 8978, 2017: 8973, 2018: 8968, 2019: 8915, 2020: 8326, 2021: 8298, 2022: 8290,
    2023: 8280, 2024: 7620,
}  # fmt: skip
COMMUNES_FROM_UNIT_LIST = 2025


def communes(ctx: Context) -> Figures:
    periods = ctx.periods("COMMUNES", "2016")
    weights = {c.code: c.population * (1 - c.urban_share) for c in COMPONENTS}
    codes = [c.code for c in COMPONENTS]
    figures = Figures("COMMUNES", periods)
    by_code: dict[str, list[int]] = {code: [] for code in codes}
    for period in periods:
        year = period.start.year
        if year < COMMUNES_FROM_UNIT_LIST:
            parts = allocate(RURAL_COMMUNES[year], [weights[code] for code in codes])
            counts = dict(zip(codes, parts, strict=True))
        else:
            counts = _communes_of_new_provinces(ctx, weights)
        for code in codes:
            by_code[code].append(counts[code])
    figures.components = {(code, ""): values for code, values in by_code.items()}
    return figures


def _communes_of_new_provinces(ctx: Context, weights: dict[str, float]) -> dict[str, int]:
    """Each province's published count, shared out over the old provinces it took over."""
    counts: dict[str, int] = {}
    year = str(COMMUNES_FROM_UNIT_LIST)
    for code, made_of in ctx.geography.provinces_on(date(COMMUNES_FROM_UNIT_LIST, 12, 31)):
        published = ctx.published_value("COMMUNES", year, area=code)
        if published is None:
            raise ValueError(f"the published figures lack COMMUNES of province {code} in {year}")
        parts = allocate(int(published), [weights[part] for part in made_of])
        counts.update(zip(made_of, parts, strict=True))
    return counts


def new_rural_communes(ctx: Context) -> Figures:
    """Share of communes meeting the new-rural standard: rising to 2025, starting again
    from a low base under the standard of 2026-2030."""
    periods = ctx.periods("NEW_RURAL_COMMUNES_SHARE", "2016")
    figures = Figures("NEW_RURAL_COMMUNES_SHARE", periods)
    for component in COMPONENTS:
        rng = series_random("NEW_RURAL_COMMUNES_SHARE", component.code)
        start = -0.9 + 1.2 * (component.productivity - 1) + rng.gauss(0, 0.4)
        start += 0.8 if component.region is Region.RED_RIVER_DELTA else 0.0
        start -= 1.0 if component.region.is_upland else 0.0
        values = []
        for period in periods:
            year = period.start.year
            if year <= 2025:
                share = logistic(start + 0.33 * (year - 2016))
            else:
                share = logistic(start - 2.2 + 0.5 * (year - 2026))
            values.append(units(100 * share, 1))
        figures.components[(component.code, "")] = values
    return figures
