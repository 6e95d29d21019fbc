"""The stored forecast of a series as a predictive distribution for attainment.

A stored forecast is used only when it was made from data ending just before the first
period we need, so its paths start where the actuals stop. A forecast made before the
latest actuals arrived would ignore them; the baseline (see
:mod:`govops.targets.baseline`) is used instead, and the answer names which was used.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from govops.catalog.models import Area, Indicator
from govops.core.periods import Period
from govops.forecasting.service import latest_forecast
from govops.targets.attainment import DEFAULT_PATHS, PredictiveDistribution, SampledPaths

PATH_SEED = 20_250_101


def stored_forecast(
    session: Session, indicator: Indicator, area: Area, first: Period, horizon: int
) -> tuple[PredictiveDistribution, str] | None:
    """Paths of the next ``horizon`` periods from ``first``, from the newest stored forecast
    of the series; None when there is none that starts at ``first`` and reaches far enough."""
    result = latest_forecast(session, indicator=indicator.code, area=area.code)
    if result is None or result.last_observed.next() != first or result.horizon < horizon:
        return None
    paths = result.sample_paths(DEFAULT_PATHS, seed=PATH_SEED)[:, :horizon]
    made = result.made_at.date().isoformat()
    return SampledPaths(paths), f"forecast {result.id} ({result.model}, made {made})"
