"""The forecasting API under ``/api/v1``: fans, past forecasts, runs, accuracy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.service import get_indicator
from govops.core.api import PROBLEM_RESPONSES, RowId, db_session, parse_instant
from govops.core.errors import InvalidRequest, NotFound
from govops.core.periods import Frequency, Period
from govops.forecasting.accuracy import accuracy_records
from govops.forecasting.batch import run_forecasts, series_to_forecast
from govops.forecasting.models import Forecast, ForecastFailure, ForecastRun
from govops.forecasting.records import load_result
from govops.forecasting.schemas import (
    AccuracyOut,
    ForecastOut,
    PastForecastOut,
    RunOut,
    RunRequest,
    accuracy_out,
    forecast_out,
    past_out,
    run_out,
)
from govops.forecasting.service import forecast_series, forecasts_for_period
from govops.security import audit
from govops.security.permissions import Permission, Principal
from govops.security.web import actor_of, require

router = APIRouter(prefix="/api/v1", tags=["forecasts"], responses=PROBLEM_RESPONSES)
DbSession = Annotated[Session, Depends(db_session)]
DataReader = Annotated[Principal, require(Permission.DATA_READ)]
ForecastRunner = Annotated[Principal, require(Permission.FORECASTS_RUN)]
RUNS_LISTED = 50


@router.get("/forecasts", response_model=ForecastOut)
def read_forecast(
    session: DbSession,
    caller: DataReader,
    indicator: Annotated[str, Query(description="Indicator code, e.g. CPI")],
    area: Annotated[str, Query(description="Area code, e.g. VN or 01")] = "VN",
    horizon: Annotated[int | None, Query(description="Periods ahead; default the medium")] = None,
    as_of: Annotated[str | None, Query(description="Forecast from the data known then")] = None,
) -> ForecastOut:
    """The forecast fan of a series: reused when the data is unchanged, made otherwise."""
    get_indicator(session, indicator, visible_to=caller)
    instant = parse_instant(as_of, field="as_of")
    result = forecast_series(
        session, indicator=indicator, area=area, horizon=horizon, as_of=instant
    )
    session.commit()
    return forecast_out(result)


@router.get("/forecasts/history", response_model=list[PastForecastOut])
def read_forecast_history(
    session: DbSession,
    caller: DataReader,
    indicator: Annotated[str, Query(description="Indicator code")],
    period: Annotated[str, Query(description="The period forecast, e.g. 2026-M12")],
    area: Annotated[str, Query(description="Area code")] = "VN",
    made_before: Annotated[str | None, Query(description="Only forecasts made by then")] = None,
) -> list[PastForecastOut]:
    """What was forecast for one period, by every stored forecast, newest first."""
    found = get_indicator(session, indicator, visible_to=caller)
    wanted = Period.parse_for(period, Frequency(found.frequency))
    past = forecasts_for_period(
        session,
        indicator=indicator,
        area=area,
        period=wanted,
        made_before=parse_instant(made_before, field="made_before"),
    )
    return [past_out(p) for p in past]


@router.get("/forecasts/{forecast_id}", response_model=ForecastOut)
def read_stored_forecast(
    session: DbSession, caller: DataReader, forecast_id: RowId
) -> ForecastOut:
    """One stored forecast, as it was made."""
    row = session.get(Forecast, forecast_id)
    result = load_result(session, row) if row is not None else None
    if result is None:
        raise NotFound(f"forecast {forecast_id} does not exist")
    get_indicator(session, result.indicator, visible_to=caller)
    return forecast_out(result)


@router.get("/forecast-runs", response_model=list[RunOut])
def list_runs(session: DbSession, caller: DataReader) -> list[RunOut]:
    """The latest forecast runs, newest first."""
    runs = session.scalars(select(ForecastRun).order_by(ForecastRun.id.desc()).limit(RUNS_LISTED))
    return [run_out(run) for run in runs]


@router.get("/forecast-runs/{run_id}", response_model=RunOut)
def read_run(session: DbSession, caller: DataReader, run_id: RowId) -> RunOut:
    """One run with every model failure and refused series, and why."""
    run = session.get(ForecastRun, run_id)
    if run is None:
        raise NotFound(f"forecast run {run_id} does not exist")
    failures = session.scalars(
        select(ForecastFailure)
        .where(ForecastFailure.run_id == run_id)
        .order_by(ForecastFailure.id)
    )
    return run_out(run, list(failures))


@router.post("/forecast-runs", response_model=RunOut, status_code=201)
def start_run(
    request: Request, session: DbSession, caller: ForecastRunner, body: RunRequest
) -> RunOut:
    """Forecast every series of the given indicators now, as one run (answered when done)."""
    for code in body.indicators:
        get_indicator(session, code, visible_to=caller)
    refs = series_to_forecast(session, indicators=body.indicators)
    if not refs:
        raise InvalidRequest(
            "the indicators have no stored values to forecast", field="indicators"
        )
    run = run_forecasts(session, refs, trigger="request")
    audit.record(
        session,
        "forecast.run",
        by=actor_of(request, caller),
        object_type="forecast_run",
        object_id=run.id,
        summary=f"forecast {len(refs)} series of {', '.join(body.indicators)}",
    )
    session.commit()
    return run_out(run)


@router.get("/forecast-accuracy", response_model=list[AccuracyOut])
def read_accuracy(
    session: DbSession,
    caller: DataReader,
    indicator: Annotated[str | None, Query(description="Only this indicator")] = None,
) -> list[AccuracyOut]:
    """Realised accuracy of past forecasts by indicator and model."""
    if indicator is not None:
        get_indicator(session, indicator, visible_to=caller)
    records = accuracy_records(session, indicator=indicator)
    return [accuracy_out(r) for r in records if _visible(session, r.indicator, caller)]


def _visible(session: Session, indicator: str, caller: Principal) -> bool:
    try:
        get_indicator(session, indicator, visible_to=caller)
    except NotFound:
        return False
    return True
