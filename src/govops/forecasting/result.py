"""What a forecast answers: its points with intervals, and paths drawn from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from govops.core.periods import Frequency, Period

# The normal quantiles of the two-sided 80% and 95% intervals.
Z80 = 1.2815515655446004
Z95 = 1.959963984540054


class Reach(StrEnum):
    """How far ahead a point is: the words the pages use for the fan's parts."""

    SHORT = "short"  # the next one to three periods
    MEDIUM = "medium"  # to the end of the year after the last actual
    LONG = "long"  # beyond: a trend projection, for yearly indicators


@dataclass(frozen=True)
class ForecastPoint:
    period: Period
    mean: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float
    reach: Reach = Reach.SHORT


@dataclass(frozen=True)
class ForecastResult:
    """A stored forecast of one series: model, why it was chosen, and its points."""

    id: int
    run_id: int
    indicator: str
    area: str
    frequency: Frequency
    model: str
    reason: str
    scores: dict[str, dict[str, Any]]
    points: list[ForecastPoint]
    last_observed: Period
    made_at: datetime
    vintage: datetime | None
    as_of: datetime | None = None
    notes: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    reconciliation: str | None = None

    @property
    def horizon(self) -> int:
        return len(self.points)

    @property
    def trend_projection_from(self) -> Period | None:
        """The first point that is a long-range trend projection, if any."""
        return next((p.period for p in self.points if p.reach is Reach.LONG), None)

    def point(self, period: Period) -> ForecastPoint | None:
        return next((p for p in self.points if p.period == period), None)

    def sample_paths(self, n: int, seed: int | None = None) -> NDArray[np.float64]:
        """``n`` joint paths over the horizon (an array n × horizon), for sums and growth.

        Each point's margin matches its intervals: a normal spread whose upper and lower
        halves are scaled so that the 95% bounds are the 2.5% and 97.5% quantiles (the
        80% bounds match too when the model's intervals are normal). Across periods the
        shocks accumulate as in a random walk, so the correlation between steps i ≤ j is
        √(i/j): errors persist, as they do for the level-and-trend models chosen here.
        For a sum over a year this errs on the side of a wider spread than independent
        shocks would give, which is the cautious side for a target's probability.
        """
        if n < 1:
            raise ValueError("the number of paths must be at least 1")
        rng = np.random.default_rng(seed)
        steps = np.arange(1, self.horizon + 1, dtype=float)
        shocks = rng.standard_normal((n, self.horizon))
        standard = np.cumsum(shocks, axis=1) / np.sqrt(steps)
        mean = np.array([p.mean for p in self.points])
        upper = np.array([(p.hi95 - p.mean) / Z95 for p in self.points])
        lower = np.array([(p.mean - p.lo95) / Z95 for p in self.points])
        spread = np.where(standard >= 0, upper, lower)
        return np.asarray(mean + standard * np.maximum(spread, 0.0), dtype=float)


def default_horizon(frequency: Frequency, last_observed: Period) -> int:
    """To the end of the year after the last actual; ten years for yearly indicators."""
    if frequency is Frequency.YEARLY:
        return 10
    if frequency.is_multi_year:
        return 3
    end = date(last_observed.start.year + 1, 12, 31)
    steps = 0
    period = last_observed
    while True:
        period = period.next()
        if period.end > end:
            break
        steps += 1
    return max(1, min(steps, MAX_HORIZON.get(frequency, steps)))


# The longest horizon asked of each frequency; beyond it a forecast says nothing useful.
MAX_HORIZON = {
    Frequency.DAILY: 92,
    Frequency.WEEKLY: 52,
    Frequency.MONTHLY: 36,
    Frequency.QUARTERLY: 12,
    Frequency.HALF_YEARLY: 6,
    Frequency.YEARLY: 10,
    Frequency.BIENNIAL: 5,
    Frequency.FIVE_YEARLY: 3,
    Frequency.DECENNIAL: 2,
}


def reach_of(step: int, period: Period, last_observed: Period) -> Reach:
    if step <= 3 and period.end.year <= last_observed.start.year + 1:
        return Reach.SHORT
    if period.end <= date(last_observed.start.year + 1, 12, 31):
        return Reach.MEDIUM
    return Reach.LONG
