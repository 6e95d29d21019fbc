"""Shapes of the forecasting API's answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from govops.forecasting.accuracy import AccuracyRecord
from govops.forecasting.models import ForecastFailure, ForecastRun
from govops.forecasting.result import ForecastResult
from govops.forecasting.service import PastForecast


class PointOut(BaseModel):
    period: str = Field(description="SDMX period code, e.g. 2026-M03")
    reach: str = Field(description="short, medium, or long (a trend projection)")
    mean: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


class ForecastOut(BaseModel):
    id: int
    run: int
    indicator: str
    area: str
    frequency: str
    model: str
    reason: str
    last_observed: str
    made_at: datetime
    vintage: datetime | None = Field(description="Newest recorded_at among the inputs")
    as_of: datetime | None
    reconciliation: str | None
    trend_projection_from: str | None
    notes: list[str]
    parameters: dict[str, Any]
    backtest: dict[str, dict[str, Any]] = Field(description="Every candidate model's scores")
    points: list[PointOut]


class PastForecastOut(BaseModel):
    forecast: int
    made_at: datetime
    vintage: datetime | None
    model: str
    step: int
    point: PointOut


class FailureOut(BaseModel):
    forecast: int | None
    model: str | None
    stage: str
    reason: str


class RunOut(BaseModel):
    id: int
    trigger: str
    executor: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    series: int
    refused: int
    with_fallback: int
    failures: list[FailureOut] = []


class RunRequest(BaseModel):
    indicators: list[str] = Field(
        min_length=1, max_length=20, description="Indicator codes whose series to forecast"
    )


class AccuracyOut(BaseModel):
    indicator: str
    model: str
    forecasts: int
    points: int
    mase: float
    smape: float | None
    coverage80: float
    coverage95: float


def point_out(point: Any) -> PointOut:
    return PointOut(
        period=point.period.code,
        reach=str(point.reach),
        mean=point.mean,
        lo80=point.lo80,
        hi80=point.hi80,
        lo95=point.lo95,
        hi95=point.hi95,
    )


def forecast_out(result: ForecastResult) -> ForecastOut:
    projection = result.trend_projection_from
    return ForecastOut(
        id=result.id,
        run=result.run_id,
        indicator=result.indicator,
        area=result.area,
        frequency=result.frequency.value,
        model=result.model,
        reason=result.reason,
        last_observed=result.last_observed.code,
        made_at=result.made_at,
        vintage=result.vintage,
        as_of=result.as_of,
        reconciliation=result.reconciliation,
        trend_projection_from=projection.code if projection else None,
        notes=result.notes,
        parameters=result.parameters,
        backtest=result.scores,
        points=[point_out(p) for p in result.points],
    )


def past_out(past: PastForecast) -> PastForecastOut:
    return PastForecastOut(
        forecast=past.forecast_id,
        made_at=past.made_at,
        vintage=past.vintage,
        model=past.model,
        step=past.step,
        point=point_out(past.point),
    )


def run_out(run: ForecastRun, failures: list[ForecastFailure] | None = None) -> RunOut:
    return RunOut(
        id=run.id,
        trigger=run.trigger,
        executor=run.executor,
        status=run.status,
        started_at=run.started_at,
        finished_at=run.finished_at,
        series=run.series_count,
        refused=run.refused_count,
        with_fallback=run.fallback_count,
        failures=[
            FailureOut(forecast=f.forecast_id, model=f.model, stage=f.stage, reason=f.reason)
            for f in failures or []
        ],
    )


def accuracy_out(record: AccuracyRecord) -> AccuracyOut:
    return AccuracyOut(**record.__dict__)
