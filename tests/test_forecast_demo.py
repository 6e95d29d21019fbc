"""The demo's forecasting: headline series forecast now and half a year before."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from sqlalchemy import select

from govops.core.db import transaction
from govops.core.periods import Period
from govops.datastore.bulk import load_csv_file
from govops.forecasting.accuracy import accuracy_records
from govops.forecasting.demo import build_forecasting_demo
from govops.forecasting.models import ForecastRun
from tests.test_forecast_service import seasonal

AS_OF = datetime(2026, 11, 20, 3, tzinfo=UTC)


def load_cpi_with_two_releases(store, folder: Path) -> None:
    start = Period.parse("2018-M01")
    lines = ["indicator,area,period,value,recorded_at"]
    for i, value in enumerate(seasonal(106, level=100, trend=0.3, swing=1, noise=0.2)):
        period = start.shift(i)  # to 2026-M10; from 2026-M05 on released in November
        recorded = (
            "2026-11-10T02:00:00+00:00"
            if period.start.month >= 5 and (period.start.year == 2026)
            else "2026-05-10T02:00:00+00:00"
        )
        lines.append(f"CPI,VN,{period.code},{value},{recorded}")
    path = folder / "cpi.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with transaction(store.sessions) as session:
        load_csv_file(session, path)


def test_the_demo_forecasts_half_a_year_ago_and_now_and_has_errors_to_show(store, tmp_path):
    load_cpi_with_two_releases(store, tmp_path)
    with (
        transaction(store.sessions) as session,
        Progress(console=Console(file=io.StringIO())) as bar,
    ):
        build_forecasting_demo(session, AS_OF, bar)
    with store.session() as session:
        runs = session.scalars(select(ForecastRun).order_by(ForecastRun.id)).all()
        [record] = accuracy_records(session, indicator="CPI")
    assert [run.trigger for run in runs] == ["demo", "demo"]
    assert runs[0].series_count - runs[0].refused_count >= 1
    assert record.points == 6  # 2026-M05 to 2026-M10, forecast in May, known since
