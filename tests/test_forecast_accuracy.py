"""New data starts forecasts on its own; realised errors build the accuracy record."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from govops.core.db import transaction
from govops.forecasting.accuracy import accuracy_records, measure_realised_errors
from govops.forecasting.follow import Follower, forecast_new_data
from govops.forecasting.models import ForecastRun, RealisedError
from govops.forecasting.service import latest_forecast
from tests.test_forecast_service import forecast, seasonal, write


def follow(store):
    with transaction(store.sessions) as session:
        run = forecast_new_data(session)
        return None if run is None else (run.id, run.trigger, run.series_count)


def test_new_data_starts_a_forecast_run_for_its_indicator_once(store):
    write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(96))
    started = follow(store)
    again = follow(store)
    assert started is not None and started[1] == "new data"
    assert started[2] == 2  # Hà Nội and the nation it adds up to
    assert again is None


def test_a_background_follower_forecasts_data_stored_after_it_started(store):
    follower = Follower(store.sessions, every=0.2)
    follower.start()
    try:
        write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(96))
        deadline = time.monotonic() + 120
        while (found := latest_run(store)) is None:
            assert time.monotonic() < deadline, "no forecast run followed the new data"
            time.sleep(0.2)
    finally:
        follower.stop()
    assert found == ("new data", 2)
    with store.session() as session:
        assert latest_forecast(session, indicator="RETAIL_SALES", area="01") is not None


def latest_run(store):
    with store.session() as session:
        run = session.scalars(
            select(ForecastRun).where(ForecastRun.finished_at.is_not(None))
        ).first()
        return None if run is None else (run.trigger, run.series_count)


def test_new_inputs_of_a_derived_indicator_forecast_it_too(store):
    write(store, "EXPORTS", "VN", "2018-M01", seasonal(96, level=30000))
    write(store, "IMPORTS", "VN", "2018-M01", seasonal(96, level=29000, seed=4))
    follow(store)
    with store.session() as session:
        derived = latest_forecast(session, indicator="TRADE_BALANCE", area="VN")
    assert derived is not None
    assert derived.points[0].mean == pytest.approx(1000, abs=400)


def test_realised_errors_accumulate_into_an_accuracy_record_by_indicator_and_model(store):
    write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(90))  # to 2025-M06
    made = forecast(store)
    write(store, "RETAIL_SALES", "01", "2025-M07", seasonal(93)[90:])  # three actuals
    with transaction(store.sessions) as session:
        measured = measure_realised_errors(session)
        measured_again = measure_realised_errors(session)
    with store.session() as session:
        records = accuracy_records(session, indicator="RETAIL_SALES")
        errors = session.scalars(select(RealisedError).order_by(RealisedError.step)).all()
    assert (measured, measured_again) == (3, 0)
    assert [e.step for e in errors] == [1, 2, 3]
    assert errors[0].error == pytest.approx(errors[0].actual - made.points[0].mean)
    [record] = records
    assert (record.indicator, record.model, record.forecasts, record.points) == (
        "RETAIL_SALES",
        made.model,
        1,
        3,
    )
    assert 0 <= record.coverage80 <= record.coverage95 <= 1
    assert record.mase == pytest.approx(sum(e.scaled_error for e in errors) / 3)
