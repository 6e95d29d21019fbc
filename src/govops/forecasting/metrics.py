"""Accuracy measures of the forecasting competitions (M3, M4), written for our series.

- sMAPE, symmetric mean absolute percentage error, in percent:
  ``200 · mean(|y − ŷ| / (|y| + |ŷ|))``. A term where actual and forecast are both zero
  counts as a perfect forecast. It means little for series that cross zero (a trade
  balance), so callers leave it out of model choice there.
- MASE, mean absolute scaled error: the absolute errors divided by the in-sample mean
  absolute error of the seasonal naive forecast (Hyndman and Koehler, 2006). Below 1 is
  better than repeating last season's value in-sample.
- OWA, overall weighted average (M4): the mean of a method's sMAPE and MASE, each
  relative to those of a benchmark (seasonal-naive-adjusted naive in M4; our benchmark is
  named by the caller).
- Coverage: the share of actuals inside an interval.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]


def smape(actual: Floats, forecast: Floats) -> float:
    denominator = np.abs(actual) + np.abs(forecast)
    terms = np.divide(
        np.abs(actual - forecast),
        denominator,
        out=np.zeros_like(denominator, dtype=float),
        where=denominator > 0,
    )
    return float(200.0 * np.mean(terms))


def mase_scale(history: Floats, season_length: int) -> float:
    """The in-sample mean absolute error of the seasonal naive forecast.

    Falls back to the naive (lag 1) forecast when the history is shorter than two
    seasons, and to 1.0 for a constant history, so that MASE stays defined: a constant
    series forecast exactly scores 0 either way.
    """
    lag = season_length if len(history) > season_length else 1
    if len(history) <= lag:
        return 1.0
    scale = float(np.mean(np.abs(history[lag:] - history[:-lag])))
    if scale > 0:
        return scale
    if lag > 1:
        return mase_scale(history, 1)
    return 1.0


def mase(actual: Floats, forecast: Floats, scale: float) -> float:
    return float(np.mean(np.abs(actual - forecast)) / scale)


def coverage(actual: Floats, low: Floats, high: Floats) -> float:
    return float(np.mean((actual >= low) & (actual <= high)))


def owa(
    *, smape_value: float, mase_value: float, smape_benchmark: float, mase_benchmark: float
) -> float:
    """M4's overall weighted average against a benchmark; 1.0 means as good as it."""
    smape_ratio = smape_value / smape_benchmark if smape_benchmark > 0 else 1.0
    mase_ratio = mase_value / mase_benchmark if mase_benchmark > 0 else 1.0
    return (smape_ratio + mase_ratio) / 2
