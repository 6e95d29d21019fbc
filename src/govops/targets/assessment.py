"""A target's status, computed from the figures every time it is asked for.

- The period's value is known (every sub-period has an actual): achieved or missed, by an
  exact comparison of the value formed by the indicator's time rule.
- Otherwise the probability of meeting the target, from the actuals so far and a
  predictive distribution of the remaining sub-periods, gives on track, at risk or off
  track by the administrator's thresholds.
- Without enough data for either, the status is unknown and the reason says why.

Only the leading run of sub-periods with actuals counts as known. Known shortcoming: an
actual that arrives after a gap (May reported, April missing) is forecast over rather than
used, until the gap is filled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

import numpy as np
from sqlalchemy.orm import Session

from govops.catalog.models import Area, Indicator
from govops.catalog.rules import TimeRule
from govops.core.periods import Frequency, Period
from govops.datastore.query import PeriodRange, SeriesReader
from govops.targets.attainment import (
    Basis,
    GaussianPaths,
    Goal,
    PeriodSoFar,
    PredictiveDistribution,
    SampledPaths,
    attainment_from_paths,
    attainment_gaussian,
)
from govops.targets.baseline import baseline_forecast
from govops.targets.forecasts import stored_forecast
from govops.targets.models import Target
from govops.targets.service import Thresholds, get_thresholds, goal_of, period_of

HISTORY_YEARS = 6
# Forecast observations (status F) and missing ones are not actuals.
NOT_ACTUAL = frozenset({"F", "M"})

# A source of forecasts: the indicator and area, the first period wanted and how many;
# it answers a distribution and its method's name, or None when it has none.
ForecastSource = Callable[
    [Session, Indicator, Area, Period, int], "tuple[PredictiveDistribution, str] | None"
]


class Status(StrEnum):
    ACHIEVED = "achieved"
    MISSED = "missed"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    UNKNOWN = "unknown"

    @property
    def label_vi(self) -> str:
        return _LABELS_VI[self]

    @property
    def label_en(self) -> str:
        return self.value.replace("_", " ")


_LABELS_VI = {
    Status.ACHIEVED: "Đạt",
    Status.MISSED: "Không đạt",
    Status.ON_TRACK: "Đúng tiến độ",
    Status.AT_RISK: "Có nguy cơ không đạt",
    Status.OFF_TRACK: "Chệch hướng",
    Status.UNKNOWN: "Chưa đánh giá được",
}


@dataclass(frozen=True)
class Assessment:
    target: Target
    indicator: Indicator
    area: Area
    period: Period
    status: Status
    probability: float | None = None
    value: Decimal | None = None
    expected: float | None = None
    lo80: float | None = None
    hi80: float | None = None
    latest_period: Period | None = None
    latest_value: Decimal | None = None
    known_parts: int = 0
    parts: int = 1
    method: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class _Actuals:
    known: list[Decimal]
    parts: list[Period]
    previous: Decimal | None
    previous_reason: str | None
    history: list[tuple[Period, Decimal]]


def assess_target(
    session: Session,
    target: Target,
    *,
    forecasts: ForecastSource | None = stored_forecast,
    thresholds: Thresholds | None = None,
) -> Assessment:
    """The target's status with the numbers it follows from.

    Remaining periods are forecast by ``forecasts`` (by default the series' stored
    forecast), and by the baseline when it has none.
    """
    indicator = session.get_one(Indicator, target.indicator_id)
    area = session.get_one(Area, target.area_id)
    period, goal, basis = period_of(target), goal_of(target), Basis(target.basis)
    actuals = _read_actuals(session, indicator, area, period, basis)
    base = _base(target, indicator, area, period, actuals)

    if basis.needs_previous and actuals.previous is None:
        return _unknown(base, actuals.previous_reason or "the previous period is not known")
    if len(actuals.known) == len(actuals.parts):
        return _judged(base, goal, basis, indicator, actuals)
    return _forecast(
        session, base, goal, basis, actuals, forecasts, thresholds or get_thresholds(session)
    )


def _base(
    target: Target, indicator: Indicator, area: Area, period: Period, actuals: _Actuals
) -> Assessment:
    latest = actuals.history[-1] if actuals.history else None
    return Assessment(
        target,
        indicator,
        area,
        period,
        Status.UNKNOWN,
        latest_period=latest[0] if latest else None,
        latest_value=latest[1] if latest else None,
        known_parts=len(actuals.known),
        parts=len(actuals.parts),
    )


def _read_actuals(
    session: Session, indicator: Indicator, area: Area, period: Period, basis: Basis
) -> _Actuals:
    native = Frequency(indicator.frequency)
    parts = period.subperiods(native)
    first = parts[0].shift(-HISTORY_YEARS * max(len(parts), 1))
    series = SeriesReader(session, indicator).read(area, PeriodRange(first, parts[-1]))
    values = {
        Period(native, start): cell.value
        for start, cell in series.cells.items()
        if cell.value is not None and cell.status not in NOT_ACTUAL
    }

    known: list[Decimal] = []
    for part in parts:
        if part not in values:
            break
        known.append(values[part])
    history = _trailing_run(values, parts[len(known) - 1] if known else parts[0].previous())

    previous, reason = None, None
    if basis.needs_previous:
        previous, reason = _previous_value(values, period.previous(), indicator)
    return _Actuals(known, parts, previous, reason, history)


def _trailing_run(values: dict[Period, Decimal], last: Period) -> list[tuple[Period, Decimal]]:
    """The run of consecutive actuals ending at the latest one not after ``last``."""
    candidates = [period for period in values if period <= last]
    if not candidates:
        return []
    period, run = max(candidates), []
    while period in values:
        run.append((period, values[period]))
        period = period.previous()
    return run[::-1]


def _previous_value(
    values: dict[Period, Decimal], previous: Period, indicator: Indicator
) -> tuple[Decimal | None, str | None]:
    parts = previous.subperiods(Frequency(indicator.frequency))
    found = [values[part] for part in parts if part in values]
    if len(found) < len(parts):
        return None, (
            f"{previous.code} is needed to compare with and {len(found)} of its "
            f"{len(parts)} period(s) are known"
        )
    return form_value(found, TimeRule(indicator.time_rule)), None


def form_value(values: list[Decimal], rule: TimeRule) -> Decimal:
    """The value of a whole period from its sub-periods' values, by the time rule."""
    if len(values) == 1 or rule is TimeRule.LAST:
        return values[-1]
    total = sum(values, Decimal(0))
    return total if rule is TimeRule.SUM else total / len(values)


def compared_value(value: Decimal, basis: Basis, previous: Decimal | None) -> Decimal:
    if basis is Basis.LEVEL:
        return value
    assert previous is not None
    if basis is Basis.GROWTH:
        return (value / previous - 1) * 100
    return value - previous if basis is Basis.CHANGE else previous - value


def _judged(
    base: Assessment, goal: Goal, basis: Basis, indicator: Indicator, actuals: _Actuals
) -> Assessment:
    value = compared_value(
        form_value(actuals.known, TimeRule(indicator.time_rule)), basis, actuals.previous
    )
    met = goal.is_met_by(value)
    return _replace(
        base,
        status=Status.ACHIEVED if met else Status.MISSED,
        probability=1.0 if met else 0.0,
        value=value,
        method="actuals of the whole period",
    )


def _forecast(
    session: Session,
    base: Assessment,
    goal: Goal,
    basis: Basis,
    actuals: _Actuals,
    forecasts: ForecastSource | None,
    thresholds: Thresholds,
) -> Assessment:
    first_missing = actuals.parts[len(actuals.known)]
    if not actuals.history:
        return _unknown(base, "no actuals to forecast from")
    start = actuals.history[-1][0].next()
    offset = len(Period.span(start, first_missing)) - 1
    horizon = offset + len(actuals.parts) - len(actuals.known)

    found = forecasts(session, base.indicator, base.area, start, horizon) if forecasts else None
    if found is None:
        history = [float(value) for _, value in actuals.history]
        found = baseline_forecast(history, Frequency(base.indicator.frequency), horizon)
    if found is None:
        return _unknown(base, "too little history to forecast the remaining periods")

    predictive, method = found
    so_far = PeriodSoFar(
        known=[float(value) for value in actuals.known],
        parts=len(actuals.parts),
        time_rule=TimeRule(base.indicator.time_rule),
        basis=basis,
        previous=float(actuals.previous) if actuals.previous is not None else None,
    )
    window = _window(predictive, offset, so_far.remaining)
    if isinstance(window, GaussianPaths):
        result = attainment_gaussian(goal, so_far, window)
    else:
        result = attainment_from_paths(goal, so_far, window)
    return _replace(
        base,
        status=_status(result.probability, thresholds),
        probability=result.probability,
        expected=result.expected,
        lo80=result.lo80,
        hi80=result.hi80,
        method=f"{method}; {result.method}",
    )


def _window(
    predictive: PredictiveDistribution, offset: int, length: int
) -> GaussianPaths | SampledPaths:
    """The forecast of the target's remaining sub-periods, skipping late periods before."""
    end = offset + length
    if isinstance(predictive, GaussianPaths):
        return GaussianPaths(
            predictive.mean_vector[offset:end], predictive.covariance[offset:end, offset:end]
        )
    paths = np.asarray(predictive.sample_paths(5_000, 0), dtype=np.float64)
    return SampledPaths(paths[:, offset:end])


def _status(probability: float, thresholds: Thresholds) -> Status:
    if probability >= float(thresholds.on_track_from):
        return Status.ON_TRACK
    if probability < float(thresholds.off_track_below):
        return Status.OFF_TRACK
    return Status.AT_RISK


def _unknown(base: Assessment, reason: str) -> Assessment:
    return _replace(base, status=Status.UNKNOWN, reason=reason)


def _replace(base: Assessment, **changes: object) -> Assessment:
    return replace(base, **changes)  # type: ignore[arg-type]


def assess_all(
    session: Session,
    targets: list[Target],
    *,
    forecasts: ForecastSource | None = stored_forecast,
) -> list[Assessment]:
    thresholds = get_thresholds(session)
    return [
        assess_target(session, target, forecasts=forecasts, thresholds=thresholds)
        for target in targets
    ]
