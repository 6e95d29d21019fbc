"""Periods (kỳ): the time an observation, a target or a report belongs to.

A period is a typed value, a `Frequency` and the first day it covers. Its SDMX code
(`2025-M03`, `2025-Q1`, `2021-01-01/P5Y`) is how it is written on the wire and on
screen; comparing, sorting and stepping always use the frequency and start date.

    frequency     SDMX code forms accepted           canonical       starts on
    D  daily      2025-03-15                         2025-03-15      any day
    W  weekly     2025-W11 (ISO 8601 week)           2025-W11        a Monday
    M  monthly    2025-M03, 2025-03                  2025-M03        the 1st
    Q  quarterly  2025-Q1                            2025-Q1         1 Jan/Apr/Jul/Oct
    S  half-year  2025-S1                            2025-S1         1 Jan/Jul
    A  yearly     2025, 2025-A1                      2025            1 January
    A2/A5/A10     2021-01-01/P2Y, /P5Y, /P10Y        that form       any day but 29 Feb

Rules a reader may not guess:

- A weekly period is an ISO week: its code carries the ISO year, which differs from the
  calendar year for a few days around New Year. Week 53 exists only in ISO years that
  have 53 weeks.
- Weeks straddle month, quarter and year boundaries, so a weekly period never converts
  to a coarser calendar period, and coarser periods never split into weeks.
- Multi-year spans have no fixed calendar grid (five-year plans start in 2021, a
  decennial census may start in 2019), so the start date is part of their code and no
  day maps to "its" multi-year span. They may not start on 29 February, because five
  years later there is no such day and stepping back and forth would drift.
- Years run from 1900 to 2200; a week's year is its ISO year.
- Ordering is by start date, then the longer span first, so `2025` sorts before
  `2025-Q1`, which sorts before `2025-M01`, which sorts before `2025-01-01`.

Known shortcoming: the "9 months" figures of the statistics release calendar are
year-to-date totals reported for a quarter, not a frequency of their own; they are a
measure on a quarterly period (`2025-Q3`), not a period here.

Errors::

    PeriodError (ValueError)
    ├── InvalidPeriodError     a code, or a frequency and start, that is not a period
    └── PeriodOperationError   an operation with no answer for the given periods
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

MIN_YEAR = 1900
MAX_YEAR = 2200


class PeriodError(ValueError):
    """Base of every error about periods."""


class InvalidPeriodError(PeriodError):
    """Raised when a code, or a frequency and start date, does not make a period.

    `code` is the text as given (or a description of the frequency and start), `reason`
    says what is wrong with it and `expected` is an example of a valid code.
    """

    def __init__(self, code: str, reason: str, expected: str) -> None:
        self.code = code
        self.reason = reason
        self.expected = expected
        super().__init__(f"{code!r} is not a valid period: {reason} (expected e.g. {expected})")


class PeriodOperationError(PeriodError):
    """Raised when an operation has no answer, such as a weekly period to months."""


class _FrequencyFacts(NamedTuple):
    months: int | None
    label_vi: str
    label_en: str
    example: str


class Frequency(StrEnum):
    """How often an indicator is measured; members are declared finest first."""

    DAILY = "D"
    WEEKLY = "W"
    MONTHLY = "M"
    QUARTERLY = "Q"
    HALF_YEARLY = "S"
    YEARLY = "A"
    BIENNIAL = "A2"
    FIVE_YEARLY = "A5"
    DECENNIAL = "A10"

    @property
    def months(self) -> int | None:
        """Calendar months one period spans; None for daily and weekly."""
        return _FACTS[self].months

    @property
    def rank(self) -> int:
        """Position from finest (daily, 0) to coarsest (decennial, 8)."""
        return _ORDER.index(self)

    @property
    def label_vi(self) -> str:
        return _FACTS[self].label_vi

    @property
    def label_en(self) -> str:
        return _FACTS[self].label_en

    @property
    def example(self) -> str:
        """A valid code of this frequency, for error messages and help text."""
        return _FACTS[self].example

    @property
    def is_multi_year(self) -> bool:
        return self in (Frequency.BIENNIAL, Frequency.FIVE_YEARLY, Frequency.DECENNIAL)

    def is_finer_than(self, other: Frequency) -> bool:
        return self.rank < other.rank


_ORDER = tuple(Frequency)

_FACTS = {
    Frequency.DAILY: _FrequencyFacts(None, "Ngày", "Daily", "2025-03-15"),
    Frequency.WEEKLY: _FrequencyFacts(None, "Tuần", "Weekly", "2025-W11"),
    Frequency.MONTHLY: _FrequencyFacts(1, "Tháng", "Monthly", "2025-M03"),
    Frequency.QUARTERLY: _FrequencyFacts(3, "Quý", "Quarterly", "2025-Q1"),
    Frequency.HALF_YEARLY: _FrequencyFacts(6, "6 tháng", "Half-yearly", "2025-S1"),
    Frequency.YEARLY: _FrequencyFacts(12, "Năm", "Yearly", "2025"),
    Frequency.BIENNIAL: _FrequencyFacts(24, "2 năm", "Biennial", "2024-01-01/P2Y"),
    Frequency.FIVE_YEARLY: _FrequencyFacts(60, "5 năm", "Five-yearly", "2021-01-01/P5Y"),
    Frequency.DECENNIAL: _FrequencyFacts(120, "10 năm", "Decennial", "2021-01-01/P10Y"),
}

_ANY_CODE = "2025-03-15, 2025-W11, 2025-M03, 2025-Q1, 2025-S1, 2025 or 2021-01-01/P5Y"

_MULTI_YEAR_BY_YEARS = {2: Frequency.BIENNIAL, 5: Frequency.FIVE_YEARLY, 10: Frequency.DECENNIAL}

# The months a period of each calendar frequency may begin in, always on day 1.
_START_MONTHS = {
    Frequency.MONTHLY: range(1, 13),
    Frequency.QUARTERLY: (1, 4, 7, 10),
    Frequency.HALF_YEARLY: (1, 7),
    Frequency.YEARLY: (1,),
}

_STARTS_IN_WORDS = {
    Frequency.MONTHLY: "the 1st of a month",
    Frequency.QUARTERLY: "1 January, 1 April, 1 July or 1 October",
    Frequency.HALF_YEARLY: "1 January or 1 July",
    Frequency.YEARLY: "1 January",
}

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class Period:
    """One period of a frequency, identified by the first day it covers.

    Periods sort by start date and, on the same start, the longer span first; periods
    of one frequency therefore sort as their start dates do.
    """

    frequency: Frequency
    start: date

    def __post_init__(self) -> None:
        _check_types(self)

        reason = _misalignment(self.frequency, self.start)
        if reason is not None:
            described = f"{self.frequency.label_en.lower()} period from {self.start}"
            raise InvalidPeriodError(described, reason, self.frequency.example)

    # --- reading and writing codes -------------------------------------------------

    @classmethod
    def parse(cls, code: str) -> Period:
        """Read an SDMX period code; surrounding whitespace is ignored, nothing else."""
        return _parse(code, expected=None)

    @classmethod
    def parse_for(cls, code: str, frequency: Frequency) -> Period:
        """Read a code that must be of `frequency`, as for an indicator's observations."""
        period = _parse(code, expected=frequency)

        if period.frequency is not frequency:
            reason = (
                f"it reads as {period.frequency.label_en.lower()} ({period.code}) "
                f"but a {frequency.label_en.lower()} period is required"
            )
            raise InvalidPeriodError(str(code).strip(), reason, frequency.example)
        return period

    @property
    def code(self) -> str:
        """The canonical SDMX code."""
        return _code_of(self.frequency, self.start)

    def __str__(self) -> str:
        return self.code

    # --- extent ----------------------------------------------------------------------

    @classmethod
    def containing(cls, frequency: Frequency, day: date) -> Period:
        """The period of `frequency` that `day` falls in (not for multi-year spans)."""
        if frequency.is_multi_year:
            raise PeriodOperationError(
                f"no {frequency.label_en.lower()} span contains {day} by itself: multi-year "
                f"spans start where the indicator says; give the start, as in "
                f"{frequency.example}"
            )
        if frequency is Frequency.DAILY:
            return cls(frequency, day)
        if frequency is Frequency.WEEKLY:
            return cls(frequency, day - timedelta(days=day.weekday()))

        first_month = day.month - (day.month - 1) % _months(frequency)
        return cls(frequency, date(day.year, first_month, 1))

    @property
    def end(self) -> date:
        """The last day of the period, inclusive."""
        return period_end(self.frequency, self.start)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    # --- stepping --------------------------------------------------------------------

    def next(self) -> Period:
        return self.shift(1)

    def previous(self) -> Period:
        return self.shift(-1)

    def shift(self, n: int) -> Period:
        """The period `n` steps later (earlier when `n` is negative)."""
        action = f"shifting {self.code} by {n} periods"
        if self.frequency is Frequency.DAILY:
            return self._moved(lambda: self.start + timedelta(days=n), action)
        if self.frequency is Frequency.WEEKLY:
            return self._moved(lambda: self.start + timedelta(weeks=n), action)

        months = _months(self.frequency) * n
        return self._moved(lambda: _add_months(self.start, months), action)

    def same_period_last_year(self) -> Period:
        """The period a year earlier, for year-on-year comparison.

        Week 53 maps to week 52 when the year before has no week 53, and 29 February
        maps to 28 February. Multi-year spans have no such period.
        """
        frequency, action = self.frequency, f"going back a year from {self.code}"

        if frequency.is_multi_year:
            raise PeriodOperationError(
                f"{self.code} is a multi-year span and has no same period last year; "
                f"compare it with previous() instead"
            )
        if frequency is Frequency.DAILY:
            return self._moved(lambda: _same_day_year_before(self.start), action)
        if frequency is Frequency.WEEKLY:
            return self._moved(lambda: _same_week_year_before(self.start), action)
        return self._moved(lambda: _add_months(self.start, -12), action)

    @staticmethod
    def span(first: Period, last: Period) -> list[Period]:
        """Every period from `first` to `last`, both included, of one frequency."""
        if first.frequency is not last.frequency:
            raise PeriodOperationError(
                f"a span needs two periods of one frequency, got {first.code} "
                f"({first.frequency.label_en.lower()}) and {last.code} "
                f"({last.frequency.label_en.lower()})"
            )
        if last.start < first.start:
            raise PeriodOperationError(f"the span starts at {first.code}, after {last.code}")

        steps = _steps_between(first, last)
        if first.shift(steps) != last:
            raise PeriodOperationError(
                f"{first.code} and {last.code} do not lie on one sequence of periods"
            )
        return [first.shift(k) for k in range(steps + 1)]

    # --- changing frequency ----------------------------------------------------------

    def to_frequency(self, coarser: Frequency) -> Period:
        """The period of the coarser frequency that contains this one."""
        if coarser is self.frequency:
            return self

        refusal = _conversion_refusal(self.frequency, coarser)
        if refusal is not None:
            raise PeriodOperationError(
                f"cannot convert {self.code} to {coarser.label_en.lower()}: {refusal}"
            )
        return Period.containing(coarser, self.start)

    def subperiods(self, finer: Frequency) -> list[Period]:
        """The periods of the finer frequency that together make up this one."""
        if finer is self.frequency:
            return [self]

        refusal = _split_refusal(self, finer)
        if refusal is not None:
            raise PeriodOperationError(
                f"cannot split {self.code} into {finer.label_en.lower()} periods: {refusal}"
            )
        if finer is Frequency.DAILY:
            days = (self.end - self.start).days + 1
            return [Period(finer, self.start + timedelta(days=k)) for k in range(days)]

        count = _months(self.frequency) // _months(finer)
        return [Period(finer, self.start).shift(k) for k in range(count)]

    # --- ordering --------------------------------------------------------------------

    def _sort_key(self) -> tuple[date, int]:
        return (self.start, -self.frequency.rank)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._sort_key() < other._sort_key()

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._sort_key() <= other._sort_key()

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._sort_key() > other._sort_key()

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._sort_key() >= other._sort_key()

    def _moved(self, new_start: Callable[[], date], action: str) -> Period:
        # Date arithmetic past year 9999 raises OverflowError or ValueError, and a start
        # outside MIN_YEAR..MAX_YEAR raises InvalidPeriodError: all mean the same here.
        try:
            return Period(self.frequency, new_start())
        except (OverflowError, ValueError) as exc:
            raise PeriodOperationError(
                f"{action} leaves the years {MIN_YEAR} to {MAX_YEAR}"
            ) from exc


# --- validation ----------------------------------------------------------------------


@functools.lru_cache(maxsize=1 << 16)
def period_of(frequency: Frequency, start: date) -> Period:
    """The period of ``frequency`` starting on ``start``, built and checked once, then shared.

    Periods are immutable, and a table of a decade of months for 34 provinces builds the
    same hundred and twenty of them thousands of times.
    """
    return Period(frequency, start)


@functools.lru_cache(maxsize=1 << 16)
def period_end(frequency: Frequency, start: date) -> date:
    """The last day of the period of ``frequency`` that starts on ``start``."""
    if frequency is Frequency.DAILY:
        return start
    if frequency is Frequency.WEEKLY:
        return start + timedelta(days=6)
    return _add_months(start, _months(frequency)) - timedelta(days=1)


@functools.lru_cache(maxsize=1 << 16)
def _code_of(frequency: Frequency, start: date) -> str:
    if frequency is Frequency.DAILY:
        return start.isoformat()
    if frequency is Frequency.WEEKLY:
        iso = start.isocalendar()
        return f"{iso.year:04d}-W{iso.week:02d}"
    if frequency is Frequency.MONTHLY:
        return f"{start.year:04d}-M{start.month:02d}"
    if frequency is Frequency.QUARTERLY:
        return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
    if frequency is Frequency.HALF_YEARLY:
        return f"{start.year:04d}-S{1 if start.month == 1 else 2}"
    if frequency is Frequency.YEARLY:
        return f"{start.year:04d}"
    return f"{start.isoformat()}/P{_months(frequency) // 12}Y"


def _check_types(period: Period) -> None:
    # A datetime is a date too, but would compare and hash unlike the date it stands for.
    if type(period.start) is not date:
        raise TypeError(f"a period's start must be a date, got {period.start!r}")
    if not isinstance(period.frequency, Frequency):
        known = ", ".join(member.value for member in Frequency)
        raise TypeError(f"a period's frequency must be one of {known}, got {period.frequency!r}")


def _misalignment(frequency: Frequency, start: date) -> str | None:
    """Why `start` cannot begin a period of `frequency`, or None when it can."""
    year = start.isocalendar().year if frequency is Frequency.WEEKLY else start.year
    if not MIN_YEAR <= year <= MAX_YEAR:
        return f"year must be {MIN_YEAR} to {MAX_YEAR}, not {year}"

    if frequency is Frequency.WEEKLY and start.weekday() != 0:
        return f"a week starts on a Monday, and {start} is a {_WEEKDAYS[start.weekday()]}"
    if frequency.is_multi_year and (start.month, start.day) == (2, 29):
        return "a multi-year span cannot start on 29 February"
    if frequency in _START_MONTHS and (
        start.day != 1 or start.month not in _START_MONTHS[frequency]
    ):
        words = _STARTS_IN_WORDS[frequency]
        return f"a {frequency.label_en.lower()} period starts on {words}, not on {start}"
    return None


def _conversion_refusal(finer: Frequency, coarser: Frequency) -> str | None:
    if coarser.is_multi_year:
        return "multi-year spans have no fixed calendar grid; build the span from its start"
    if finer.is_multi_year or coarser.is_finer_than(finer):
        return "the target frequency is not coarser; use subperiods() to go finer"
    if finer is Frequency.WEEKLY:
        return "weeks straddle month, quarter and year boundaries"
    return None


def _split_refusal(period: Period, finer: Frequency) -> str | None:
    frequency = period.frequency
    if not finer.is_finer_than(frequency):
        return "the target frequency is not finer; use to_frequency() to go coarser"
    if finer is Frequency.DAILY:
        return None
    if finer is Frequency.WEEKLY:
        return "weeks straddle month, quarter and year boundaries"
    if _months(frequency) % _months(finer) != 0:
        return f"a {finer.label_en.lower()} span does not divide it evenly"
    if _misalignment(finer, period.start) is not None:
        return f"it starts on {period.start}, off the {finer.label_en.lower()} calendar"
    return None


# --- date arithmetic -----------------------------------------------------------------


def _months(frequency: Frequency) -> int:
    months = frequency.months
    if months is None:
        raise PeriodOperationError(f"{frequency.label_en} periods are not whole months")
    return months


def _add_months(day: date, months: int) -> date:
    # Only ever called with a day-1 start or a whole number of years, so the day of the
    # month always exists in the result (29 February is refused for multi-year spans).
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    return day.replace(year=year, month=month_index + 1)


def _same_day_year_before(day: date) -> date:
    if (day.month, day.day) == (2, 29):
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def _same_week_year_before(monday: date) -> date:
    iso = monday.isocalendar()
    week = min(iso.week, _weeks_in_iso_year(iso.year - 1))
    return date.fromisocalendar(iso.year - 1, week, 1)


def _weeks_in_iso_year(year: int) -> int:
    # 28 December always falls in the last ISO week of its year.
    return date(year, 12, 28).isocalendar().week


def _steps_between(first: Period, last: Period) -> int:
    if first.frequency is Frequency.DAILY:
        return (last.start - first.start).days
    if first.frequency is Frequency.WEEKLY:
        return (last.start - first.start).days // 7

    month_gap = (last.start.year - first.start.year) * 12 + last.start.month - first.start.month
    return month_gap // _months(first.frequency)


# --- parsing ---------------------------------------------------------------------------


class _OutOfRangeError(Exception):
    """A code matched a form but its numbers are out of range; carries the reason."""


_Reader = Callable[["re.Match[str]"], Period]

_YEAR = r"(?P<year>[0-9]{4})"
_DAY = _YEAR + r"-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"


def _year(match: re.Match[str]) -> int:
    year = int(match["year"])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _OutOfRangeError(f"year must be {MIN_YEAR} to {MAX_YEAR}, not {year}")
    return year


def _number(match: re.Match[str], group: str, name: str, highest: int) -> int:
    value = int(match[group])
    if not 1 <= value <= highest:
        width = len(match[group])
        joiner = "or" if highest == 2 else "to"
        raise _OutOfRangeError(f"{name} must be {1:0{width}d} {joiner} {highest:0{width}d}")
    return value


def _calendar_day(match: re.Match[str]) -> date:
    year = _year(match)
    month = _number(match, "month", "month", 12)
    try:
        return date(year, month, int(match["day"]))
    except ValueError as exc:
        raise _OutOfRangeError(f"{year}-{month:02d} has no day {match['day']}") from exc


def _read_day(match: re.Match[str]) -> Period:
    return Period(Frequency.DAILY, _calendar_day(match))


def _read_week(match: re.Match[str]) -> Period:
    year = _year(match)
    week = _number(match, "week", "week", 53)
    if week > _weeks_in_iso_year(year):
        raise _OutOfRangeError(f"ISO year {year} has only {_weeks_in_iso_year(year)} weeks")
    return Period(Frequency.WEEKLY, date.fromisocalendar(year, week, 1))


def _read_month(match: re.Match[str]) -> Period:
    month = _number(match, "month", "month", 12)
    return Period(Frequency.MONTHLY, date(_year(match), month, 1))


def _read_quarter(match: re.Match[str]) -> Period:
    quarter = _number(match, "quarter", "quarter", 4)
    return Period(Frequency.QUARTERLY, date(_year(match), 3 * quarter - 2, 1))


def _read_half(match: re.Match[str]) -> Period:
    half = _number(match, "half", "half-year", 2)
    return Period(Frequency.HALF_YEARLY, date(_year(match), 6 * half - 5, 1))


def _read_year(match: re.Match[str]) -> Period:
    return Period(Frequency.YEARLY, date(_year(match), 1, 1))


def _read_multi_year(match: re.Match[str]) -> Period:
    frequency = _MULTI_YEAR_BY_YEARS.get(int(match["years"]))
    if frequency is None:
        raise _OutOfRangeError("a multi-year span must be P2Y, P5Y or P10Y")

    start = _calendar_day(match)
    reason = _misalignment(frequency, start)
    if reason is not None:
        raise _OutOfRangeError(reason)
    return Period(frequency, start)


# Each form: its pattern, the frequency whose example to show when it is out of range,
# and its reader. The digit classes are ASCII on purpose: "٢٠٢٥" is not a year here.
_FORMS: tuple[tuple[re.Pattern[str], Frequency, _Reader], ...] = (
    (re.compile(_DAY), Frequency.DAILY, _read_day),
    (re.compile(_YEAR + r"-W(?P<week>[0-9]{2})"), Frequency.WEEKLY, _read_week),
    (re.compile(_YEAR + r"-M?(?P<month>[0-9]{2})"), Frequency.MONTHLY, _read_month),
    (re.compile(_YEAR + r"-Q(?P<quarter>[0-9])"), Frequency.QUARTERLY, _read_quarter),
    (re.compile(_YEAR + r"-S(?P<half>[0-9])"), Frequency.HALF_YEARLY, _read_half),
    (re.compile(_YEAR + r"(?:-A1)?"), Frequency.YEARLY, _read_year),
    (
        re.compile(_DAY + r"/P(?P<years>[0-9]{1,3})Y"),
        Frequency.FIVE_YEARLY,
        _read_multi_year,
    ),
)


def _parse(code: object, expected: Frequency | None) -> Period:
    if not isinstance(code, str):
        example = expected.example if expected else _ANY_CODE
        raise InvalidPeriodError(repr(code), "a period code must be text", example)

    text = code.strip()
    for pattern, form_frequency, read in _FORMS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        try:
            return read(match)
        except _OutOfRangeError as rejected:
            example = (expected or form_frequency).example
            raise InvalidPeriodError(text, str(rejected), example) from None

    example = expected.example if expected else _ANY_CODE
    raise InvalidPeriodError(text, "it is not an SDMX period code", example)
