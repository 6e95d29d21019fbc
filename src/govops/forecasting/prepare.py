"""Making a stored series fit to forecast, and saying what was done to it.

Real series are not the clean arrays models expect. Each repair below is written into
the forecast's notes, so a reader of the forecast knows what the model saw:

- gaps inside the series are filled by straight lines between their neighbours (models
  need a regular grid); leading and trailing gaps are dropped;
- a jump by a factor near a power of a thousand that persists is read as a unit change
  (thousands to millions, millions to billions): the history before it is rescaled;
- a level shift exactly at an area's boundary change (the July 2025 merger of
  provinces) is removed from the history before it, so models do not read the step as
  a trend — only when the area's history was assembled across the change;
- zeros and negatives are kept as they are (a trade balance changes sign), and the
  choice of model then ignores sMAPE and multiplicative models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from govops.core.periods import Frequency, Period
from govops.forecasting.metrics import Floats

# A unit change is a jump by 1,000 or 1,000,000 (within this factor), not seen before.
_UNIT_STEPS = (1_000.0, 1_000_000.0)
_UNIT_TOLERANCE = 1.5
# A level shift is a change at the boundary this many robust deviations from usual.
_SHIFT_THRESHOLD = 6.0


class NotEnoughData(ValueError):
    """Raised when a series has too few values to forecast at all (fewer than three)."""


@dataclass
class PreparedSeries:
    first: Period
    values: Floats
    notes: list[str] = field(default_factory=list)
    crosses_zero: bool = False

    @property
    def last(self) -> Period:
        return self.first.shift(len(self.values) - 1)


MIN_VALUES = 3


def prepare(
    frequency: Frequency,
    first: Period,
    values: list[float | None],
    *,
    boundary: date | None = None,
) -> PreparedSeries:
    """The series ready for models; raise NotEnoughData below ``MIN_VALUES`` values."""
    present = [i for i, value in enumerate(values) if value is not None]
    if len(present) < MIN_VALUES:
        raise NotEnoughData(
            f"{len(present)} value(s) known; at least {MIN_VALUES} are needed to forecast "
            "with an honest interval"
        )
    start, stop = present[0], present[-1] + 1
    series = PreparedSeries(first.shift(start), np.array([], dtype=float))
    if start > 0:
        series.notes.append(f"{start} empty period(s) before {series.first} left out")
    raw = [values[i] for i in range(start, stop)]
    series.values = _fill_gaps(raw, series)
    _rescale_unit_change(series)
    if boundary is not None:
        _remove_boundary_shift(series, frequency, boundary)
    if np.any(series.values <= 0):
        series.crosses_zero = True
        series.notes.append(
            "the series has zeros or negative values: only additive models are used and "
            "the choice rests on MASE alone (sMAPE is not meaningful here)"
        )
    return series


def _fill_gaps(raw: list[float | None], series: PreparedSeries) -> Floats:
    array = np.array([np.nan if v is None else float(v) for v in raw], dtype=float)
    missing = np.isnan(array)
    if not missing.any():
        return array
    index = np.arange(len(array))
    array[missing] = np.interp(index[missing], index[~missing], array[~missing])
    gaps = [str(series.first.shift(int(i))) for i in index[missing]]
    shown = ", ".join(gaps[:6]) + (" …" if len(gaps) > 6 else "")
    series.notes.append(
        f"{len(gaps)} missing period(s) filled by linear interpolation for fitting: {shown}"
    )
    return array


def _rescale_unit_change(series: PreparedSeries) -> None:
    values = series.values
    if np.any(values <= 0):
        return
    for i in range(1, len(values)):
        # The step itself and the medians around it must both jump: a lasting change.
        ratio = values[i] / values[i - 1]
        lasting = _median(values[i : i + 3]) / _median(values[max(0, i - 3) : i])
        for step in _UNIT_STEPS:
            for factor in (step, 1 / step):
                low, high = factor / _UNIT_TOLERANCE, factor * _UNIT_TOLERANCE
                if low <= ratio <= high and low <= lasting <= high:
                    values[:i] = values[:i] * factor
                    series.notes.append(
                        f"values from {series.first.shift(i)} are about {ratio:,.0f} times "
                        f"those before: read as a change of unit, and the history before "
                        f"it is multiplied by {factor:g} to match"
                    )
                    return


def _remove_boundary_shift(series: PreparedSeries, frequency: Frequency, boundary: date) -> None:
    at = _index_starting_on(series, frequency, boundary)
    if at is None or at < 3 or at >= len(series.values):
        return
    steps = np.diff(series.values)
    season = season_length(frequency)
    jump = steps[at - 1]
    same_season = steps[at - 1 - season :: -season] if season > 1 else steps[: at - 1]
    usual = float(np.median(same_season)) if len(same_season) else float(np.median(steps))
    others = np.delete(steps, at - 1)
    spread = 1.4826 * float(np.median(np.abs(others - np.median(others))))
    shift = float(jump - usual)
    if spread == 0 or abs(shift) < _SHIFT_THRESHOLD * spread:
        return
    series.values[:at] = series.values[:at] + shift
    series.notes.append(
        f"a level shift of {shift:+,.4g} at {series.first.shift(at)}, when the area's "
        "boundaries changed, is taken out of the history before it so models do not "
        "read the step as a trend"
    )


def _index_starting_on(series: PreparedSeries, frequency: Frequency, day: date) -> int | None:
    if frequency.months is None or frequency.is_multi_year:
        return None
    period = Period.containing(frequency, day)
    if period.start != day or period <= series.first:
        return None
    steps = len(Period.span(series.first, period)) - 1
    return steps


def _median(values: Floats) -> float:
    return float(np.median(values)) if len(values) else 0.0


def season_length(frequency: Frequency) -> int:
    """Periods in a seasonal cycle: twelve months, four quarters, seven days."""
    return {
        Frequency.DAILY: 7,
        Frequency.WEEKLY: 52,
        Frequency.MONTHLY: 12,
        Frequency.QUARTERLY: 4,
        Frequency.HALF_YEARLY: 2,
    }.get(frequency, 1)
