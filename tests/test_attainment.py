"""The probability of meeting a target, checked on series whose true answer is known.

The series are Gaussian random walks: given the last actual, the remaining months are the
last actual plus cumulative sums of independent normal steps, so the year's sum, mean or
last value is normal with a variance that has a closed form. Each probability computed by
the module is compared with that closed form, both from exact Gaussian paths and from sample
paths simulated here, independently of the module.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from govops.catalog.rules import TimeRule
from govops.targets.attainment import (
    Basis,
    Comparator,
    GaussianPaths,
    Goal,
    PeriodSoFar,
    SampledPaths,
    attainment_from_paths,
    attainment_gaussian,
)

SIGMA = 2.0


def normal_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def random_walk_forecast(last: float, horizon: int, sigma: float = SIGMA) -> GaussianPaths:
    """The exact predictive distribution of a driftless Gaussian random walk."""
    steps = np.arange(1, horizon + 1)
    covariance = sigma**2 * np.minimum.outer(steps, steps).astype(float)
    return GaussianPaths(np.full(horizon, last), covariance)


def simulated_random_walk(last: float, horizon: int, n: int, seed: int) -> SampledPaths:
    rng = np.random.default_rng(seed)
    return SampledPaths(last + np.cumsum(rng.normal(0, SIGMA, (n, horizon)), axis=1))


def year_so_far(known: list[float], **fields: object) -> PeriodSoFar:
    defaults: dict[str, object] = {"parts": 12, "time_rule": TimeRule.SUM}
    return PeriodSoFar(known=known, **{**defaults, **fields})  # type: ignore[arg-type]


def at_least(value: float) -> Goal:
    return Goal(Comparator.AT_LEAST, Decimal(str(value)))


KNOWN_MONTHS = [100.0, 101.5, 99.0, 102.0, 103.0]  # January to May; June to December remain


def test_a_yearly_sum_of_a_random_walk_meets_its_target_with_the_closed_form_probability():
    remaining = 7
    # Sum of the 7 remaining months = 7 x last + sum over m of m x step: variance σ² Σ m².
    mean = sum(KNOWN_MONTHS) + remaining * KNOWN_MONTHS[-1]
    sd = SIGMA * math.sqrt(sum(m * m for m in range(1, remaining + 1)))
    target = mean + 0.5 * sd
    truth = 1 - normal_cdf(0.5)

    so_far = year_so_far(KNOWN_MONTHS)
    exact = attainment_gaussian(at_least(target), so_far, random_walk_forecast(103.0, 7))
    simulated = attainment_from_paths(
        at_least(target), so_far, simulated_random_walk(103.0, 7, 100_000, seed=1), n=100_000
    )

    assert exact.probability == pytest.approx(truth, abs=1e-9)
    assert exact.expected == pytest.approx(mean)
    assert simulated.probability == pytest.approx(truth, abs=0.01)
    assert (simulated.lo80, simulated.hi80) == pytest.approx(
        (mean - 1.2816 * sd, mean + 1.2816 * sd), rel=0.01
    )


def test_paths_drawn_from_a_gaussian_forecast_agree_with_its_exact_probability():
    so_far = year_so_far(KNOWN_MONTHS)
    forecast = random_walk_forecast(103.0, 7)
    goal = at_least(1240)

    exact = attainment_gaussian(goal, so_far, forecast)
    simulated = attainment_from_paths(goal, so_far, forecast, n=100_000, seed=7)

    assert 0.05 < exact.probability < 0.95
    assert simulated.probability == pytest.approx(exact.probability, abs=0.01)


def test_treating_the_remaining_months_as_independent_would_understate_the_risk():
    so_far = year_so_far(KNOWN_MONTHS)
    joint = random_walk_forecast(103.0, 7)
    independent = GaussianPaths(joint.mean_vector, np.diag(np.diag(joint.covariance)))
    goal = at_least(1240)

    with_paths = attainment_gaussian(goal, so_far, joint)
    margins_only = attainment_gaussian(goal, so_far, independent)

    assert with_paths.hi80 - with_paths.lo80 > 1.5 * (margins_only.hi80 - margins_only.lo80)


def test_an_average_growth_target_compares_the_years_mean_with_last_years_mean():
    # Average CPI growth: the mean of this year's monthly levels against last year's mean.
    previous_mean = 100.0
    known = [103.0, 103.5, 104.0]  # January to March; nine months remain
    remaining = 9
    mean_level = (sum(known) + remaining * 104.0) / 12
    sd_level = SIGMA * math.sqrt(sum(m * m for m in range(1, remaining + 1))) / 12
    goal = Goal(Comparator.AT_MOST, Decimal("4.5"))  # at most 4.5% growth
    truth = normal_cdf((previous_mean * 1.045 - mean_level) / sd_level)

    so_far = year_so_far(
        known, time_rule=TimeRule.MEAN, basis=Basis.GROWTH, previous=previous_mean
    )
    exact = attainment_gaussian(goal, so_far, random_walk_forecast(104.0, remaining))
    simulated = attainment_from_paths(
        goal, so_far, simulated_random_walk(104.0, remaining, 100_000, seed=2), n=100_000
    )

    assert exact.expected == pytest.approx((mean_level / previous_mean - 1) * 100)
    assert exact.probability == pytest.approx(truth, abs=1e-9)
    assert simulated.probability == pytest.approx(truth, abs=0.01)


def test_a_stock_judged_at_year_end_depends_only_on_the_last_quarter():
    # Credit outstanding: the year's value is December's (time rule last); quarterly here.
    known = [1000.0]  # Q1; three quarters remain, the year-end is three steps away
    goal = Goal(Comparator.BETWEEN, Decimal("1000"), Decimal("1004"))
    truth = normal_cdf(4 / (SIGMA * math.sqrt(3))) - normal_cdf(0)

    so_far = year_so_far(known, parts=4, time_rule=TimeRule.LAST)
    exact = attainment_gaussian(goal, so_far, random_walk_forecast(1000.0, 3))

    assert exact.probability == pytest.approx(truth, abs=1e-9)
    assert exact.expected == pytest.approx(1000.0)


def test_a_reduction_target_counts_a_fall_as_progress():
    # Poverty rate down by 1.0 to 1.5 points from last year's 4.0: this year 2.5 to 3.0.
    goal = Goal(Comparator.BETWEEN, Decimal("1.0"), Decimal("1.5"))
    forecast = GaussianPaths(np.array([2.8]), np.array([[0.04]]))
    so_far = PeriodSoFar(
        known=[], parts=1, time_rule=TimeRule.NONE, basis=Basis.REDUCTION, previous=4.0
    )

    result = attainment_gaussian(goal, so_far, forecast)

    assert result.expected == pytest.approx(1.2)
    assert result.probability == pytest.approx(normal_cdf(1.0) - normal_cdf(-1.5), abs=1e-9)


def test_about_a_value_means_within_its_tolerance():
    goal = Goal(Comparator.ABOUT, Decimal("95.5"), tolerance=Decimal("0.5"))

    assert goal.is_met_by(Decimal("95.0"))
    assert goal.is_met_by(Decimal("96.0"))
    assert not goal.is_met_by(Decimal("96.01"))
    assert goal.bounds() == (95.0, 96.0)


def test_a_forecast_shorter_than_the_remaining_periods_is_refused():
    so_far = year_so_far(KNOWN_MONTHS)

    with pytest.raises(ValueError, match="7 remaining period"):
        attainment_from_paths(at_least(0), so_far, random_walk_forecast(103.0, 3))


def test_a_growth_target_without_last_years_value_is_refused():
    with pytest.raises(ValueError, match="previous period's value"):
        year_so_far(KNOWN_MONTHS, basis=Basis.GROWTH)
