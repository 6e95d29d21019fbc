"""Answering a data query: areas, periods, an instant, a transform, a frequency."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import NamedTuple

from sqlalchemy.orm import Session

from govops.catalog.areas import NATION_CODE, area_at
from govops.catalog.models import Area, Indicator
from govops.catalog.rules import AreaRule, TimeRule
from govops.catalog.service import get_indicator
from govops.core.db import today_utc
from govops.core.errors import InvalidRequest, NotFound
from govops.core.periods import Frequency, Period, period_of
from govops.datastore.cells import Cell, Cells, new_record
from govops.datastore.formula import Formula
from govops.datastore.query import PeriodRange, SeriesReader, check_dims, resolve_areas
from govops.datastore.transforms import (
    Transform,
    apply_transform,
    convert_frequency,
    transformed_unit,
)
from govops.security.permissions import Principal

RATE_SYMBOLS = {"%"}


@dataclass(frozen=True)
class DataQuery:
    indicator: str
    areas: tuple[str, ...] = ()
    first: str | None = None
    last: str | None = None
    as_of: datetime | None = None
    transform: Transform = Transform.NONE
    frequency: Frequency | None = None
    dims: tuple[tuple[str, str], ...] = ()
    at: date | None = None


# A named tuple: an answer holds thousands of points, made at a third of a dataclass's cost.
class Point(NamedTuple):
    period: Period
    value: Decimal | None
    status: str
    recorded_at: datetime | None
    note: str | None


@dataclass
class SeriesAnswer:
    area: Area
    points: list[Point]
    notes: list[str] = field(default_factory=list)


@dataclass
class DataAnswer:
    indicator: Indicator
    frequency: Frequency
    transform: Transform
    unit: str
    decimals: int
    as_of: datetime | None
    series: list[SeriesAnswer]

    @property
    def cell_count(self) -> int:
        return sum(len(series.points) for series in self.series)


def run_query(
    session: Session,
    query: DataQuery,
    *,
    max_cells: int = 500_000,
    visible_to: Principal | None = None,
) -> DataAnswer:
    """The answer to ``query``; an indicator hidden from ``visible_to`` answers as unknown."""
    indicator = get_indicator(session, query.indicator, visible_to=visible_to)
    if visible_to is not None and indicator.formula:
        _check_inputs_visible(session, indicator, visible_to)
    native = Frequency(indicator.frequency)
    target = query.frequency or native
    wanted = _wanted_range(query, target)

    at = query.at or (wanted.last.end if wanted.last else today_utc())
    areas = resolve_areas(session, list(query.areas), at)
    _check_size(len(areas), wanted, max_cells)
    reader = SeriesReader(
        session, indicator, dims_key=check_dims(indicator, dict(query.dims)), as_of=query.as_of
    )
    fetch = _fetch_range(wanted, native, target, query.transform)
    national = None
    if query.transform is Transform.SHARE_OF_NATION:
        national = _national_cells(session, reader, indicator, fetch, native, target, at)

    reader.prefetch(areas, fetch)
    answers = []
    for area in areas:
        series = reader.read(area, fetch)
        cells = _shape(series.cells, indicator, native, target, query.transform, national)
        answers.append(
            SeriesAnswer(
                area, _points(cells, target, wanted, indicator, query.transform), series.notes
            )
        )
    is_rate = indicator.unit.symbol in RATE_SYMBOLS
    return DataAnswer(
        indicator,
        target,
        query.transform,
        transformed_unit(query.transform, indicator.unit.name_en, is_rate=is_rate),
        _decimals(indicator, query.transform),
        query.as_of,
        answers,
    )


def _check_inputs_visible(session: Session, derived: Indicator, reader: Principal) -> None:
    """A derived indicator gives its inputs away (a total less its other parts is the
    hidden part), so it is unknown to a reader who may not see every input, at any depth,
    in the very words used for an indicator that does not exist."""
    pending, seen = [derived], {derived.code}
    while pending:
        formula = pending.pop().formula
        for code in Formula(formula).inputs if formula else []:
            if code in seen:
                continue
            seen.add(code)
            try:
                pending.append(get_indicator(session, code, visible_to=reader))
            except NotFound as hidden:
                detail = hidden.detail.replace(f"'{code}'", f"'{derived.code}'")
                raise NotFound(detail, indicator=derived.code) from None


def _wanted_range(query: DataQuery, target: Frequency) -> PeriodRange:
    first = Period.parse_for(query.first, target) if query.first else None
    last = Period.parse_for(query.last, target) if query.last else None
    if first and last and last < first:
        raise InvalidRequest(f"the period range ends ({last}) before it starts ({first})")
    return PeriodRange(first, last)


def _check_size(area_count: int, wanted: PeriodRange, max_cells: int) -> None:
    if wanted.first is None or wanted.last is None:
        return
    cells = area_count * _count_periods(wanted.first, wanted.last)
    if cells > max_cells:
        raise InvalidRequest(
            f"the query asks for {cells} values; the limit is {max_cells}. "
            "Narrow the period range or the areas"
        )


def _count_periods(first: Period, last: Period) -> int:
    """How many periods the range holds, counted without listing them."""
    months = first.frequency.months
    if months is None:
        days = (last.start - first.start).days
        return days // (7 if first.frequency is Frequency.WEEKLY else 1) + 1
    elapsed = (last.start.year - first.start.year) * 12 + last.start.month - first.start.month
    return elapsed // months + 1


def _fetch_range(
    wanted: PeriodRange, native: Frequency, target: Frequency, transform: Transform
) -> PeriodRange:
    """The native periods needed to answer: earlier ones too when a transform looks back."""
    if target.rank < native.rank:
        raise InvalidRequest(
            f"cannot convert {native.label_en.lower()} values to the finer "
            f"frequency {target.value}"
        )
    first = wanted.first
    if first is not None:
        if transform.needs_previous_year:
            first = first.same_period_last_year()
        if transform.needs_year_start or transform is Transform.PREVIOUS_PERIOD:
            first = Period.containing(target, date(first.start.year - 1, 1, 1))
        first = Period.containing(native, first.start)
    last = None
    if wanted.last is not None:
        last = Period.containing(native, wanted.last.end)
    return PeriodRange(first, last)


def _national_cells(
    session: Session,
    reader: SeriesReader,
    indicator: Indicator,
    fetch: PeriodRange,
    native: Frequency,
    target: Frequency,
    at: date,
) -> Cells:
    if indicator.area_rule != AreaRule.SUM:
        raise InvalidRequest(
            f"a share of the national value needs an indicator that adds up "
            f"over areas; {indicator.code} does not"
        )
    nation = area_at(session, NATION_CODE, at)
    cells = reader.read(nation, fetch).cells
    return convert_frequency(cells, native, target, TimeRule(indicator.time_rule))


def _shape(
    cells: Cells,
    indicator: Indicator,
    native: Frequency,
    target: Frequency,
    transform: Transform,
    national: Cells | None,
) -> Cells:
    rule = TimeRule(indicator.time_rule)
    converted = convert_frequency(cells, native, target, rule)
    return apply_transform(
        transform,
        converted,
        target,
        rule,
        is_rate=indicator.unit.symbol in RATE_SYMBOLS,
        national=national,
    )


def _points(
    cells: Cells,
    frequency: Frequency,
    wanted: PeriodRange,
    indicator: Indicator,
    transform: Transform,
) -> list[Point]:
    places = Decimal(1).scaleb(-_decimals(indicator, transform))
    # The cells and the range share one frequency, so start dates order them.
    first, last = wanted.bounds()
    points = []
    for start in sorted(cells):
        if (first and start < first) or (last and last < start):
            continue
        period = period_of(frequency, start)
        cell: Cell = cells[start]
        value = cell.value
        # Stored values are returned exactly as stored; calculated ones (divisions, means)
        # are rounded to the decimals the indicator is published with.
        if value is not None and (cell.computed or transform is not Transform.NONE):
            value = value.quantize(places, ROUND_HALF_EVEN)
        point = (period, value, cell.status, cell.recorded_at, cell.note)
        points.append(new_record(Point, point))
    return points


def _decimals(indicator: Indicator, transform: Transform) -> int:
    if transform in (Transform.NONE, Transform.YEAR_TO_DATE):
        return indicator.decimals
    return 2
