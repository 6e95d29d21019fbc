"""Forecast runs over many series: coherent provinces, serial and Dask alike."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sqlalchemy import select

from govops.catalog.areas import areas_on
from govops.core.db import transaction
from govops.forecasting.batch import SeriesRef, run_forecasts, series_to_forecast
from govops.forecasting.models import Forecast, ForecastFailure, ForecastValue
from govops.forecasting.service import latest_forecast
from tests.test_forecast_service import seasonal, write


def provinces(store) -> list[str]:
    with store.session() as session:
        return [area.code for area in areas_on(session, date(2026, 1, 1), level="province")]


def fill_provinces(store, codes: list[str]) -> None:
    for i, code in enumerate(codes):
        values = seasonal(16, level=100 + 10 * i, trend=1, swing=5, noise=2, seed=i)
        write(store, "RETAIL_SALES", code, "2025-M07", values)
    write(store, "RETAIL_SALES", "VN", "2025-M07", seasonal(16, level=9000, seed=99))


def run(store, refs, **options):
    with transaction(store.sessions) as session:
        made = run_forecasts(session, refs, trigger="command", **options)
        return made.id


def means_of_run(store, run_id: int) -> dict[tuple[int, date], float]:
    with store.session() as session:
        rows = session.execute(
            select(Forecast.area_id, ForecastValue.period_start, ForecastValue.mean)
            .join(Forecast, Forecast.id == ForecastValue.forecast_id)
            .where(Forecast.run_id == run_id)
        )
        return {(area, start): mean for area, start, mean in rows}


def test_the_series_to_forecast_are_the_current_areas_with_data_and_the_nation(store):
    write(store, "RETAIL_SALES", "01", "2024-M01", ["1", "2", "3"])
    write(store, "RETAIL_SALES", "02", "2024-M01", ["1", "2", "3"])  # Hà Giang, now in 08
    write(store, "CPI", "VN", "2024-M01", ["100", "101", "102"])
    with store.session() as session:
        refs = series_to_forecast(session, indicators=["RETAIL_SALES", "CPI"])
    assert refs == [
        SeriesRef("CPI", "VN"),
        SeriesRef("RETAIL_SALES", "VN"),
        SeriesRef("RETAIL_SALES", "01"),
    ]


def test_provincial_forecasts_of_an_additive_indicator_add_up_to_the_nations(store):
    codes = provinces(store)
    fill_provinces(store, codes)
    refs = [SeriesRef("RETAIL_SALES", "VN"), *(SeriesRef("RETAIL_SALES", c) for c in codes)]
    run(store, refs)
    with store.session() as session:
        nation = latest_forecast(session, indicator="RETAIL_SALES", area="VN")
        parts = [latest_forecast(session, indicator="RETAIL_SALES", area=c) for c in codes]
    assert nation is not None and nation.reconciliation == "MinTrace(wls_struct)"
    for step, point in enumerate(nation.points):
        total = sum(part.points[step].mean for part in parts if part is not None)
        assert total == pytest.approx(point.mean, rel=1e-9)
    assert any("add up to the nation" in note for note in nation.notes)


def test_a_refused_series_is_recorded_in_the_run_with_its_reason(store):
    write(store, "RETAIL_SALES", "01", "2025-M01", ["100"])
    run_id = run(store, [SeriesRef("RETAIL_SALES", "01")])
    with store.session() as session:
        failure = session.scalars(
            select(ForecastFailure).where(ForecastFailure.run_id == run_id)
        ).one()
    assert failure.model is None and "1 value(s) known" in failure.reason


def test_a_run_on_a_dask_cluster_stores_the_same_forecasts_as_a_serial_run(store):
    distributed = pytest.importorskip("distributed")
    write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(96))
    write(store, "CPI", "VN", "2018-M01", seasonal(96, level=100, trend=0.3, swing=1, noise=0.2))
    write(store, "EXPORTS", "VN", "2020-M01", seasonal(60, level=30000, noise=400))
    refs = [SeriesRef("RETAIL_SALES", "01"), SeriesRef("CPI", "VN"), SeriesRef("EXPORTS", "VN")]
    serial = means_of_run(store, run(store, refs))
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = means_of_run(store, run(store, refs, scheduler=client))
    assert len(serial) > 30
    assert on_dask == serial
    assert np.all(np.isfinite(list(serial.values())))
