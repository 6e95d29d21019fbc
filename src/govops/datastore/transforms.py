"""The transforms every Vietnamese report uses, and conversion to coarser periods.

- ``yoy``: change against the same period last year (so với cùng kỳ năm trước), in percent,
  or in percentage points when the indicator is itself a rate;
- ``pop``: change against the previous period;
- ``ytd``: year-to-date cumulative (lũy kế từ đầu năm) by the indicator's time rule;
- ``ytd_yoy``: the year-to-date value against the same span last year;
- ``share``: percent of the national value for the same period.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from enum import StrEnum

from govops.catalog.rules import TimeRule
from govops.core.errors import InvalidRequest
from govops.core.periods import Frequency, Period
from govops.datastore.cells import Cell, Cells, combined_status, latest_recorded, missing

HUNDRED = Decimal(100)


class Transform(StrEnum):
    NONE = "none"
    PREVIOUS_PERIOD = "pop"
    YEAR_ON_YEAR = "yoy"
    YEAR_TO_DATE = "ytd"
    YTD_YEAR_ON_YEAR = "ytd_yoy"
    SHARE_OF_NATION = "share"

    @property
    def needs_previous_year(self) -> bool:
        return self in (Transform.YEAR_ON_YEAR, Transform.YTD_YEAR_ON_YEAR)

    @property
    def needs_year_start(self) -> bool:
        return self in (Transform.YEAR_TO_DATE, Transform.YTD_YEAR_ON_YEAR)


def transformed_unit(transform: Transform, unit_name: str, *, is_rate: bool) -> str:
    if transform in (Transform.NONE, Transform.YEAR_TO_DATE):
        return unit_name
    if transform is Transform.SHARE_OF_NATION:
        return "percent of the national value"
    return "percentage points" if is_rate else "percent"


def convert_frequency(cells: Cells, native: Frequency, target: Frequency, rule: TimeRule) -> Cells:
    """Values of coarser periods formed from complete sets of finer ones."""
    if target == native:
        return cells
    if rule is TimeRule.NONE:
        raise InvalidRequest(
            "this indicator cannot be formed over a longer period (its time "
            f"rule is 'none'); ask for its own frequency {native.value}"
        )
    groups: dict[Period, list[Cell]] = defaultdict(list)
    for start, cell in sorted(cells.items()):
        groups[Period(native, start).to_frequency(target)].append(cell)
    converted: Cells = {}
    for period, parts in groups.items():
        expected = len(period.subperiods(native))
        if len(parts) < expected or any(part.value is None for part in parts):
            converted[period.start] = missing(f"{len(parts)} of {expected} periods known")
            continue
        converted[period.start] = _over_time(rule, parts)
    return converted


def _over_time(rule: TimeRule, parts: list[Cell]) -> Cell:
    values = [part.value for part in parts if part.value is not None]
    status, stamp = combined_status(parts), latest_recorded(parts)
    if rule is TimeRule.SUM:
        return Cell(sum(values, Decimal(0)), status, stamp, computed=True)
    if rule is TimeRule.MEAN:
        return Cell(sum(values, Decimal(0)) / len(values), status, stamp, computed=True)
    return Cell(values[-1], status, stamp, computed=True)


def apply_transform(
    transform: Transform,
    cells: Cells,
    frequency: Frequency,
    rule: TimeRule,
    *,
    is_rate: bool,
    national: Cells | None = None,
) -> Cells:
    if transform is Transform.NONE:
        return cells
    if transform is Transform.SHARE_OF_NATION:
        return _share(cells, national or {})
    if transform is Transform.PREVIOUS_PERIOD:
        return _change(cells, cells, lambda p: p.previous(), frequency, is_rate)
    year_to_date = _year_to_date(cells, frequency, rule)
    if transform is Transform.YEAR_TO_DATE:
        return year_to_date
    source = cells if transform is Transform.YEAR_ON_YEAR else year_to_date
    return _change(source, source, lambda p: p.same_period_last_year(), frequency, is_rate)


def _change(
    cells: Cells, base: Cells, earlier: object, frequency: Frequency, is_rate: bool
) -> Cells:
    changed: Cells = {}
    for start, cell in cells.items():
        previous = base.get(earlier(Period(frequency, start)).start)  # type: ignore[operator]
        changed[start] = _change_of(cell, previous, is_rate)
    return changed


def _change_of(cell: Cell, previous: Cell | None, is_rate: bool) -> Cell:
    if cell.value is None or previous is None or previous.value is None:
        return missing("no value to compare with")
    status = combined_status([cell, previous])
    if is_rate:
        return Cell(cell.value - previous.value, status, cell.recorded_at)
    if previous.value == 0:
        return missing("the value compared with is zero")
    return Cell((cell.value / previous.value - 1) * HUNDRED, status, cell.recorded_at)


def _year_to_date(cells: Cells, frequency: Frequency, rule: TimeRule) -> Cells:
    if frequency.months is not None and frequency.months >= 12:
        return dict(cells)
    if rule is TimeRule.NONE:
        raise InvalidRequest(
            "year-to-date needs a time rule (sum, mean or last); this indicator has none"
        )
    result: Cells = {}
    for start in sorted(cells):
        period = Period(frequency, start)
        first = Period.containing(frequency, date(start.year, 1, 1))
        if first.start.year < start.year:
            first = first.next()
        parts = [cells.get(p.start) for p in Period.span(first, period)]
        if any(part is None or part.value is None for part in parts):
            result[start] = missing("a period since the start of the year is missing")
            continue
        result[start] = _over_time(rule, [part for part in parts if part is not None])
    return result


def _share(cells: Cells, national: Cells) -> Cells:
    shared: Cells = {}
    for start, cell in cells.items():
        whole = national.get(start)
        if cell.value is None or whole is None or not whole.value:
            shared[start] = missing("no national value to divide by")
            continue
        shared[start] = Cell(
            cell.value / whole.value * HUNDRED, combined_status([cell, whole]), cell.recorded_at
        )
    return shared
