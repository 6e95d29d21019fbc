"""Tables of forecasting: runs, forecasts with their points, failures, realised errors.

Forecast values are statistical estimates with their uncertainty, stored as binary
floating point (double precision); they are never added into accounts, so the
exact-decimal rule for stored observations and money does not apply to them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Double, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govops.core.db import Base, UTCDateTime


class ForecastRun(Base):
    """One pass of the engine over a set of series (one series, an indicator, or all)."""

    __tablename__ = "forecast_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # command, request, new data, demo
    trigger: Mapped[str] = mapped_column(String(20))
    # "serial", or the address of the Dask scheduler the run used
    executor: Mapped[str] = mapped_column(String(200), default="serial")
    status: Mapped[str] = mapped_column(String(20))
    series_count: Mapped[int] = mapped_column(Integer, default=0)
    refused_count: Mapped[int] = mapped_column(Integer, default=0)
    fallback_count: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)


class Forecast(Base):
    """The forecast of one series made in a run, with what it was made from and how.

    ``vintage`` is the newest ``recorded_at`` among the values the model saw, and
    ``as_of`` the instant the data was read at (None: the latest known when made), so
    the same question asked again with the same data reuses this row.
    """

    __tablename__ = "forecast"
    __table_args__ = (
        Index("ix_forecast_series_made", "indicator_id", "area_id", "dims_key", "made_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("forecast_run.id"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    dims_key: Mapped[str] = mapped_column(String(300), default="")
    frequency: Mapped[str] = mapped_column(String(4))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)
    as_of: Mapped[datetime | None] = mapped_column(UTCDateTime)
    vintage: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_observed: Mapped[date] = mapped_column(Date)
    last_observed: Mapped[date] = mapped_column(Date)
    observed_count: Mapped[int] = mapped_column(Integer)
    horizon: Mapped[int] = mapped_column(Integer)
    model: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    # JSON texts: the fitted model's parameters, every candidate's backtest scores, and
    # the notes on what was done to the input.
    parameters: Mapped[str] = mapped_column(Text, default="{}")
    scores: Mapped[str] = mapped_column(Text, default="{}")
    notes: Mapped[str] = mapped_column(Text, default="[]")
    # The in-sample mean absolute error of the seasonal naive: the MASE scale of
    # realised errors.
    error_scale: Mapped[float] = mapped_column(Double)
    # The reconciliation that made it add up with other areas, if any.
    reconciliation: Mapped[str | None] = mapped_column(String(40))


class ForecastValue(Base):
    """One period ahead: the mean and the 80% and 95% prediction intervals."""

    __tablename__ = "forecast_value"

    forecast_id: Mapped[int] = mapped_column(
        ForeignKey("forecast.id", ondelete="CASCADE"), primary_key=True
    )
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    step: Mapped[int] = mapped_column(Integer)
    mean: Mapped[float] = mapped_column(Double)
    lo80: Mapped[float] = mapped_column(Double)
    hi80: Mapped[float] = mapped_column(Double)
    lo95: Mapped[float] = mapped_column(Double)
    hi95: Mapped[float] = mapped_column(Double)


class ForecastFailure(Base):
    """A model that failed, or a series that could not be forecast, and why."""

    __tablename__ = "forecast_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("forecast_run.id"), index=True)
    forecast_id: Mapped[int | None] = mapped_column(ForeignKey("forecast.id", ondelete="CASCADE"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    # None when the series itself was refused (too few values).
    model: Mapped[str | None] = mapped_column(String(40))
    stage: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)


class RealisedError(Base):
    """How far a forecast point was from the actual, measured when the actual arrived.

    Measured once, against the first value published for the period: that is the value
    a forecast is judged by, and later revisions do not rewrite the record.
    """

    __tablename__ = "forecast_realised_error"

    forecast_id: Mapped[int] = mapped_column(
        ForeignKey("forecast.id", ondelete="CASCADE"), primary_key=True
    )
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    step: Mapped[int] = mapped_column(Integer)
    actual: Mapped[float] = mapped_column(Double)
    error: Mapped[float] = mapped_column(Double)
    scaled_error: Mapped[float] = mapped_column(Double)
    # The sMAPE term (percent), None when actual and forecast are both zero.
    symmetric_percentage_error: Mapped[float | None] = mapped_column(Double)
    inside80: Mapped[bool] = mapped_column(Boolean)
    inside95: Mapped[bool] = mapped_column(Boolean)
    actual_recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ForecastCursor(Base):
    """How far the forecasting has read the event outbox, so new data starts runs once."""

    __tablename__ = "forecast_cursor"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


__all__ = [
    "Forecast",
    "ForecastCursor",
    "ForecastFailure",
    "ForecastRun",
    "ForecastValue",
    "RealisedError",
]
