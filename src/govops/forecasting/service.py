"""Forecasts for other packages and for routes: the stable entry points.

    forecast_series(session, indicator=, area=, horizon=, as_of=) -> ForecastResult
    latest_forecast(session, indicator=, area=) -> ForecastResult | None
    forecasts_for_period(session, indicator=, area=, period=, made_before=) -> [...]

``forecast_series`` reuses the newest stored forecast made from the same data (the same
vintage) with at least the horizon asked; otherwise it runs the engine on that series
and stores the run. Nothing here commits: the caller's transaction does.

Errors::

    GovopsError
    ├── NotFound                      the indicator or the area code is unknown
    └── InvalidRequest
        ├── (field horizon)           a horizon below 1 or above the frequency's limit
        └── SeriesTooShort            fewer than three values known: nothing to forecast
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from govops.catalog.areas import area_at
from govops.catalog.service import get_indicator
from govops.core.db import today_utc
from govops.core.errors import InvalidRequest
from govops.core.periods import Frequency, Period
from govops.datastore.query import check_dims
from govops.forecasting.inputs import SeriesSource, read_series
from govops.forecasting.jobs import run_job
from govops.forecasting.models import Forecast
from govops.forecasting.records import finish_run, load_result, record_outcome, start_run
from govops.forecasting.result import MAX_HORIZON, ForecastPoint, ForecastResult

__all__ = [
    "ForecastPoint",
    "ForecastResult",
    "PastForecast",
    "SeriesTooShort",
    "forecast_series",
    "forecasts_for_period",
    "latest_forecast",
]


class SeriesTooShort(InvalidRequest):
    """Raised when a series has fewer values than any forecast needs (three)."""

    code = "series-too-short"
    title = "Series too short to forecast"


@dataclass(frozen=True)
class PastForecast:
    """What one stored forecast said about a period, and when it was made."""

    forecast_id: int
    made_at: datetime
    vintage: datetime | None
    model: str
    step: int
    point: ForecastPoint


def forecast_series(
    session: Session,
    *,
    indicator: str,
    area: str,
    horizon: int | None = None,
    as_of: datetime | None = None,
) -> ForecastResult:
    """The forecast of ``indicator`` for the area coded ``area`` from the data at ``as_of``.

    ``horizon`` None is the default reach: to the end of the year after the last actual,
    ten years for yearly indicators.
    """
    source = read_series(session, indicator=indicator, area=area, as_of=as_of, horizon=horizon)
    _check_horizon(source.job.frequency, horizon)
    reused = _reusable(session, source, horizon)
    if reused is not None:
        return load_result(session, reused)

    run = start_run(session, trigger="request")
    outcome = run_job(source.job)
    row = record_outcome(session, run, source, outcome, as_of=as_of)
    finish_run(session, run)
    if row is None:
        raise SeriesTooShort(
            f"{indicator} for area {area} cannot be forecast: {outcome.refusal}",
            indicator=indicator,
            area=area,
        )
    return load_result(session, row)


def latest_forecast(session: Session, *, indicator: str, area: str) -> ForecastResult | None:
    """The newest stored forecast of the series, whatever data it was made from."""
    row = session.scalars(_series_forecasts(session, indicator, area).limit(1)).first()
    return None if row is None else load_result(session, row)


def forecasts_for_period(
    session: Session,
    *,
    indicator: str,
    area: str,
    period: Period,
    made_before: datetime | None = None,
) -> list[PastForecast]:
    """Every stored forecast of ``period`` (newest first): what was said, and when.

    With ``made_before``, only forecasts made by then: what was forecast in March for
    December is ``made_before`` the end of March.
    """
    query = _series_forecasts(session, indicator, area)
    if made_before is not None:
        query = query.where(Forecast.made_at <= made_before)
    found = []
    for row in session.scalars(query):
        result = load_result(session, row)
        point = result.point(period)
        if point is not None:
            step = result.points.index(point) + 1
            found.append(PastForecast(row.id, row.made_at, row.vintage, row.model, step, point))
    return found


def _series_forecasts(session: Session, indicator: str, area: str) -> Select[Any]:
    found = get_indicator(session, indicator)
    place = area_at(session, area, today_utc())
    return (
        select(Forecast)
        .where(
            Forecast.indicator_id == found.id,
            Forecast.area_id == place.id,
            Forecast.dims_key == check_dims(found, {}),
        )
        .order_by(Forecast.made_at.desc(), Forecast.id.desc())
    )


def _reusable(session: Session, source: SeriesSource, horizon: int | None) -> Forecast | None:
    # The same data gives the same forecast: reuse the newest one made from this vintage.
    if source.vintage is None:
        return None
    row = session.scalars(
        select(Forecast)
        .where(
            Forecast.indicator_id == source.indicator.id,
            Forecast.area_id == source.area.id,
            Forecast.dims_key == source.dims_key,
            Forecast.vintage == source.vintage,
        )
        .order_by(Forecast.made_at.desc(), Forecast.id.desc())
        .limit(1)
    ).first()
    if row is None or (horizon is not None and row.horizon < horizon):
        return None
    return row


def _check_horizon(frequency: Frequency, horizon: int | None) -> None:
    if horizon is None:
        return
    limit = MAX_HORIZON.get(frequency, 1)
    if not 1 <= horizon <= limit:
        raise InvalidRequest(
            f"horizon {horizon} is outside 1–{limit} for a {frequency.label_en.lower()} indicator",
            field="horizon",
        )
