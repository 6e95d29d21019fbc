"""The baseline predictive distribution, used when no stored forecast covers a series.

Two textbook benchmarks, both Gaussian so that attainment probabilities from them are
exact (Hyndman and Athanasopoulos, Forecasting: Principles and Practice, 3rd ed., 5.2):

- seasonal naive with drift for monthly and quarterly series with at least two full
  seasons: each remaining period is the same period a year earlier plus the mean
  year-on-year change, with independent errors of the year-on-year changes' variance;
- random walk with drift otherwise: the last value plus the mean change per period, with
  errors that accumulate step by step.

Known shortcoming: both ignore parameter uncertainty and any structure beyond drift, so
their intervals are narrower than they should be for long horizons. They are what the
attainment probability falls back on, and the answer says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from govops.core.periods import Frequency
from govops.targets.attainment import FloatArray, GaussianPaths

SEASON = {Frequency.MONTHLY: 12, Frequency.QUARTERLY: 4}
# Recent behaviour matters more than a decade ago: drift and spread from the last years.
LOOKBACK_YEARS = 3
MIN_HISTORY = 3


def baseline_forecast(
    history: Sequence[float], frequency: Frequency, horizon: int
) -> tuple[GaussianPaths, str] | None:
    """The next ``horizon`` periods after ``history`` (oldest first, no gaps), and the
    method's name; None when there are fewer than three values to learn from."""
    values = np.asarray(history, dtype=np.float64)
    season = SEASON.get(frequency, 1)
    if season > 1 and len(values) >= 2 * season + 1 and horizon <= season:
        return _seasonal_naive(values, season, horizon), "seasonal naive with drift"
    if len(values) < MIN_HISTORY:
        return None
    return _random_walk(values, season, horizon), "random walk with drift"


def _seasonal_naive(values: FloatArray, season: int, horizon: int) -> GaussianPaths:
    recent = values[-(LOOKBACK_YEARS * season + season) :]
    changes = recent[season:] - recent[:-season]
    drift, spread = float(changes.mean()), float(changes.std(ddof=1))

    # Within one season each remaining period has its own year-earlier value and error.
    means = values[len(values) - season : len(values) - season + horizon] + drift
    return GaussianPaths(means, spread**2 * np.eye(horizon))


def _random_walk(values: FloatArray, season: int, horizon: int) -> GaussianPaths:
    recent = values[-(LOOKBACK_YEARS * max(season, 1) + 1) :]
    changes = np.diff(recent)
    drift = float(changes.mean())
    spread = float(changes.std(ddof=1)) if len(changes) > 1 else abs(drift)

    steps = np.arange(1, horizon + 1)
    means = values[-1] + drift * steps
    covariance = spread**2 * np.minimum.outer(steps, steps).astype(np.float64)
    return GaussianPaths(means, covariance)
