"""One series' forecast as a self-contained job, so a batch can run anywhere.

A job carries plain values only (no database session), and ``run_job`` is a module-level
function of them alone: a Dask worker runs it exactly as the serial loop does, which is
why serial and distributed runs give identical results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from govops.core.periods import Frequency, Period
from govops.forecasting.engine import EngineOptions, SeriesForecast, forecast_prepared
from govops.forecasting.metrics import mase_scale
from govops.forecasting.prepare import NotEnoughData, prepare, season_length
from govops.forecasting.result import MAX_HORIZON, default_horizon


@dataclass(frozen=True)
class SeriesJob:
    key: str
    frequency: Frequency
    first: Period
    values: tuple[float | None, ...]
    horizon: int | None = None
    boundary: date | None = None
    options: EngineOptions = field(default_factory=EngineOptions)


@dataclass
class JobOutcome:
    key: str
    forecast: SeriesForecast | None
    first_observed: Period | None = None
    last_observed: Period | None = None
    observed_count: int = 0
    horizon: int = 0
    error_scale: float = 1.0
    notes: list[str] = field(default_factory=list)
    refusal: str | None = None
    reconciliation: str | None = None


def run_job(job: SeriesJob) -> JobOutcome:
    """Prepare the series, choose its model and forecast; a refusal says why."""
    try:
        series = prepare(job.frequency, job.first, list(job.values), boundary=job.boundary)
    except NotEnoughData as refusal:
        return JobOutcome(job.key, None, refusal=str(refusal))
    horizon = job.horizon or default_horizon(job.frequency, series.last)
    horizon = min(horizon, MAX_HORIZON.get(job.frequency, horizon))
    forecast = forecast_prepared(job.key, job.frequency, series, horizon, job.options)
    return JobOutcome(
        job.key,
        forecast,
        first_observed=series.first,
        last_observed=series.last,
        observed_count=int(sum(v is not None for v in job.values)),
        horizon=horizon,
        error_scale=mase_scale(series.values, season_length(job.frequency)),
        notes=series.notes,
    )
