"""Reading the series a forecast is made from, through the datastore's own query.

The datastore assembles a current province's history from its predecessors across a
boundary change and sums provinces into the nation where the nation has no value, so a
forecast sees the same series a chart does. Values with status F (a forecast stored as
data) or M (missing) are not history and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from govops.catalog.models import Area, Indicator
from govops.catalog.service import get_indicator
from govops.core.db import today_utc
from govops.core.periods import Frequency, Period
from govops.datastore.analytics import DataQuery, run_query
from govops.datastore.query import check_dims
from govops.forecasting.engine import EngineOptions
from govops.forecasting.jobs import SeriesJob

# How far back a forecast reads, in years: enough for seasons and trends, not a century.
HISTORY_YEARS = {Frequency.DAILY: 3, Frequency.WEEKLY: 8}
DEFAULT_HISTORY_YEARS = 25
NOT_HISTORY = frozenset({"F", "M"})


@dataclass
class SeriesSource:
    indicator: Indicator
    area: Area
    dims_key: str
    job: SeriesJob
    vintage: datetime | None
    notes: list[str]


def read_series(
    session: Session,
    *,
    indicator: str,
    area: str,
    as_of: datetime | None = None,
    horizon: int | None = None,
    options: EngineOptions | None = None,
) -> SeriesSource:
    """The history of ``indicator`` for the area with code ``area``, as known at ``as_of``."""
    day = as_of.date() if as_of is not None else today_utc()
    answer = run_query(
        session,
        DataQuery(
            indicator, (area,), first=_first_code(session, indicator, day), as_of=as_of, at=day
        ),
    )
    series = answer.series[0]
    points = [p for p in series.points if p.value is not None and p.status not in NOT_HISTORY]
    vintage = max((p.recorded_at for p in points if p.recorded_at), default=None)
    key = f"{answer.indicator.code}/{series.area.code}"
    job = SeriesJob(
        key,
        answer.frequency,
        *_grid(
            answer.frequency, [(p.period, float(p.value)) for p in points if p.value is not None]
        ),
        horizon=horizon,
        boundary=_boundary(series.area),
        options=options or EngineOptions(),
    )
    dims_key = check_dims(answer.indicator, {})
    return SeriesSource(answer.indicator, series.area, dims_key, job, vintage, series.notes)


def _first_code(session: Session, indicator: str, day: date) -> str | None:
    frequency = Frequency(get_indicator(session, indicator).frequency)
    years = HISTORY_YEARS.get(frequency, DEFAULT_HISTORY_YEARS)
    if frequency.is_multi_year:
        return None
    return Period.containing(frequency, date(day.year - years, 1, 1)).code


def _grid(
    frequency: Frequency, known: list[tuple[Period, float]]
) -> tuple[Period, tuple[float | None, ...]]:
    """The values on a regular grid of periods from the first known one, gaps as None."""
    if not known:
        return Period.containing(frequency, today_utc()), ()
    by_start = {period.start: value for period, value in known}
    span = Period.span(known[0][0], known[-1][0])
    return known[0][0], tuple(by_start.get(period.start) for period in span)


def _boundary(area: Area) -> date | None:
    # An area version that begins on a date began with a boundary change: a level shift
    # is looked for there, and only there.
    return area.valid_from
