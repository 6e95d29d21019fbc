"""The engine on its own: failures that fall back visibly, calibrated intervals, metrics."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from govops.core.periods import Frequency, Period
from govops.forecasting.calibration import MAX_FACTOR, widening
from govops.forecasting.engine import EngineOptions, ModelName, forecast_prepared
from govops.forecasting.metrics import mase, mase_scale, owa, smape
from govops.forecasting.prepare import prepare


def test_a_model_that_fails_falls_back_to_the_baseline_and_records_why(caplog):
    series = prepare(Frequency.MONTHLY, Period.parse("2025-M01"), [5.0, 7.0, 6.0])
    with caplog.at_level(logging.WARNING, logger="govops.forecasting.engine"):
        found = forecast_prepared(
            "CPI/VN", Frequency.MONTHLY, series, 3, EngineOptions(only=ModelName.AUTO_ETS)
        )
    assert found.model == ModelName.NAIVE
    [failure] = found.failures
    assert (failure.model, failure.stage) == ("AutoETS", "final fit")
    assert "tiny datasets" in failure.reason
    assert "AutoETS failed for CPI/VN" in caplog.text


def test_intervals_too_narrow_in_the_backtest_are_widened_to_match_it():
    actual = np.full(20, 10.0)
    mean = np.zeros(20)
    low, high = mean - 5.0, mean + 5.0  # every actual lies twice the half-width away
    assert widening(actual, mean, low, high, 95) == pytest.approx(2.0)
    assert widening(actual * 100, mean, low, high, 95) == MAX_FACTOR
    assert widening(actual / 10, mean, low, high, 80) == 1.0  # never narrowed
    assert widening(actual[:5], mean[:5], low[:5], high[:5], 80) == 1.0  # too few points


def test_a_series_whose_shocks_grow_gets_wider_intervals_and_says_so():
    rng = np.random.default_rng(3)
    t = np.arange(120)
    noise = rng.normal(0, 1, 120) * np.where(t < 84, 1.0, 12.0)
    y = 500 + 2.0 * t + 20 * np.sin(2 * np.pi * t / 12) + noise
    series = prepare(Frequency.MONTHLY, Period.parse("2016-M01"), list(y))
    found = forecast_prepared("RETAIL_SALES/01", Frequency.MONTHLY, series, 12)
    chosen = found.scores[str(found.model)]
    assert chosen.widen95 > 1.0
    assert "intervals widened" in found.reason
    assert found.fitted.parameters["interval_widening"]["95"] == round(chosen.widen95, 4)
    fitted = found.fitted
    assert np.all(fitted.lo95 <= fitted.lo80) and np.all(fitted.hi80 <= fitted.hi95)


def test_the_competition_measures_give_their_textbook_values():
    actual, forecast = np.array([100.0, 0.0, 50.0]), np.array([110.0, 0.0, 40.0])
    assert smape(actual, forecast) == pytest.approx(200 / 3 * (10 / 210 + 0 + 10 / 90))
    history = np.array([1.0, 2.0, 4.0, 7.0])
    assert mase_scale(history, 1) == pytest.approx(2.0)
    assert mase(actual, forecast, 2.0) == pytest.approx(20 / 3 / 2)
    assert mase_scale(np.full(30, 3.0), 12) == 1.0  # constant: defined, not infinite
    assert owa(smape_value=5, mase_value=1, smape_benchmark=10, mase_benchmark=1) == 0.75


def noisy_trend(seed: int = 11) -> list[float]:
    rng = np.random.default_rng(seed)
    return list(200 + np.cumsum(rng.normal(1.0, 4.0, 96)))


def test_several_models_close_in_the_backtest_are_averaged_and_named():
    series = prepare(Frequency.MONTHLY, Period.parse("2018-M01"), noisy_trend())
    found = forecast_prepared("EXPORTS/VN", Frequency.MONTHLY, series, 12)

    assert found.model is ModelName.COMBINATION
    members = found.fitted.parameters["members"]
    assert 2 <= len(members) <= 3 and "Ensemble" not in members
    best = min(found.scores[name].relative for name in found.scores if name != "Combination")
    assert all(found.scores[name].relative <= 2 * best for name in members)
    assert f"mean of {members[0]}" in found.reason
    assert found.scores["Combination"].points == found.scores[members[0]].points
    fitted = found.fitted
    assert np.all(fitted.lo95 <= fitted.lo80) and np.all(fitted.lo80 <= fitted.mean)
    assert np.all(fitted.mean <= fitted.hi80) and np.all(fitted.hi80 <= fitted.hi95)


def test_the_combination_is_the_mean_of_its_members_own_forecasts():
    series = prepare(Frequency.MONTHLY, Period.parse("2018-M01"), noisy_trend())
    found = forecast_prepared("EXPORTS/VN", Frequency.MONTHLY, series, 12)
    alone = [
        forecast_prepared(
            "EXPORTS/VN", Frequency.MONTHLY, series, 12, EngineOptions(only=ModelName(name))
        ).fitted.mean
        for name in found.fitted.parameters["members"]
    ]
    assert found.fitted.mean == pytest.approx(np.mean(alone, axis=0))


def test_a_pool_of_one_picks_the_single_best_model():
    series = prepare(Frequency.MONTHLY, Period.parse("2018-M01"), noisy_trend())
    found = forecast_prepared("EXPORTS/VN", Frequency.MONTHLY, series, 12, EngineOptions(pool=1))
    assert found.model is not ModelName.COMBINATION
    assert found.scores[str(found.model)].relative == min(
        s.relative for s in found.scores.values()
    )
