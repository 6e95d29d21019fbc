"""Deadlines: a date, a recurring duty with one deliverable per period, or a standing duty."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from govops.core.errors import InvalidRequest
from govops.core.periods import Frequency, Period

# A recurring duty is spelled out at assignment, one deliverable per period; five years
# of months is beyond any directive's horizon and keeps a typo from making thousands.
MAX_OCCURRENCES = 60


class DeadlineKind(StrEnum):
    DATE = "date"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    STANDING = "standing"


@dataclass(frozen=True)
class Deadline:
    """When a task falls due.

    ``due_day`` is the day of the month (of the quarter's last month for quarterly duties)
    on which each period's deliverable is due; a day past a month's end means its last day.
    """

    kind: DeadlineKind
    due_on: date | None = None
    due_day: int | None = None
    until: date | None = None

    @classmethod
    def on(cls, day: date) -> Deadline:
        return cls(DeadlineKind.DATE, due_on=day)

    @classmethod
    def monthly(cls, day: int, until: date) -> Deadline:
        return cls(DeadlineKind.MONTHLY, due_day=day, until=until)

    @classmethod
    def quarterly(cls, day: int, until: date) -> Deadline:
        return cls(DeadlineKind.QUARTERLY, due_day=day, until=until)

    @classmethod
    def standing(cls) -> Deadline:
        return cls(DeadlineKind.STANDING)


@dataclass(frozen=True)
class Due:
    """One deliverable's period (empty for a dated or standing task) and due date."""

    period: str
    due_on: date | None


def parse_deadline_kind(text: str) -> DeadlineKind:
    try:
        return DeadlineKind(text.strip().lower())
    except ValueError:
        known = ", ".join(kind.value for kind in DeadlineKind)
        raise InvalidRequest(
            f"deadline kind '{text}' is not one of {known}", field="deadline_kind", value=text
        ) from None


def deliverables(deadline: Deadline, assigned_on: date) -> list[Due]:
    """The deliverables a deadline sets, checked against the assignment date."""
    if deadline.kind is DeadlineKind.STANDING:
        return [Due("", None)]
    if deadline.kind is DeadlineKind.DATE:
        if deadline.due_on is None:
            raise InvalidRequest("a dated task needs its deadline", field="deadline")
        if deadline.due_on < assigned_on:
            raise InvalidRequest(
                f"deadline {deadline.due_on.isoformat()} is before the assignment date "
                f"{assigned_on.isoformat()}; a task cannot fall due before it is assigned",
                field="deadline",
                value=deadline.due_on.isoformat(),
            )
        return [Due("", deadline.due_on)]
    return _recurring(deadline, assigned_on)


def _recurring(deadline: Deadline, assigned_on: date) -> list[Due]:
    day, until = _check_recurring(deadline, assigned_on)
    frequency = Frequency.MONTHLY if deadline.kind is DeadlineKind.MONTHLY else Frequency.QUARTERLY
    period = Period.containing(frequency, assigned_on)
    found: list[Due] = []
    while True:
        due = _due_in(period, day)
        if due > until:
            break
        if due >= assigned_on:
            found.append(Due(period.code, due))
        if len(found) > MAX_OCCURRENCES:
            raise InvalidRequest(
                f"the duty would make more than {MAX_OCCURRENCES} deliverables before "
                f"{until.isoformat()}; assign it again when that horizon comes closer",
                field="recurs_until",
            )
        period = period.next()
    if not found:
        raise InvalidRequest(
            f"no deliverable falls between the assignment date {assigned_on.isoformat()} "
            f"and {until.isoformat()}",
            field="recurs_until",
        )
    return found


def _check_recurring(deadline: Deadline, assigned_on: date) -> tuple[int, date]:
    if deadline.due_day is None or not 1 <= deadline.due_day <= 31:
        raise InvalidRequest(
            "a recurring duty needs the day of the month it falls due, from 1 to 31",
            field="due_day",
            value=deadline.due_day,
        )
    if deadline.until is None:
        raise InvalidRequest("a recurring duty needs the date it runs until", field="recurs_until")
    if deadline.until < assigned_on:
        raise InvalidRequest(
            f"the duty runs until {deadline.until.isoformat()}, before the assignment date "
            f"{assigned_on.isoformat()}",
            field="recurs_until",
        )
    return deadline.due_day, deadline.until


def _due_in(period: Period, day: int) -> date:
    last_month = period.end
    last_day = calendar.monthrange(last_month.year, last_month.month)[1]
    return date(last_month.year, last_month.month, min(day, last_day))
