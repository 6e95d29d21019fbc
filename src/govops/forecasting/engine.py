"""Choosing and fitting a model for one series: rolling-origin backtests, then a forecast.

Methods (statsforecast implementations, with references in their documentation):

- seasonal naive: repeats the value of the same period a season earlier (the baseline
  every choice must beat; plain naive for series without a season);
- AutoETS: exponential smoothing state-space models chosen by AICc (Hyndman et al. 2008);
- Theta (Assimakopoulos and Nikolopoulos 2000), OptimizedTheta and
  DynamicOptimizedTheta (Fiorucci et al. 2016);
- AutoARIMA (Hyndman and Khandakar 2008), only for quarterly, half-yearly and yearly
  series: on monthly and daily series it costs tens of times more than the others for
  little gain on the bench (see bench/forecast_accuracy.py);
- an ensemble: the mean of AutoETS and DynamicOptimizedTheta (and AutoARIMA where it
  runs); its interval bounds are the means of the members' bounds.

Each candidate forecasts from several origins at the end of the series (rolling-origin
cross-validation; parameters estimated at the first origin and carried forward to the
later ones, as statsforecast does without refitting) and is scored by the mean of its
MASE and sMAPE, each relative to the seasonal naive. The forecast is then the mean of
the three single models with the lowest scores, leaving out any with more than twice
the best's: a combination of the best by backtest ("forecast pooling", Kourentzes,
Barrow and Petropoulos 2019). With a few backtest origins the single best is often best
by chance, and averaging the leaders beat picking one on the competition data of
bench/forecast_accuracy.py; where one model is clearly better it is used alone. Its
interval bounds are the means of its members' bounds; the combination is scored on the
same backtest from its members' forecasts there, its coverage recorded beside the
errors, and where the backtest found its intervals too narrow they are widened to match
it (calibration.py). ``EngineOptions(pool=1)`` picks the single best instead.

A model that raises is dropped, and the failure is logged and returned with the series
key and the reason. A series too short to backtest gets the baseline, and says so.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np

from govops.core.periods import Frequency
from govops.forecasting.calibration import widen, widening
from govops.forecasting.metrics import Floats, coverage, mase, mase_scale, smape
from govops.forecasting.prepare import PreparedSeries, season_length

log = logging.getLogger(__name__)

LEVELS = (80, 95)


class ModelName(StrEnum):
    SEASONAL_NAIVE = "SeasonalNaive"
    NAIVE = "Naive"
    AUTO_ETS = "AutoETS"
    THETA = "Theta"
    OPTIMIZED_THETA = "OptimizedTheta"
    DYNAMIC_OPTIMIZED_THETA = "DynamicOptimizedTheta"
    AUTO_ARIMA = "AutoARIMA"
    ENSEMBLE = "Ensemble"
    COMBINATION = "Combination"


SINGLE_MODELS = (
    ModelName.SEASONAL_NAIVE,
    ModelName.AUTO_ETS,
    ModelName.THETA,
    ModelName.OPTIMIZED_THETA,
    ModelName.DYNAMIC_OPTIMIZED_THETA,
    ModelName.AUTO_ARIMA,
)
ENSEMBLE_MEMBERS = (
    ModelName.AUTO_ETS,
    ModelName.DYNAMIC_OPTIMIZED_THETA,
    ModelName.AUTO_ARIMA,
)
# Periods ahead scored in the backtest, and the most origins used.
BACKTEST_HORIZON = {
    Frequency.DAILY: 14,
    Frequency.WEEKLY: 8,
    Frequency.MONTHLY: 12,
    Frequency.QUARTERLY: 4,
    Frequency.HALF_YEARLY: 2,
    Frequency.YEARLY: 2,
}
MAX_ORIGINS = 3
# How many of the best single models by backtest the forecast averages, and how far
# behind the best one may be: a model with more than twice the best's error is left out,
# so a series one model clearly fits is not diluted by the others.
POOL_SIZE = 3
POOL_SPREAD = 2.0
ARIMA_FREQUENCIES = frozenset(
    {Frequency.QUARTERLY, Frequency.HALF_YEARLY, Frequency.YEARLY, Frequency.BIENNIAL}
)


@dataclass(frozen=True)
class EngineOptions:
    """What the engine may try; the defaults are the product's, the bench varies them."""

    models: tuple[ModelName, ...] = (*SINGLE_MODELS, ModelName.ENSEMBLE)
    max_origins: int = MAX_ORIGINS
    # None: AutoARIMA only at the frequencies where its cost is justified.
    arima_frequencies: frozenset[Frequency] | None = ARIMA_FREQUENCIES
    # Forced model: skip the choice (the bench scores each single model this way).
    only: ModelName | None = None
    # The best single models averaged; 1 picks the best candidate alone.
    pool: int = POOL_SIZE


@dataclass
class ModelScore:
    mase: float
    smape: float | None
    coverage80: float
    coverage95: float
    origins: int
    points: int
    relative: float = float("nan")
    # Factors that would have made the backtest's intervals hold their nominal share.
    widen80: float = 1.0
    widen95: float = 1.0

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "mase": round(self.mase, 4),
            "smape": None if self.smape is None else round(self.smape, 4),
            "coverage80": round(self.coverage80, 4),
            "coverage95": round(self.coverage95, 4),
            "origins": self.origins,
            "points": self.points,
            "relative": round(self.relative, 4),
            "widen80": round(self.widen80, 4),
            "widen95": round(self.widen95, 4),
        }


# One backtest origin of one model: the actuals, its forecast of them, the MASE scale.
Backtested = tuple[Floats, "Fitted", float]


@dataclass(frozen=True)
class ModelFailure:
    model: str
    stage: str
    reason: str


@dataclass
class Fitted:
    """The forecast arrays of one model: mean and the bounds at 80% and 95%."""

    mean: Floats
    lo80: Floats
    hi80: Floats
    lo95: Floats
    hi95: Floats
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class SeriesForecast:
    key: str
    model: ModelName
    reason: str
    backtest_horizon: int
    scores: dict[str, ModelScore]
    fitted: Fitted
    failures: list[ModelFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def forecast_prepared(
    key: str,
    frequency: Frequency,
    series: PreparedSeries,
    horizon: int,
    options: EngineOptions | None = None,
) -> SeriesForecast:
    """Choose a model for ``series`` by backtest and forecast ``horizon`` periods."""
    options = options or EngineOptions()
    season = season_length(frequency)
    y = series.values
    step = BACKTEST_HORIZON.get(frequency, 1)
    origins = _origins(len(y), step, season, options.max_origins)
    failures: list[ModelFailure] = []

    if options.only is not None:
        members = _members(_candidates(frequency, replace(options, only=None)))
        return _forced(key, options.only, series, season, horizon, step, failures, members)
    candidates = _candidates(frequency, options)
    if not origins:
        return _baseline(key, series, season, horizon, step, failures)

    scores, runs = _backtest(
        key, y, season, step, origins, candidates, series.crosses_zero, failures
    )
    ranked = _rank(scores, season, crosses_zero=series.crosses_zero)
    if options.pool > 1:
        pooled = _pooled(key, series, horizon, season, ranked, scores, runs, options, failures)
        if pooled is not None:
            combined, used = pooled
            reason = _pool_reason(used, scores, step, origins, frequency)
            return SeriesForecast(
                key, ModelName.COMBINATION, reason, step, scores, combined, failures
            )
    members = _members(candidates)
    for position, model in enumerate(ranked):
        fitted = _run(
            key,
            model,
            y,
            horizon,
            season,
            series.crosses_zero,
            failures,
            "final fit",
            members=members,
        )
        if fitted is not None:
            _calibrate(fitted, scores[str(model)])
            reason = _reason(model, scores, step, origins, ranked[:position], frequency)
            return SeriesForecast(key, model, reason, step, scores, fitted, failures)
    return _baseline(key, series, season, horizon, step, failures)


def _origins(n: int, step: int, season: int, max_origins: int) -> list[int]:
    """Training lengths for the backtest: each origin leaves ``step`` periods to score."""
    min_train = max(2 * season + 2, 8)
    count = min(max_origins, (n - min_train) // step)
    return [n - k * step for k in range(count, 0, -1)] if count >= 1 else []


def _candidates(frequency: Frequency, options: EngineOptions) -> list[ModelName]:
    allowed = options.arima_frequencies
    candidates = []
    for model in options.models:
        if model is ModelName.AUTO_ARIMA and allowed is not None and frequency not in allowed:
            continue
        candidates.append(model)
    if ModelName.SEASONAL_NAIVE not in candidates:
        candidates.insert(0, ModelName.SEASONAL_NAIVE)
    return candidates


def _members(candidates: list[ModelName]) -> tuple[ModelName, ...]:
    """The ensemble's members: AutoETS, DynamicOptimizedTheta, and AutoARIMA where tried."""
    chosen = tuple(m for m in ENSEMBLE_MEMBERS if m in candidates)
    return chosen if len(chosen) >= 2 else ENSEMBLE_MEMBERS[:2]


def _backtest(
    key: str,
    y: Floats,
    season: int,
    step: int,
    origins: list[int],
    candidates: list[ModelName],
    crosses_zero: bool,
    failures: list[ModelFailure],
) -> tuple[dict[str, ModelScore], dict[ModelName, list[Backtested]]]:
    """Every candidate's scores, and its forecasts at each origin (to score combinations)."""
    errors: dict[ModelName, list[Backtested]] = {m: [] for m in candidates}
    broken: set[ModelName] = set()
    members = _members(candidates)
    earlier: dict[ModelName, Any] = {}
    for train in origins:
        history, actual = y[:train], y[train : train + step]
        scale = mase_scale(history, season)
        cache: dict[ModelName, Fitted | None] = {}
        for model in candidates:
            if model in broken:
                continue
            stage = f"backtest from origin {train}"
            fitted = _run(
                key,
                model,
                history,
                step,
                season,
                crosses_zero,
                failures,
                stage,
                members=members,
                cache=cache,
                earlier=earlier,
            )
            if fitted is None:
                broken.add(model)
                continue
            errors[model].append((actual, fitted, scale))
    kept = {model: found for model, found in errors.items() if model not in broken and found}
    scores = {str(model): _score(found, crosses_zero) for model, found in kept.items()}
    return scores, kept


def _score(found: list[Backtested], crosses_zero: bool) -> ModelScore:
    def joined(name: str) -> Floats:
        return np.concatenate([getattr(f, name) for _a, f, _s in found])

    actual = np.concatenate([a for a, _f, _s in found])
    mean = joined("mean")
    return ModelScore(
        mase=float(np.mean([mase(a, f.mean, s) for a, f, s in found])),
        smape=None if crosses_zero else smape(actual, mean),
        coverage80=coverage(actual, joined("lo80"), joined("hi80")),
        coverage95=coverage(actual, joined("lo95"), joined("hi95")),
        origins=len(found),
        points=len(actual),
        widen80=widening(actual, mean, joined("lo80"), joined("hi80"), 80),
        widen95=widening(actual, mean, joined("lo95"), joined("hi95"), 95),
    )


def _pooled(
    key: str,
    series: PreparedSeries,
    horizon: int,
    season: int,
    ranked: list[ModelName],
    scores: dict[str, ModelScore],
    runs: dict[ModelName, list[Backtested]],
    options: EngineOptions,
    failures: list[ModelFailure],
) -> tuple[Fitted, list[ModelName]] | None:
    """The mean of the best single models that fit the whole series; None if under two.

    A leader that fails in the final fit is replaced by the next single model in line,
    and the failure is recorded. The combination is scored on the backtest from the
    members' forecasts there, and its intervals are calibrated on that score.
    """
    singles = [m for m in ranked if m in SINGLE_MODELS]
    if not singles:
        return None
    best = scores[str(singles[0])].relative
    singles = [m for m in singles if scores[str(m)].relative <= POOL_SPREAD * best]
    used: list[ModelName] = []
    parts: list[Fitted] = []
    cache: dict[ModelName, Fitted | None] = {}
    for model in singles:
        if len(used) == options.pool:
            break
        fitted = _run(
            key,
            model,
            series.values,
            horizon,
            season,
            series.crosses_zero,
            failures,
            "final fit",
            cache=cache,
        )
        if fitted is not None:
            used.append(model)
            parts.append(fitted)
    if len(used) < 2:
        return None

    combined = _mean_of(parts)
    combined.parameters = {
        "members": [str(m) for m in used],
        "member_parameters": {str(m): f.parameters for m, f in zip(used, parts, strict=True)},
    }
    score = _score(_pool_backtest([runs[m] for m in used]), series.crosses_zero)
    baseline = scores.get(str(ModelName.SEASONAL_NAIVE))
    score.relative = _relative(score, baseline, series.crosses_zero)
    scores[str(ModelName.COMBINATION)] = score
    _calibrate(combined, score)
    return combined, used


def _pool_backtest(members: list[list[Backtested]]) -> list[Backtested]:
    """The combination's forecast at each backtest origin: its members' forecasts averaged."""
    return [
        (origin[0][0], _mean_of([fitted for _a, fitted, _s in origin]), origin[0][2])
        for origin in zip(*members, strict=True)
    ]


def _mean_of(parts: list[Fitted]) -> Fitted:
    def averaged(name: str) -> Floats:
        return np.asarray(np.mean([getattr(f, name) for f in parts], axis=0), dtype=float)

    mean, lo80, hi80 = averaged("mean"), averaged("lo80"), averaged("hi80")
    # Members with (near) zero spread can leave a bound a rounding error past the mean.
    lo80, hi80 = np.minimum(lo80, mean), np.maximum(hi80, mean)
    lo95, hi95 = np.minimum(averaged("lo95"), lo80), np.maximum(averaged("hi95"), hi80)
    return Fitted(mean, lo80, hi80, lo95, hi95)


def _pool_reason(
    used: list[ModelName],
    scores: dict[str, ModelScore],
    step: int,
    origins: list[int],
    frequency: Frequency,
) -> str:
    pooled = scores[str(ModelName.COMBINATION)]
    names = ", ".join(map(str, used[:-1])) + f" and {used[-1]}"
    text = (
        f"{ModelName.COMBINATION}: mean of {names}, the {len(used)} single models with the "
        f"lowest backtest error over {len(origins)} origin(s), {step} "
        f"{frequency.label_en.lower()} period(s) ahead each (together MASE {pooled.mase:.2f}"
    )
    if pooled.smape is not None:
        text += f", sMAPE {pooled.smape:.1f}%"
    baseline = scores.get(str(ModelName.SEASONAL_NAIVE))
    if baseline is not None:
        text += f"; seasonal naive MASE {baseline.mase:.2f}"
    text += ")"
    if pooled.widen80 > 1.0 or pooled.widen95 > 1.0:
        text += (
            f"; intervals widened ×{pooled.widen80:.2f} (80%) and ×{pooled.widen95:.2f} (95%), "
            "as the backtest found them too narrow"
        )
    return text


def _calibrate(fitted: Fitted, score: ModelScore) -> None:
    """Widen the final intervals by the backtest's factors, keeping 80% inside 95%."""
    if score.widen80 == 1.0 and score.widen95 == 1.0:
        return
    fitted.lo80, fitted.hi80 = widen(fitted.mean, fitted.lo80, fitted.hi80, score.widen80)
    fitted.lo95, fitted.hi95 = widen(fitted.mean, fitted.lo95, fitted.hi95, score.widen95)
    fitted.lo95 = np.minimum(fitted.lo95, fitted.lo80)
    fitted.hi95 = np.maximum(fitted.hi95, fitted.hi80)
    fitted.parameters["interval_widening"] = {
        "80": round(score.widen80, 4),
        "95": round(score.widen95, 4),
    }


def _rank(scores: dict[str, ModelScore], season: int, *, crosses_zero: bool) -> list[ModelName]:
    """Models best first by their errors relative to the baseline (ties: simpler first)."""
    baseline = scores.get(str(ModelName.SEASONAL_NAIVE))
    for score in scores.values():
        score.relative = _relative(score, baseline, crosses_zero)
    order = list(scores)
    return [
        ModelName(name)
        for name in sorted(
            order, key=lambda name: (round(scores[name].relative, 9), order.index(name))
        )
    ]


def _relative(score: ModelScore, baseline: ModelScore | None, crosses_zero: bool) -> float:
    if baseline is None:
        return score.mase
    mase_ratio = score.mase / baseline.mase if baseline.mase > 0 else score.mase + 1.0
    if crosses_zero or score.smape is None or baseline.smape is None:
        return mase_ratio
    smape_ratio = score.smape / baseline.smape if baseline.smape > 0 else score.smape + 1.0
    return (mase_ratio + smape_ratio) / 2


def _reason(
    model: ModelName,
    scores: dict[str, ModelScore],
    step: int,
    origins: list[int],
    failed_first: list[ModelName],
    frequency: Frequency,
) -> str:
    chosen = scores[str(model)]
    text = (
        f"{model}: lowest backtest error over {len(origins)} origin(s), {step} "
        f"{frequency.label_en.lower()} period(s) ahead each (MASE {chosen.mase:.2f}"
    )
    if chosen.smape is not None:
        text += f", sMAPE {chosen.smape:.1f}%"
    baseline = scores.get(str(ModelName.SEASONAL_NAIVE))
    if baseline is not None and model is not ModelName.SEASONAL_NAIVE:
        text += f"; seasonal naive MASE {baseline.mase:.2f}"
    text += ")"
    if chosen.widen80 > 1.0 or chosen.widen95 > 1.0:
        text += (
            f"; intervals widened ×{chosen.widen80:.2f} (80%) and ×{chosen.widen95:.2f} (95%), "
            "as the backtest found them too narrow"
        )
    if failed_first:
        text += "; chosen after " + ", ".join(map(str, failed_first)) + " failed to fit"
    return text


def _baseline(
    key: str,
    series: PreparedSeries,
    season: int,
    horizon: int,
    step: int,
    failures: list[ModelFailure],
) -> SeriesForecast:
    n = len(series.values)
    seasonal = n > season > 1
    model = ModelName.SEASONAL_NAIVE if seasonal else ModelName.NAIVE
    fitted = _run(key, model, series.values, horizon, season, True, failures, "final fit")
    if fitted is None:  # pragma: no cover - the naive methods only fail on empty input
        raise RuntimeError(f"{key}: the baseline could not forecast")
    needed = max(2 * season + 2, 8) + step
    what = "the same period a season earlier" if seasonal else "the last value"
    reason = (
        f"{model}: only {n} values, too short to compare models by backtest (at least "
        f"{needed} are needed); the baseline repeats {what}"
    )
    return SeriesForecast(key, model, reason, step, {}, fitted, failures)


def _forced(
    key: str,
    model: ModelName,
    series: PreparedSeries,
    season: int,
    horizon: int,
    step: int,
    failures: list[ModelFailure],
    members: tuple[ModelName, ...],
) -> SeriesForecast:
    """One named model without a choice (how the bench scores each model on its own)."""
    y = series.values
    fitted = _run(
        key,
        model,
        y,
        horizon,
        season,
        series.crosses_zero,
        failures,
        "final fit",
        members=members,
    )
    if fitted is None:
        return _baseline(key, series, season, horizon, step, failures)
    return SeriesForecast(key, model, f"{model}: named by the caller", step, {}, fitted, failures)


def _run(
    key: str,
    model: ModelName,
    y: Floats,
    h: int,
    season: int,
    crosses_zero: bool,
    failures: list[ModelFailure],
    stage: str,
    *,
    members: tuple[ModelName, ...] = ENSEMBLE_MEMBERS[:2],
    cache: dict[ModelName, Fitted | None] | None = None,
    earlier: dict[ModelName, Any] | None = None,
) -> Fitted | None:
    """Fit one model and forecast; a failure is logged, recorded, and answered with None.

    ``cache`` holds the fits already made on the same history, so the ensemble reuses
    its members' forecasts instead of fitting them again; ``earlier`` holds the models
    fitted at the first backtest origin (see ``_fit_single``).
    """
    cache = {} if cache is None else cache
    if model in cache:
        return cache[model]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if model is ModelName.ENSEMBLE:
                fitted = _ensemble(
                    key, y, h, season, crosses_zero, failures, stage, members, cache, earlier
                )
            else:
                fitted = _fit_single(model, y, h, season, crosses_zero, earlier)
    except Exception as error:  # the library raises bare exceptions of many kinds
        reason = f"{type(error).__name__}: {error}"[:500]
        failures.append(ModelFailure(str(model), stage, reason))
        log.warning(
            "%s failed for %s at %s: %s",
            model,
            key,
            stage,
            reason,
            extra={"series": key, "model": str(model)},
        )
        return None
    if not np.all(np.isfinite(fitted.mean)):
        failures.append(ModelFailure(str(model), stage, "the forecast is not finite"))
        cache[model] = None
        log.warning(
            "%s gave a non-finite forecast for %s at %s",
            model,
            key,
            stage,
            extra={"series": key, "model": str(model)},
        )
        return None
    if caught and stage == "final fit":
        fitted.parameters["warnings"] = sorted({str(w.message)[:200] for w in caught})
    cache[model] = fitted
    return fitted


def _ensemble(
    key: str,
    y: Floats,
    h: int,
    season: int,
    crosses_zero: bool,
    failures: list[ModelFailure],
    stage: str,
    members: tuple[ModelName, ...],
    cache: dict[ModelName, Fitted | None],
    earlier: dict[ModelName, Any] | None,
) -> Fitted:
    parts = []
    for member in members:
        fitted = _run(
            key,
            member,
            y,
            h,
            season,
            crosses_zero,
            failures,
            stage,
            cache=cache,
            earlier=earlier,
        )
        if fitted is not None:
            parts.append((member, fitted))
    if len(parts) < 2:
        raise RuntimeError("fewer than two members of the ensemble could be fitted")

    def averaged(name: str) -> Floats:
        return np.asarray(np.mean([getattr(f, name) for _m, f in parts], axis=0), dtype=float)

    return Fitted(
        averaged("mean"),
        averaged("lo80"),
        averaged("hi80"),
        averaged("lo95"),
        averaged("hi95"),
        parameters={"members": [str(m) for m, _f in parts]},
    )


def _build(model: ModelName, season: int, constant_zero: bool) -> Any:
    # statsforecast (with numba and its compiled code) is imported on the first fit, not
    # with the package: the web server and the command line stay lean until they forecast.
    from statsforecast import models

    additive = "additive" if constant_zero else "multiplicative"
    if model is ModelName.SEASONAL_NAIVE:
        return models.SeasonalNaive(season_length=season)
    if model is ModelName.NAIVE:
        return models.Naive()
    if model is ModelName.AUTO_ETS:
        kind = "AZA" if constant_zero and season > 1 else ("AZN" if constant_zero else "ZZZ")
        return models.AutoETS(season_length=season, model=kind)
    if model is ModelName.AUTO_ARIMA:
        return models.AutoARIMA(season_length=season)
    theta = {
        ModelName.THETA: models.Theta,
        ModelName.OPTIMIZED_THETA: models.OptimizedTheta,
        ModelName.DYNAMIC_OPTIMIZED_THETA: models.DynamicOptimizedTheta,
    }[model]
    return theta(season_length=season, decomposition_type=additive)


def _fit_single(
    model: ModelName,
    y: Floats,
    h: int,
    season: int,
    crosses_zero: bool,
    earlier: dict[ModelName, Any] | None = None,
) -> Fitted:
    """Fit and forecast; with ``earlier``, reuse a fit from the first backtest origin.

    Later backtest origins apply the parameters estimated at the first origin to their
    longer history (statsforecast's ``forward``, as its cross-validation does without
    refitting): the comparison stays fair across models at a fraction of the cost.
    """
    if model is ModelName.SEASONAL_NAIVE and len(y) <= season:
        model = ModelName.NAIVE
    if earlier is not None and model in earlier:
        found = earlier[model].forward(y=y, h=h, level=list(LEVELS))
        parameters: dict[str, Any] = {}
    else:
        built = _build(model, season, crosses_zero).fit(y)
        found = built.predict(h=h, level=list(LEVELS))
        parameters = _parameters(model, built)
        if earlier is not None:
            earlier[model] = built
    return Fitted(
        np.asarray(found["mean"], dtype=float),
        np.asarray(found["lo-80"], dtype=float),
        np.asarray(found["hi-80"], dtype=float),
        np.asarray(found["lo-95"], dtype=float),
        np.asarray(found["hi-95"], dtype=float),
        parameters=parameters,
    )


def _parameters(model: ModelName, built: Any) -> dict[str, Any]:
    """The fitted model's description and scalar parameters, for the stored run."""
    fitted = getattr(built, "model_", None)
    if not isinstance(fitted, dict):
        return {}
    found: dict[str, Any] = {}
    for name in ("method", "components", "modeltype", "aicc", "sigma2", "sigma", "mse"):
        value = fitted.get(name)
        if isinstance(value, str):
            found[name] = value
        elif isinstance(value, int | float | np.floating | np.integer):
            found[name] = round(float(value), 6)
    if isinstance(fitted.get("par"), dict):
        found["par"] = {
            k: round(float(v), 6)
            for k, v in fitted["par"].items()
            if isinstance(v, int | float | np.floating | np.integer)
        }
    if model is ModelName.AUTO_ARIMA:
        from statsforecast.arima import arima_string

        found["method"] = arima_string(fitted).strip()
    return found
