"""Making provincial forecasts add up to the national one, for additive indicators.

Forecasts chosen series by series do not add up: the provinces' means rarely sum to the
nation's. For an indicator whose areas combine by sum, the means are reconciled with the
minimum-trace method (Wickramasuriya, Athanasopoulos and Hyndman, 2019) as implemented
in hierarchicalforecast, with the structural scaling (``wls_struct``): it needs no
in-sample residuals, so it works the same for every model the engine may choose.

Known shortcoming: the intervals are moved with their mean, keeping their width; they
are not themselves reconciled, so a province's interval and the nation's are each right
on their own, but paths drawn from them do not add up exactly.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np

from govops.forecasting.jobs import JobOutcome

log = logging.getLogger(__name__)

METHOD = "MinTrace(wls_struct)"


def reconcile_sum(nation: JobOutcome, provinces: list[JobOutcome]) -> str | None:
    """Reconcile in place; answer the method, or None with the reason logged."""
    reason = _cannot(nation, provinces)
    if reason is not None:
        log.info("%s not reconciled: %s", nation.key, reason, extra={"series": nation.key})
        return None
    outcomes = [nation, *provinces]
    means = np.vstack([o.forecast.fitted.mean for o in outcomes if o.forecast is not None])
    structure = np.vstack([np.ones((1, len(provinces))), np.eye(len(provinces))])
    tags = {"nation": np.array([0]), "province": np.arange(1, len(outcomes))}
    # Imported here, like statsforecast: only a forecast run needs it.
    from hierarchicalforecast.methods import MinTrace

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reconciled = MinTrace(method="wls_struct").fit_predict(S=structure, y_hat=means, tags=tags)
    for outcome, row in zip(outcomes, reconciled["mean"], strict=True):
        assert outcome.forecast is not None
        fitted = outcome.forecast.fitted
        shift = np.asarray(row, dtype=float) - fitted.mean
        fitted.mean = fitted.mean + shift
        fitted.lo80, fitted.hi80 = fitted.lo80 + shift, fitted.hi80 + shift
        fitted.lo95, fitted.hi95 = fitted.lo95 + shift, fitted.hi95 + shift
        outcome.reconciliation = METHOD
        outcome.notes.append(
            f"reconciled with {METHOD} so that the {len(provinces)} provinces add up to the "
            f"nation; the mean moved by {_largest(shift):+,.4g} at most, intervals with it"
        )
    return METHOD


def _cannot(nation: JobOutcome, provinces: list[JobOutcome]) -> str | None:
    everyone = [nation, *provinces]
    if not provinces:
        return "no provincial forecasts"
    refused = [o.key for o in everyone if o.forecast is None]
    if refused:
        return "no forecast for " + ", ".join(refused[:5])
    if len({o.last_observed for o in everyone}) > 1:
        return "the areas' last actuals are not for the same period"
    if len({o.horizon for o in everyone}) > 1:
        return "the areas' horizons differ"
    return None


def _largest(shift: np.ndarray) -> float:
    return float(shift[np.argmax(np.abs(shift))])
