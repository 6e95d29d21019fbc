"""The probability that a period's value meets a target, given the actuals so far.

A target is judged on one value for its period (a year, usually). When the indicator is
measured more often (monthly, quarterly), part of the year is known and the rest is not:
the year's value is a function of the known actuals and of the remaining periods, whose
joint predictive distribution comes from a forecast. This module turns that distribution
into a probability, without knowing where the distribution came from:

- the year's value is formed from its sub-periods by the indicator's time rule (sum,
  mean, last), and then, for targets set on a change, compared with the previous year's
  value (growth in percent, change, reduction);
- with joint sample paths of the remaining periods the probability is the share of paths
  whose year meets the target (Monte Carlo);
- with a Gaussian predictive distribution (means and a covariance) the year's value is
  Gaussian too, because every time rule is linear in the remaining values, and growth is a
  linear function of the year's value: the probability is then exact.

Paths are used rather than the forecast's marginal intervals because the year's sum or
mean depends on how the remaining periods move together; treating them as independent
understates the spread of a year of a random walk several-fold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from govops.catalog.rules import TimeRule

FloatArray = NDArray[np.float64]

DEFAULT_PATHS = 20_000


class Comparator(StrEnum):
    """How a value is compared with the target's figures."""

    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    BETWEEN = "between"
    ABOUT = "about"


class Basis(StrEnum):
    """What of the period is compared: its value, or its change on the previous period."""

    LEVEL = "level"
    # (value / previous value - 1) x 100: "GDP growth at least 8%" on a GDP level series.
    GROWTH = "growth"
    # value - previous value, in the indicator's unit.
    CHANGE = "change"
    # previous value - value: "poverty rate down by 1 to 1.5 percentage points".
    REDUCTION = "reduction"

    @property
    def needs_previous(self) -> bool:
        return self is not Basis.LEVEL


@dataclass(frozen=True)
class Goal:
    """A comparator and its figures; ``about`` means within ``tolerance`` of ``low``."""

    comparator: Comparator
    low: Decimal | None
    high: Decimal | None = None
    tolerance: Decimal | None = None

    def bounds(self) -> tuple[float, float]:
        """The closed interval of values that meet the goal (infinite where open)."""
        low = float(self.low) if self.low is not None else -math.inf
        if self.comparator is Comparator.AT_LEAST:
            return low, math.inf
        if self.comparator is Comparator.AT_MOST:
            return -math.inf, low
        if self.comparator is Comparator.BETWEEN:
            return low, float(self.high) if self.high is not None else math.inf
        tolerance = float(self.tolerance or 0)
        return low - tolerance, low + tolerance

    def is_met_by(self, value: Decimal) -> bool:
        """Exact comparison, for a period whose value is known."""
        assert self.low is not None
        if self.comparator is Comparator.AT_LEAST:
            return value >= self.low
        if self.comparator is Comparator.AT_MOST:
            return value <= self.low
        if self.comparator is Comparator.BETWEEN:
            assert self.high is not None
            return self.low <= value <= self.high
        tolerance = self.tolerance or Decimal(0)
        return abs(value - self.low) <= tolerance

    def share_met(self, values: FloatArray) -> float:
        low, high = self.bounds()
        return float(np.mean((values >= low) & (values <= high)))


class PredictiveDistribution(Protocol):
    """A joint forecast of the next ``horizon`` periods of one series."""

    @property
    def means(self) -> FloatArray: ...

    def sample_paths(self, n: int, seed: int) -> FloatArray:
        """``n`` joint sample paths, an array of n rows by horizon columns."""
        ...


@dataclass(frozen=True)
class GaussianPaths:
    """A multivariate normal predictive distribution; probabilities from it are exact."""

    mean_vector: FloatArray
    covariance: FloatArray

    @property
    def means(self) -> FloatArray:
        return self.mean_vector

    def sample_paths(self, n: int, seed: int) -> FloatArray:
        rng = np.random.default_rng(seed)
        return rng.multivariate_normal(self.mean_vector, self.covariance, size=n)


@dataclass(frozen=True)
class SampledPaths:
    """Sample paths given as they are (from a forecasting engine, or a bootstrap)."""

    paths: FloatArray

    @property
    def means(self) -> FloatArray:
        return np.asarray(self.paths.mean(axis=0), dtype=np.float64)

    def sample_paths(self, n: int, seed: int) -> FloatArray:
        if n >= len(self.paths):
            return self.paths
        rng = np.random.default_rng(seed)
        return self.paths[rng.choice(len(self.paths), size=n, replace=False)]


@dataclass(frozen=True)
class PeriodSoFar:
    """What is known of the target's period: its sub-periods' actuals, in order.

    ``known`` holds the first sub-periods with values; the remaining
    ``parts - len(known)`` are forecast. ``previous`` is the previous period's value,
    formed the same way, which growth, change and reduction need.
    """

    known: Sequence[float]
    parts: int
    time_rule: TimeRule
    basis: Basis = Basis.LEVEL
    previous: float | None = None

    @property
    def remaining(self) -> int:
        return self.parts - len(self.known)

    def __post_init__(self) -> None:
        if len(self.known) > self.parts:
            raise ValueError(f"{len(self.known)} actuals for a period of {self.parts} parts")
        if self.parts > 1 and self.time_rule is TimeRule.NONE:
            raise ValueError("values with time rule 'none' do not form a longer period")
        if self.basis.needs_previous and self.previous is None:
            raise ValueError(f"a target on {self.basis.value} needs the previous period's value")
        if self.basis is Basis.GROWTH and self.previous == 0:
            raise ValueError("growth against a previous value of zero has no meaning")


@dataclass(frozen=True)
class Attainment:
    """The probability of meeting the goal and the distribution of the compared value."""

    probability: float
    expected: float
    lo80: float
    hi80: float
    method: str


def linear_form(so_far: PeriodSoFar) -> tuple[float, FloatArray]:
    """The compared value as ``constant + weights · remaining values``.

    Every time rule is linear in the sub-periods, and every basis is linear in the
    period's value once the previous period is known, so the compared value is an affine
    function of the remaining values.
    """
    known, h, n = np.asarray(so_far.known, dtype=np.float64), so_far.remaining, so_far.parts
    if h == 0:
        raise ValueError("the period is complete; compare its value exactly instead")

    rule = TimeRule.SUM if n == 1 else so_far.time_rule
    if rule is TimeRule.SUM:
        constant, weights = float(known.sum()), np.ones(h)
    elif rule is TimeRule.MEAN:
        constant, weights = float(known.sum()) / n, np.full(h, 1.0 / n)
    else:
        constant, weights = 0.0, np.zeros(h)
        weights[-1] = 1.0
    return _apply_basis(so_far, constant, weights)


def _apply_basis(
    so_far: PeriodSoFar, constant: float, weights: FloatArray
) -> tuple[float, FloatArray]:
    previous = so_far.previous
    if so_far.basis is Basis.LEVEL:
        return constant, weights
    assert previous is not None
    if so_far.basis is Basis.GROWTH:
        scale = 100.0 / previous
        return constant * scale - 100.0, weights * scale
    if so_far.basis is Basis.CHANGE:
        return constant - previous, weights
    return previous - constant, -weights


def attainment_from_paths(
    goal: Goal,
    so_far: PeriodSoFar,
    predictive: PredictiveDistribution,
    *,
    n: int = DEFAULT_PATHS,
    seed: int = 0,
) -> Attainment:
    """Monte Carlo: the share of joint paths whose period meets the goal."""
    constant, weights = linear_form(so_far)
    paths = np.asarray(predictive.sample_paths(n, seed), dtype=np.float64)
    paths = _first_columns(paths, so_far.remaining)
    values = constant + paths @ weights
    lo80, hi80 = np.quantile(values, [0.1, 0.9])
    return Attainment(
        goal.share_met(values),
        float(values.mean()),
        float(lo80),
        float(hi80),
        f"{len(values)} simulated paths of the remaining {so_far.remaining} period(s)",
    )


def attainment_gaussian(goal: Goal, so_far: PeriodSoFar, predictive: GaussianPaths) -> Attainment:
    """Exact: the compared value is normal with mean c + w·mu and variance w'Σw."""
    constant, weights = linear_form(so_far)
    means = _first_columns(predictive.mean_vector[np.newaxis, :], so_far.remaining)[0]
    h = so_far.remaining
    covariance = predictive.covariance[:h, :h]
    mean = constant + float(weights @ means)
    sd = math.sqrt(max(float(weights @ covariance @ weights), 0.0))
    low, high = goal.bounds()
    if sd == 0:
        probability = 1.0 if low <= mean <= high else 0.0
    else:
        probability = _normal_cdf(high, mean, sd) - _normal_cdf(low, mean, sd)
    z80 = 1.2815515655446004
    return Attainment(
        probability,
        mean,
        mean - z80 * sd,
        mean + z80 * sd,
        f"normal distribution of the remaining {h} period(s), exact",
    )


def _first_columns(paths: FloatArray, h: int) -> FloatArray:
    if paths.ndim != 2 or paths.shape[1] < h:
        shape = "x".join(str(size) for size in paths.shape)
        raise ValueError(f"the forecast covers {shape} values; {h} remaining period(s) needed")
    return paths[:, :h]


def _normal_cdf(x: float, mean: float, sd: float) -> float:
    if math.isinf(x):
        return 1.0 if x > 0 else 0.0
    return 0.5 * (1.0 + math.erf((x - mean) / (sd * math.sqrt(2.0))))
