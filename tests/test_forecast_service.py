"""Forecasting a stored series: model choice, intervals, reuse, bad input, history."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest

from govops.core.db import transaction
from govops.core.errors import InvalidRequest
from govops.core.periods import Period
from govops.datastore.writes import store_observations
from govops.forecasting.result import Reach
from govops.forecasting.service import (
    SeriesTooShort,
    forecast_series,
    forecasts_for_period,
    latest_forecast,
)
from tests.factories import payload, row


def write(store, indicator: str, area: str, first: str, values):
    start = Period.parse(first)
    rows = [
        row(i + 1, indicator=indicator, area=area, period=start.shift(i).code, value=value)
        for i, value in enumerate(values)
        if value is not None
    ]
    with transaction(store.sessions) as session:
        return store_observations(session, rows, payload())


def seasonal(n: int, *, level=1000.0, trend=5.0, swing=80.0, noise=10.0, seed=1) -> list[str]:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = level + trend * t + swing * np.sin(2 * np.pi * t / 12) + rng.normal(0, noise, n)
    return [f"{v:.1f}" for v in y]


def forecast(store, indicator="RETAIL_SALES", area="01", **options):
    with transaction(store.sessions) as session:
        return forecast_series(session, indicator=indicator, area=area, **options)


def test_a_seasonal_monthly_series_gets_the_model_its_backtest_favours(store):
    write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(96))
    result = forecast(store)
    assert result.model not in ("SeasonalNaive", "Naive")
    assert {"SeasonalNaive", "AutoETS", "Theta", "DynamicOptimizedTheta", "Ensemble"} <= set(
        result.scores
    )
    chosen = result.scores[result.model]
    assert chosen["relative"] == min(score["relative"] for score in result.scores.values())
    assert chosen["mase"] < result.scores["SeasonalNaive"]["mase"]
    assert "lowest backtest error" in result.reason


def test_the_default_horizon_runs_to_the_end_of_the_year_after_the_last_actual(store):
    write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(94))  # to 2025-M10
    result = forecast(store)
    assert result.last_observed == Period.parse("2025-M10")
    assert [p.period.code for p in result.points][:2] == ["2025-M11", "2025-M12"]
    assert result.points[-1].period == Period.parse("2026-M12")
    assert [p.reach for p in result.points[:4]] == [Reach.SHORT] * 3 + [Reach.MEDIUM]


def test_every_point_has_nested_intervals_around_its_mean(store):
    write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(96))
    for point in forecast(store).points:
        assert point.lo95 <= point.lo80 <= point.mean <= point.hi80 <= point.hi95
        assert point.hi95 - point.lo95 > point.hi80 - point.lo80


def test_the_same_data_reuses_the_stored_forecast_and_new_data_makes_a_new_one(store):
    write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(96))
    first = forecast(store)
    again = forecast(store)
    write(store, "RETAIL_SALES", "01", "2026-M01", ["1500"])
    renewed = forecast(store)
    assert again.id == first.id
    assert renewed.id != first.id
    assert renewed.last_observed == Period.parse("2026-M01")


def test_a_forecast_as_of_an_instant_uses_only_what_was_known_then(store):
    receipt = write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(84))
    write(store, "RETAIL_SALES", "01", "2025-M01", seasonal(12, level=2000, seed=3))
    then = forecast(store, as_of=receipt.received_at)
    now = forecast(store)
    assert then.last_observed == Period.parse("2024-M12")
    assert then.vintage == receipt.received_at
    assert now.last_observed == Period.parse("2025-M12")


def test_what_was_forecast_for_a_period_can_be_read_back_by_when_it_was_made(store):
    receipt = write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(86))  # to 2025-M02
    march = forecast(store)
    write(store, "RETAIL_SALES", "01", "2025-M03", seasonal(6, level=1400, seed=4))
    later = forecast(store)
    december = Period.parse("2025-M12")
    with store.session() as session:
        every = forecasts_for_period(session, indicator="RETAIL_SALES", area="01", period=december)
        by_then = forecasts_for_period(
            session,
            indicator="RETAIL_SALES",
            area="01",
            period=december,
            made_before=later.made_at - timedelta(microseconds=1),
        )
    assert [f.forecast_id for f in every] == [later.id, march.id]
    assert [f.forecast_id for f in by_then] == [march.id]
    assert by_then[0].point.mean == march.point(december).mean
    assert by_then[0].step == 10
    assert receipt.received_at <= by_then[0].made_at


def test_the_latest_forecast_is_none_before_any_run_and_the_newest_after(store):
    with store.session() as session:
        assert latest_forecast(session, indicator="RETAIL_SALES", area="01") is None
    write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(96))
    made = forecast(store)
    with store.session() as session:
        found = latest_forecast(session, indicator="RETAIL_SALES", area="01")
    assert found is not None and found.id == made.id and found.points == made.points


def test_a_series_too_short_to_backtest_gets_the_baseline_and_says_so(store):
    write(store, "RETAIL_SALES", "01", "2025-M01", ["100", "104", "103", "108", "110"])
    result = forecast(store)
    assert result.model == "Naive"
    assert "too short to compare models" in result.reason
    assert result.points[0].mean == pytest.approx(110)
    assert result.points[0].lo95 < 110 < result.points[0].hi95


def test_a_single_value_is_refused_with_the_reason(store):
    write(store, "RETAIL_SALES", "01", "2025-M01", ["100"])
    with pytest.raises(SeriesTooShort, match=r"1 value.*at least 3"):
        forecast(store)


def test_a_horizon_beyond_the_frequencys_limit_is_refused_naming_the_field(store):
    write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(96))
    with pytest.raises(InvalidRequest) as refused:
        forecast(store, horizon=120)
    assert refused.value.extensions["field"] == "horizon"


def test_gaps_are_bridged_and_named_in_the_notes(store):
    values: list[str | None] = list(seasonal(96))
    values[40] = values[41] = None
    write(store, "RETAIL_SALES", "01", "2018-M01", values)
    result = forecast(store)
    assert any("2 missing period(s)" in note and "2021-M05" in note for note in result.notes)
    assert all(math.isfinite(p.mean) for p in result.points)


def test_a_series_with_negatives_uses_additive_models_and_scores_on_mase(store):
    rng = np.random.default_rng(7)
    exports = rng.normal(30_000, 600, 96)
    imports = exports - rng.normal(200, 900, 96)
    write(store, "EXPORTS", "VN", "2018-M01", [f"{v:.1f}" for v in exports])
    write(store, "IMPORTS", "VN", "2018-M01", [f"{v:.1f}" for v in imports])
    result = forecast(store, indicator="TRADE_BALANCE", area="VN")
    assert any("negative" in note for note in result.notes)
    assert all(score["smape"] is None for score in result.scores.values())
    assert result.points[0].lo95 < 0 < result.points[0].hi95


def test_a_change_of_unit_is_detected_and_the_history_rescaled(store):
    values = seasonal(96, level=1000, noise=5)
    values = [f"{float(v) / 1000:.4f}" for v in values[:60]] + values[60:]
    write(store, "RETAIL_SALES", "01", "2018-M01", values)
    result = forecast(store)
    assert any("change of unit" in note and "2023-M01" in note for note in result.notes)
    assert result.points[0].mean > 500


def test_a_level_shift_at_the_merger_is_taken_out_of_the_history(store):
    # Tuyên Quang (08) took in Hà Giang (02) on 1 July 2025; its history before is their
    # sum, but its own reports since then are on a level 600 higher.
    before = 90  # 2018-M01 to 2025-M06
    write(store, "RETAIL_SALES", "08", "2018-M01", seasonal(before, trend=0, noise=2, seed=1))
    write(store, "RETAIL_SALES", "02", "2018-M01", seasonal(before, trend=0, noise=2, seed=2))
    write(store, "RETAIL_SALES", "08", "2025-M07", seasonal(6, level=2600, trend=0, noise=2))
    result = forecast(store, area="08")
    assert any("assembled from predecessors" in note for note in result.notes)
    assert any("level shift" in note and "2025-M07" in note for note in result.notes)
    assert result.points[0].mean == pytest.approx(2600, rel=0.05)


def test_sample_paths_match_the_intervals_point_by_point(store):
    write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(96))
    result = forecast(store)
    paths = result.sample_paths(20_000, seed=5)
    assert paths.shape == (20_000, result.horizon)
    for i in (0, result.horizon - 1):
        low, high = np.quantile(paths[:, i], [0.025, 0.975])
        width = result.points[i].hi95 - result.points[i].lo95
        assert low == pytest.approx(result.points[i].lo95, abs=0.03 * width)
        assert high == pytest.approx(result.points[i].hi95, abs=0.03 * width)
    assert np.array_equal(paths, result.sample_paths(20_000, seed=5))
    assert np.corrcoef(paths[:, 0], paths[:, 1])[0, 1] > 0.5


def test_a_yearly_indicator_reaches_ten_years_labelled_a_trend_projection(store):
    growth = [f"{6 + 0.1 * (i % 4):.1f}" for i in range(16)]  # 2010 to 2025
    write(store, "GDP_GROWTH_A", "VN", "2010", growth)
    result = forecast(store, indicator="GDP_GROWTH_A", area="VN")
    assert [p.period.code for p in result.points] == [str(y) for y in range(2026, 2036)]
    assert result.points[0].reach is Reach.SHORT
    assert result.trend_projection_from == Period.parse("2027")
    widths = [p.hi95 - p.lo95 for p in result.points]
    assert widths[-1] > widths[0]
