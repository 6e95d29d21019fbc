"""The demo's observation rows: generated figures for every province and the nation, and
the published figures as they were announced.

The recipes make each indicator's figures for the 63 old provinces (and the nation's
own, where it is compiled on its own). This module turns them into rows: for each
period, the provinces valid at its end (the 63 before July 2025, the 34 after) with each
province's value formed from the old provinces it is made of, and the nation's value,
which for an indicator that adds up is the exact sum of the provinces. Every row has
the vintages a real release would have had by the demo's instant: the last 12 months a
provisional figure at release and the revised one a month later, older periods one
figure at release. Derived indicators (with a formula) are left to be computed on read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from govops.catalog.models import Indicator
from govops.catalog.rules import AreaRule
from govops.core.periods import Frequency, Period
from govops.demo import accounts, economy, emergencies, people, prices, services
from govops.demo.figures import (
    REVISED_PERIODS,
    ComponentKey,
    Context,
    Figures,
    Horizon,
    IndicatorFacts,
    release_moment,
)
from govops.demo.geography import Geography
from govops.demo.paths import allocate, series_random, units
from govops.demo.published import PublishedFigures, read_published_figures

NATION = "VN"
# Weights for the mean of old provinces where an indicator names none (a province's
# index or score after a merger is the population-weighted mean of its parts).
DEFAULT_WEIGHT = "POP"


@dataclass(frozen=True, slots=True)
class DemoRow:
    indicator: str
    area: str
    period: str
    value: str
    status: str
    recorded_at: datetime
    sex: str = ""


@dataclass(frozen=True, slots=True)
class Vintage:
    status: str
    recorded_at: datetime
    provisional: bool


def demo_context(session: Session, as_of: datetime) -> Context:
    """What the recipes work from: the catalogue and areas in the store, the published
    figures, and the instant the demo is built as of."""
    return Context(
        Horizon(as_of), read_catalogue(session), read_published_figures(), Geography(session)
    )


def read_catalogue(session: Session) -> dict[str, IndicatorFacts]:
    indicators = session.scalars(select(Indicator).options(selectinload(Indicator.dimensions)))
    return {
        indicator.code: IndicatorFacts(
            code=indicator.code,
            frequency=Frequency(indicator.frequency),
            decimals=indicator.decimals,
            area_rule=AreaRule(indicator.area_rule),
            weight_indicator=indicator.weight_indicator_code,
            sexes=people.SEXES if any(d.code == "SEX" for d in indicator.dimensions) else ("",),
            derived=bool(indicator.formula),
        )
        for indicator in indicators
    }


# --- making the figures ------------------------------------------------------------------

Made = dict[str, Figures]
Step = tuple[str, Callable[[Context, Made], Figures | tuple[Figures, ...]]]


def recipe_steps() -> list[Step]:
    """The recipes in the order they run: an indicator's weights and inputs come first."""
    gdp = accounts.gdp_growth_by_year
    steps: list[Step] = [
        ("population", lambda ctx, made: people.population_figures(ctx)),
        ("consumer prices", lambda ctx, made: prices.consumer_prices(ctx)),
        ("core prices", lambda ctx, made: prices.core_prices(ctx, prices.cpi_target(ctx))),
        ("average inflation", lambda ctx, made: prices.cpi_average_growth(ctx, made["CPI"])),
        ("industry", lambda ctx, made: economy.industrial_production(ctx, gdp(ctx))),
    ]
    steps += [(flow.code.lower(), _flow_step(flow)) for flow in economy.FLOWS]
    steps += [
        ("credit", lambda ctx, made: economy.credit_outstanding(ctx)),
        ("arrivals", lambda ctx, made: economy.international_arrivals(ctx)),
        ("electricity", lambda ctx, made: economy.power_system(ctx)),
        ("expressways", lambda ctx, made: economy.expressways(ctx)),
        ("budget drafts", lambda ctx, made: economy.budget_drafts(ctx)),
        ("GDP growth", lambda ctx, made: _gdp_growth(ctx)),
        ("GDP", lambda ctx, made: _gdp(ctx)),
        ("manufacturing", lambda ctx, made: accounts.manufacturing_share(ctx)),
        ("labour force", lambda ctx, made: people.labour_force(ctx)),
        (
            "unemployment",
            lambda ctx, made: people.unemployment_and_employment(ctx, made["LABOUR_FORCE_Q"]),
        ),
        ("income", lambda ctx, made: people.average_income(ctx, made["EMPLOYED_Q"])),
        ("urban labour", lambda ctx, made: people.urban_labour(ctx)),
        ("poverty", lambda ctx, made: people.poverty_rate(ctx)),
        ("health insurance", lambda ctx, made: people.health_insurance(ctx)),
        ("communes", lambda ctx, made: people.communes(ctx)),
        ("new rural communes", lambda ctx, made: people.new_rural_communes(ctx)),
        ("population census", lambda ctx, made: people.census_population(ctx)),
        ("agricultural census", lambda ctx, made: people.agricultural_households(ctx)),
        ("traffic", lambda ctx, made: emergencies.traffic(ctx)),
        ("fires", lambda ctx, made: emergencies.fires(ctx)),
        ("disasters", lambda ctx, made: emergencies.disaster_deaths(ctx)),
        ("dossiers", lambda ctx, made: services.dossiers_received(ctx)),
        ("service scores", lambda ctx, made: services.service_score(ctx)),
        ("on-time dossiers", lambda ctx, made: services.on_time_share(ctx)),
        ("online procedures", lambda ctx, made: services.online_share(ctx)),
    ]
    return steps


def _flow_step(flow: economy.Flow) -> Callable[[Context, Made], Figures]:
    return lambda ctx, made: economy.flow_figures(ctx, flow)


def _gdp_growth(ctx: Context) -> tuple[Figures, ...]:
    growth = accounts.gdp_growth_by_year(ctx)
    return (
        accounts.gdp_growth_quarterly(ctx, growth),
        accounts.gdp_growth_annual(ctx, growth),
    )


def _gdp(ctx: Context) -> tuple[Figures, ...]:
    growth = accounts.gdp_growth_by_year(ctx)
    levels = accounts.gdp_levels(ctx, growth, prices.cpi_target(ctx))
    quarterly = accounts.grdp_quarterly(ctx, levels)
    return (
        accounts.gdp_current(ctx, levels),
        accounts.gdp_per_capita(ctx, levels, people.national_population),
        quarterly,
        accounts.grdp_annual(ctx, quarterly),
    )


def make_figures(ctx: Context, advance: Callable[[str], None] | None = None) -> Made:
    made: Made = {}
    for label, step in recipe_steps():
        result = step(ctx, made)
        for figures in result if isinstance(result, tuple) else (result,):
            made[figures.code] = figures
        if advance is not None:
            advance(label)
    return made


def not_generated(ctx: Context, made: Made) -> list[str]:
    """Catalogue indicators the demo has no figures for (derived ones are computed)."""
    return sorted(
        code for code, facts in ctx.catalogue.items() if not facts.derived and code not in made
    )


# --- rows ------------------------------------------------------------------------------------


def published_rows(published: PublishedFigures, as_of: datetime) -> list[DemoRow]:
    return [
        DemoRow(f.indicator, f.area, f.period, str(f.value), "A", f.recorded_at)
        for f in published.known_by(as_of)
    ]


class RowMaker:
    """Turns figures into rows of the areas valid in each period, with their vintages."""

    def __init__(self, ctx: Context, made: Made) -> None:
        self.ctx = ctx
        self.made = made
        last_month = ctx.horizon.last(Frequency.MONTHLY)
        self.first_revised = last_month.shift(1 - REVISED_PERIODS)

    def rows(self, figures: Figures) -> Iterator[DemoRow]:
        facts = self.ctx.facts(figures.code)
        self._pin_published_totals(figures, facts)
        combine = Combiner(figures, facts, self._weights_for(facts, figures))
        everything = tuple(sorted({code for code, _sex in figures.components}))
        for index, period in enumerate(figures.periods):
            vintages = self.vintages(figures, period)
            if not vintages:
                continue
            code = period.code
            areas = [(NATION, everything)]
            if figures.components:
                areas += self.ctx.geography.provinces_on(period.end)
            for area, made_of in areas:
                if self.ctx.published.covers(figures.code, area, code):
                    continue
                for sex in figures.sexes:
                    for vintage in vintages:
                        value = combine.value(area, made_of, sex, index, vintage.provisional)
                        yield DemoRow(
                            figures.code,
                            area,
                            code,
                            format_units(value, facts.decimals),
                            vintage.status,
                            vintage.recorded_at,
                            sex,
                        )

    def vintages(self, figures: Figures, period: Period) -> list[Vintage]:
        release = figures.release(period) if figures.release else release_moment(period)
        as_of = self.ctx.horizon.as_of
        if release > as_of:
            return []
        if period.frequency is not Frequency.MONTHLY or period < self.first_revised:
            return [Vintage("A", release, provisional=False)]
        revised_at = _a_month_later(release)
        found = [Vintage("P", release, provisional=True)]
        if revised_at <= as_of:
            found.append(Vintage("A", revised_at, provisional=False))
        return found

    def _weights_for(self, facts: IndicatorFacts, figures: Figures) -> Figures | None:
        if facts.area_rule is AreaRule.SUM or not figures.components:
            return None
        code = facts.weight_indicator or DEFAULT_WEIGHT
        weights = self.made.get(code)
        if weights is None:
            raise ValueError(f"{facts.code} is weighted by {code}, which the demo has not made")
        return weights

    def _pin_published_totals(self, figures: Figures, facts: IndicatorFacts) -> None:
        """Scale provinces to a published national total of an indicator that adds up."""
        if facts.area_rule is not AreaRule.SUM or figures.national or facts.sexes != ("",):
            return
        for period in figures.periods:
            total = self.ctx.published.latest(figures.code, NATION, period.code)
            areas = self.ctx.published.areas_with(figures.code, period.code)
            index = figures.index(period)
            if total is None or areas != {NATION} or index is None:
                continue
            keys = sorted(figures.components)
            current = [max(1, figures.components[key][index]) for key in keys]
            pinned = allocate(units(float(total), facts.decimals), current)
            for key, value in zip(keys, pinned, strict=True):
                figures.components[key][index] = value


class Combiner:
    """One area's value from the old provinces it is made of, final or provisional."""

    def __init__(self, figures: Figures, facts: IndicatorFacts, weights: Figures | None) -> None:
        self.figures = figures
        self.facts = facts
        self.weights = weights
        self._weight_index: dict[int, int] = {}

    def value(
        self, area: str, made_of: Sequence[str], sex: str, index: int, provisional: bool
    ) -> int:
        national = self.figures.national.get(sex)
        if area == NATION and national is not None:
            return self._revised(national[index], (NATION, sex), index, provisional)
        if provisional:
            parts = [self._part((code, sex), index, provisional) for code in made_of]
        else:
            components = self.figures.components
            parts = [components[(code, sex)][index] for code in made_of]
        if self.facts.area_rule is AreaRule.SUM or len(parts) == 1:
            return sum(parts)
        weights = [self._weight(code, sex, index) for code in made_of]
        return round(sum(p * w for p, w in zip(parts, weights, strict=True)) / sum(weights))

    def _part(self, key: ComponentKey, index: int, provisional: bool) -> int:
        code, sex = key
        if provisional and sex == "_T" and self.facts.area_rule is AreaRule.SUM:
            # The provisional total is the sum of the provisional figures for each sex.
            return self._part((code, "M"), index, True) + self._part((code, "F"), index, True)
        return self._revised(self.figures.components[key][index], key, index, provisional)

    def _revised(self, final: int, key: ComponentKey, index: int, provisional: bool) -> int:
        revision = self.figures.revision
        if not provisional or (revision.relative == 0 and revision.absolute == 0):
            return final
        # One draw per old province and period, shared by both sexes, so the provisional
        # figures of a province stay consistent with each other.
        period = self.figures.periods[index].code
        shock = series_random(self.figures.code, key[0], period, "provisional").gauss(0, 1)
        return final + round(final * revision.relative * shock + revision.absolute * shock)

    def _weight(self, code: str, sex: str, index: int) -> int:
        weights = self.weights
        assert weights is not None, "a mean over provinces needs weights"
        found = self._weight_index.get(index)
        if found is None:
            found = self._weight_index[index] = _containing_index(
                weights, self.figures.periods[index]
            )
        for key in ((code, sex), (code, "_T"), (code, "")):
            if key in weights.components:
                return max(1, weights.components[key][found])
        raise ValueError(f"{weights.code} has no figures for province {code} to weight by")


def _containing_index(weights: Figures, period: Period) -> int:
    """The weights' period that contains ``period``, or the nearest one they have."""
    found = weights.index(Period.containing(weights.periods[0].frequency, period.start))
    if found is not None:
        return found
    return len(weights.periods) - 1 if period.start > weights.periods[-1].start else 0


def _a_month_later(moment: datetime) -> datetime:
    year, month = divmod(moment.month, 12)
    return moment.replace(year=moment.year + year, month=month + 1)


def format_units(value: int, decimals: int) -> str:
    if decimals == 0:
        return str(value)
    sign = "-" if value < 0 else ""
    whole, fraction = divmod(abs(value), 10**decimals)
    return f"{sign}{whole}.{fraction:0{decimals}d}"
