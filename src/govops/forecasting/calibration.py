"""Widening intervals that the backtest showed too narrow.

Model-based intervals assume the model is right; on real series they are often too
narrow (the bench shows 95% intervals holding four actuals in five on M3 monthly data).
The backtest already holds forecasts and actuals from several origins, so each point's
error can be set against its interval's half-width on the side it fell. The factor that
would have made the backtest's 80% (95%) intervals hold 80% (95%) of its actuals is the
80% (95%) quantile of those ratios, a split-conformal adjustment of the interval's scale
(in the spirit of Lei et al. 2018, with the model's own width as the local scale).

Only widening is applied, never narrowing: with three origins the quantile is uncertain,
and an interval too wide misleads less than one too narrow. The factor is capped, and
not used below a minimum number of backtest points; both are recorded in the forecast's
parameters.
"""

from __future__ import annotations

import numpy as np

from govops.forecasting.metrics import Floats

MIN_POINTS = 6
MAX_FACTOR = 3.0


def widening(actual: Floats, mean: Floats, low: Floats, high: Floats, level: int) -> float:
    """The factor on the half-widths that would have given the nominal backtest coverage."""
    if len(actual) < MIN_POINTS:
        return 1.0
    above = actual >= mean
    half = np.where(above, high - mean, mean - low)
    error = np.abs(actual - mean)
    ratios = np.divide(error, half, out=np.full_like(error, np.inf), where=half > 0)
    ratios[(error == 0)] = 0.0
    wanted = float(np.quantile(ratios, level / 100, method="higher"))
    if not np.isfinite(wanted):
        return 1.0
    return float(min(max(wanted, 1.0), MAX_FACTOR))


def widen(mean: Floats, low: Floats, high: Floats, factor: float) -> tuple[Floats, Floats]:
    return mean - factor * (mean - low), mean + factor * (high - mean)
