"""Storing forecasts as data and reading them back as results."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.models import Area, Indicator
from govops.core.db import now_utc
from govops.core.periods import Frequency, period_of
from govops.forecasting.inputs import SeriesSource
from govops.forecasting.jobs import JobOutcome
from govops.forecasting.models import Forecast, ForecastFailure, ForecastRun, ForecastValue
from govops.forecasting.result import ForecastPoint, ForecastResult, reach_of

log = logging.getLogger(__name__)


def start_run(session: Session, *, trigger: str, executor: str = "serial") -> ForecastRun:
    run = ForecastRun(
        started_at=now_utc(),
        trigger=trigger,
        executor=executor,
        status="running",
        series_count=0,
        refused_count=0,
        fallback_count=0,
    )
    session.add(run)
    session.flush()
    return run


def finish_run(session: Session, run: ForecastRun, *, note: str | None = None) -> None:
    run.finished_at = now_utc()
    run.status = "completed"
    run.note = note
    session.flush()
    log.info(
        "forecast run %s: %s series, %s refused, %s with a model fallback",
        run.id,
        run.series_count,
        run.refused_count,
        run.fallback_count,
        extra={"run": run.id},
    )


def record_outcome(
    session: Session,
    run: ForecastRun,
    source: SeriesSource,
    outcome: JobOutcome,
    *,
    as_of: datetime | None,
) -> Forecast | None:
    """Store one series' forecast (or its refusal) in ``run``; answer the stored row."""
    run.series_count += 1
    if outcome.forecast is None or outcome.last_observed is None:
        run.refused_count += 1
        _record_failure(session, run, source, None, None, "input", outcome.refusal or "")
        log.info("%s not forecast: %s", outcome.key, outcome.refusal, extra={"run": run.id})
        return None
    found = outcome.forecast
    assert outcome.first_observed is not None
    row = Forecast(
        run_id=run.id,
        indicator_id=source.indicator.id,
        area_id=source.area.id,
        dims_key=source.dims_key,
        frequency=source.job.frequency.value,
        made_at=now_utc(),
        as_of=as_of,
        vintage=source.vintage,
        first_observed=outcome.first_observed.start,
        last_observed=outcome.last_observed.start,
        observed_count=outcome.observed_count,
        horizon=outcome.horizon,
        model=str(found.model),
        reason=found.reason,
        parameters=json.dumps(found.fitted.parameters, sort_keys=True, default=str),
        scores=json.dumps({k: v.as_dict() for k, v in found.scores.items()}, sort_keys=True),
        notes=json.dumps([*source.notes, *outcome.notes, *found.notes], ensure_ascii=False),
        error_scale=outcome.error_scale,
        reconciliation=outcome.reconciliation,
    )
    session.add(row)
    session.flush()
    _record_values(session, row, outcome)
    if found.failures:
        run.fallback_count += 1
    for failure in found.failures:
        _record_failure(session, run, source, row.id, failure.model, failure.stage, failure.reason)
    return row


def _record_values(session: Session, row: Forecast, outcome: JobOutcome) -> None:
    assert outcome.forecast is not None and outcome.last_observed is not None
    fitted = outcome.forecast.fitted
    period = outcome.last_observed
    for step in range(1, outcome.horizon + 1):
        period = period.next()
        i = step - 1
        session.add(
            ForecastValue(
                forecast_id=row.id,
                period_start=period.start,
                step=step,
                mean=float(fitted.mean[i]),
                lo80=float(fitted.lo80[i]),
                hi80=float(fitted.hi80[i]),
                lo95=float(fitted.lo95[i]),
                hi95=float(fitted.hi95[i]),
            )
        )
    session.flush()


def _record_failure(
    session: Session,
    run: ForecastRun,
    source: SeriesSource,
    forecast_id: int | None,
    model: str | None,
    stage: str,
    reason: str,
) -> None:
    session.add(
        ForecastFailure(
            run_id=run.id,
            forecast_id=forecast_id,
            indicator_id=source.indicator.id,
            area_id=source.area.id,
            model=model,
            stage=stage[:100],
            reason=reason,
        )
    )


def load_result(session: Session, row: Forecast) -> ForecastResult:
    """The stored forecast ``row`` as the result callers use."""
    indicator = session.get_one(Indicator, row.indicator_id)
    area = session.get_one(Area, row.area_id)
    frequency = Frequency(row.frequency)
    last = period_of(frequency, row.last_observed)
    values = session.scalars(
        select(ForecastValue)
        .where(ForecastValue.forecast_id == row.id)
        .order_by(ForecastValue.period_start)
    )
    points = []
    for value in values:
        period = period_of(frequency, value.period_start)
        points.append(
            ForecastPoint(
                period,
                value.mean,
                value.lo80,
                value.hi80,
                value.lo95,
                value.hi95,
                reach_of(value.step, period, last),
            )
        )
    return ForecastResult(
        id=row.id,
        run_id=row.run_id,
        indicator=indicator.code,
        area=area.code,
        frequency=frequency,
        model=row.model,
        reason=row.reason,
        scores=json.loads(row.scores),
        points=points,
        last_observed=last,
        made_at=row.made_at,
        vintage=row.vintage,
        as_of=row.as_of,
        notes=json.loads(row.notes),
        parameters=json.loads(row.parameters),
        reconciliation=row.reconciliation,
    )
