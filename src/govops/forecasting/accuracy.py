"""Realised errors: each forecast point measured against its actual once it arrives.

The record of a point is written once, against the value known when it is first
measured (normally the first release, as measurement follows new data); a later revision
of the actual does not rewrite it. The accuracy of an indicator's forecasts by model is
read from these records: MASE (errors scaled by each forecast's in-sample seasonal-naive
error), sMAPE, and how often the 80% and 95% intervals held the actual.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from govops.catalog.models import Area, Indicator
from govops.core.db import now_utc
from govops.core.errors import GovopsError
from govops.core.periods import Period
from govops.forecasting.inputs import read_series
from govops.forecasting.models import Forecast, ForecastValue, RealisedError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccuracyRecord:
    indicator: str
    model: str
    forecasts: int
    points: int
    mase: float
    smape: float | None
    coverage80: float
    coverage95: float


def measure_realised_errors(session: Session, *, indicators: set[str] | None = None) -> int:
    """Record the error of every forecast point whose actual is now known; answer how many."""
    pending = _unmeasured_series(session, indicators)
    measured = 0
    for (indicator_code, area_code), rows in pending.items():
        try:
            source = read_series(session, indicator=indicator_code, area=area_code)
        except GovopsError as error:
            log.warning(
                "cannot read %s/%s for realised errors: %s", indicator_code, area_code, error
            )
            continue
        actuals = _actuals(source.job.first, source.job.values)
        for forecast, value in rows:
            actual = actuals.get(value.period_start)
            if actual is None or source.vintage is None:
                continue
            session.add(_error(forecast, value, actual, source.vintage))
            measured += 1
    session.flush()
    if measured:
        log.info("measured %s realised forecast errors", measured)
    return measured


def _unmeasured_series(
    session: Session, indicators: set[str] | None
) -> dict[tuple[str, str], list[tuple[Forecast, ForecastValue]]]:
    query = (
        select(Indicator.code, Area.code, Forecast, ForecastValue)
        .join(Forecast, Forecast.id == ForecastValue.forecast_id)
        .join(Indicator, Indicator.id == Forecast.indicator_id)
        .join(Area, Area.id == Forecast.area_id)
        .outerjoin(
            RealisedError,
            (RealisedError.forecast_id == ForecastValue.forecast_id)
            & (RealisedError.period_start == ForecastValue.period_start),
        )
        .where(RealisedError.forecast_id.is_(None))
    )
    if indicators:
        query = query.where(Indicator.code.in_(indicators))
    found: dict[tuple[str, str], list[tuple[Forecast, ForecastValue]]] = defaultdict(list)
    for indicator_code, area_code, forecast, value in session.execute(query):
        found[(indicator_code, area_code)].append((forecast, value))
    return found


def _actuals(first: Period, values: tuple[float | None, ...]) -> dict[date, float]:
    return {first.shift(i).start: v for i, v in enumerate(values) if v is not None}


def _error(
    forecast: Forecast, value: ForecastValue, actual: float, recorded: datetime
) -> RealisedError:
    denominator = abs(actual) + abs(value.mean)
    return RealisedError(
        forecast_id=forecast.id,
        period_start=value.period_start,
        step=value.step,
        actual=actual,
        error=actual - value.mean,
        scaled_error=abs(actual - value.mean) / (forecast.error_scale or 1.0),
        symmetric_percentage_error=(
            200.0 * abs(actual - value.mean) / denominator if denominator > 0 else None
        ),
        inside80=value.lo80 <= actual <= value.hi80,
        inside95=value.lo95 <= actual <= value.hi95,
        actual_recorded_at=recorded,
        measured_at=now_utc(),
    )


def accuracy_records(session: Session, *, indicator: str | None = None) -> list[AccuracyRecord]:
    """Realised accuracy per indicator and model, over every measured point."""
    query = (
        select(
            Indicator.code,
            Forecast.model,
            func.count(func.distinct(Forecast.id)),
            func.count(),
            func.avg(RealisedError.scaled_error),
            func.avg(RealisedError.symmetric_percentage_error),
            func.avg(case((RealisedError.inside80, 1.0), else_=0.0)),
            func.avg(case((RealisedError.inside95, 1.0), else_=0.0)),
        )
        .join(Forecast, Forecast.id == RealisedError.forecast_id)
        .join(Indicator, Indicator.id == Forecast.indicator_id)
        .group_by(Indicator.code, Forecast.model)
        .order_by(Indicator.code, Forecast.model)
    )
    if indicator is not None:
        query = query.where(Indicator.code == indicator)
    return [
        AccuracyRecord(
            code,
            model,
            forecasts,
            points,
            float(mase),
            None if smape is None else float(smape),
            float(cover80),
            float(cover95),
        )
        for code, model, forecasts, points, mase, smape, cover80, cover95 in session.execute(query)
    ]
