"""Scorecards: how each agency (or directive) does with the deliverables due in a period.

A deliverable counts in the period its deadline falls in; its status is computed as of
``today``. Standing duties have no deadline and are left out. The on-time rate is the
share of deliverables that have fallen due (or were finished early) that were completed
on time: ``on_time / (on_time + late + overdue)``; deliverables still within their
deadline do not count against an agency.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, or_, select, true
from sqlalchemy.orm import Session

from govops.catalog.models import Agency
from govops.security.permissions import Principal
from govops.tasks.access import sees_every_task, visible_condition
from govops.tasks.models import Directive, Occurrence, Tally, Task
from govops.tasks.status import TaskStatus, status_expression


@dataclass
class ScoreLine:
    """The counts and rates of one agency or directive."""

    key: str
    name: str
    counts: dict[TaskStatus, int] = field(default_factory=lambda: dict.fromkeys(TaskStatus, 0))
    rank: int | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def fallen_due(self) -> int:
        c = self.counts
        return (
            c[TaskStatus.COMPLETED_ON_TIME] + c[TaskStatus.COMPLETED_LATE] + c[TaskStatus.OVERDUE]
        )

    @property
    def on_time_rate(self) -> Decimal | None:
        """Percent, one decimal; None when nothing has fallen due yet."""
        return _percent(self.counts[TaskStatus.COMPLETED_ON_TIME], self.fallen_due)

    @property
    def completion_rate(self) -> Decimal | None:
        done = self.counts[TaskStatus.COMPLETED_ON_TIME] + self.counts[TaskStatus.COMPLETED_LATE]
        return _percent(done, self.total)


@dataclass
class Scorecard:
    group_by: str
    today: date
    start: date | None
    end: date | None
    lines: list[ScoreLine]

    @property
    def overall(self) -> ScoreLine:
        total = ScoreLine("*", "Tổng số")
        for line in self.lines:
            for status, count in line.counts.items():
                total.counts[status] += count
        return total


def compute_scorecard(
    session: Session,
    *,
    today: date,
    reader: Principal,
    start: date | None = None,
    end: date | None = None,
    group_by: str = "agency",
    directive_id: int | None = None,
) -> Scorecard:
    """Counts per agency (or per directive) and status, with rates and ranks."""
    counts = count_statuses(
        session,
        today=today,
        reader=reader,
        window=(start, end),
        by=group_by,
        directive_id=directive_id,
    )
    return _card(session, counts, group_by, today, (start, end))


def scorecard_with_trend(
    session: Session, *, today: date, reader: Principal, start: date, end: date
) -> tuple[Scorecard, dict[str, ScoreLine]]:
    """The scorecard per agency and the trend by month of the same deliverables, from one
    reading grouped by agency and month: what the scorecard page and API show together."""
    counts = count_statuses(
        session, today=today, reader=reader, window=(start, end), by="agency_month"
    )
    by_agency: Counter[tuple[Any, TaskStatus]] = Counter()
    by_month: Counter[tuple[Any, TaskStatus]] = Counter()
    for ((agency, month), status), n in counts.items():
        by_agency[(agency, status)] += n
        by_month[(month, status)] += n
    return _card(session, by_agency, "agency", today, (start, end)), _trend(by_month)


def _card(
    session: Session,
    counts: Counter[tuple[Any, TaskStatus]],
    group_by: str,
    today: date,
    window: tuple[date | None, date | None],
) -> Scorecard:
    names = _names(session, group_by)
    lines: dict[Any, ScoreLine] = {}
    for (key, status), n in counts.items():
        if key is None or key == 0 or key not in names:
            continue
        line = lines.setdefault(key, ScoreLine(*names[key]))
        line.counts[status] += n
    return Scorecard(group_by, today, window[0], window[1], rank(list(lines.values())))


def monthly_trend(
    session: Session,
    *,
    today: date,
    reader: Principal,
    start: date,
    end: date,
    agency_id: int | None = None,
) -> dict[str, ScoreLine]:
    """For each month (``2025-03``) from start to end, the deliverables due in it."""
    counts = count_statuses(
        session, today=today, reader=reader, window=(start, end), by="month", agency_id=agency_id
    )
    return _trend(counts)


def _trend(counts: Counter[tuple[Any, TaskStatus]]) -> dict[str, ScoreLine]:
    trend: dict[str, ScoreLine] = {}
    for (month, status), n in counts.items():
        label = f"{month:%Y-%m}"
        trend.setdefault(label, ScoreLine(label, label)).counts[status] += n
    return dict(sorted(trend.items()))


def count_statuses(
    session: Session,
    *,
    today: date,
    reader: Principal,
    window: tuple[date | None, date | None],
    by: str,
    directive_id: int | None = None,
    agency_id: int | None = None,
    from_tallies: bool = True,
) -> Counter[tuple[Any, TaskStatus]]:
    """Deliverables by key (agency id, directive id or first day of month) and status.

    Whole months other than today's are read from the tallies; the rest of the window
    (its ragged ends and today's month, where today splits overdue from in time) from the
    deliverables themselves. A reader who sees only some tasks is counted from the
    deliverables alone, as tallies do not know who co-ordinates what.
    """
    start, end = window
    filters = _Filters(directive_id, agency_id)
    if not sees_every_task(reader) or not from_tallies:
        return _raw_counts(session, today, reader, [(start, end)], by, filters)
    months, pieces = split_window(start, end, today)
    counts = _raw_counts(session, today, reader, pieces, by, filters) if pieces else Counter()
    if months is not None:
        counts.update(_tally_counts(session, today, months, by, filters))
    return counts


@dataclass(frozen=True)
class _Filters:
    directive_id: int | None
    agency_id: int | None


Window = tuple[date | None, date | None]


def split_window(
    start: date | None, end: date | None, today: date
) -> tuple[tuple[date | None, date | None] | None, list[Window]]:
    """The whole months of the window (first and last month, None when unbounded) and the
    day ranges left over; today's month is always among the day ranges."""
    first = None if start is None else (start if start.day == 1 else _next_month(start))
    last = None if end is None else (_month_start(end) if _is_month_end(end) else None)
    if end is not None and last is None:
        last = _previous_month(_month_start(end))
    pieces: list[Window] = []
    if first is not None and last is not None and first > last:
        return None, [(start, end)]
    if start is not None and first is not None and start < first:
        pieces.append((start, first - timedelta(days=1)))
    if end is not None and last is not None and end > _month_end(last):
        pieces.append((_month_end(last) + timedelta(days=1), end))
    current = _month_start(today)
    if (first is None or first <= current) and (last is None or current <= last):
        pieces.append((current, _month_end(current)))
    return (first, last), pieces


def _tally_counts(
    session: Session,
    today: date,
    months: tuple[date | None, date | None],
    by: str,
    filters: _Filters,
) -> Counter[tuple[Any, TaskStatus]]:
    current = _month_start(today)
    columns: dict[str, list[Any]] = {
        "agency": [Tally.lead_agency_id],
        "directive": [Tally.directive_key],
        "month": [Tally.month],
        "agency_month": [Tally.lead_agency_id, Tally.month],
    }
    keys = columns[by]
    past = case((Tally.month < current, literal(True)), else_=literal(False)).label("past")
    query = (
        select(*keys, past, Tally.state, func.sum(Tally.count).label("n"))
        .where(Tally.month != current)
        .group_by(*keys, past, Tally.state)
    )
    if months[0] is not None:
        query = query.where(Tally.month >= months[0])
    if months[1] is not None:
        query = query.where(Tally.month <= months[1])
    if filters.directive_id is not None:
        query = query.where(Tally.directive_key == filters.directive_id)
    if filters.agency_id is not None:
        query = query.where(Tally.lead_agency_id == filters.agency_id)
    counts: Counter[tuple[Any, TaskStatus]] = Counter()
    for row in session.execute(query):
        key = row[0] if len(keys) == 1 else tuple(row[: len(keys)])
        counts[(key, _status_of_tally(row.state, bool(row.past)))] += int(row.n)
    return counts


def _status_of_tally(state: str, past: bool) -> TaskStatus:
    if state == "on_time":
        return TaskStatus.COMPLETED_ON_TIME
    if state == "late":
        return TaskStatus.COMPLETED_LATE
    if past:
        return TaskStatus.OVERDUE
    return TaskStatus.IN_PROGRESS if state == "open_started" else TaskStatus.NOT_STARTED


def _raw_counts(
    session: Session,
    today: date,
    reader: Principal,
    pieces: list[Window],
    by: str,
    filters: _Filters,
) -> Counter[tuple[Any, TaskStatus]]:
    status = status_expression(today).label("status")
    # Months are folded from days here: truncating dates is spelt differently per database.
    columns: dict[str, list[Any]] = {
        "agency": [Occurrence.lead_agency_id],
        "directive": [Occurrence.directive_id],
        "month": [Occurrence.due_on],
        "agency_month": [Occurrence.lead_agency_id, Occurrence.due_on],
    }
    keys = columns[by]
    query = (
        select(*keys, status, func.count().label("n"))
        .where(Occurrence.due_on.is_not(None))
        .where(or_(*(_between(piece) for piece in pieces)))
        .group_by(*keys, status)
    )
    if filters.directive_id is not None:
        query = query.where(Occurrence.directive_id == filters.directive_id)
    if filters.agency_id is not None:
        query = query.where(Occurrence.lead_agency_id == filters.agency_id)
    if not sees_every_task(reader):
        query = query.join(Task, Task.id == Occurrence.task_id).where(visible_condition(reader))
    counts: Counter[tuple[Any, TaskStatus]] = Counter()
    for row in session.execute(query):
        found: Any = row[0]
        if by == "month":
            found = _month_start(row[0])
        elif by == "agency_month":
            found = (row[0], _month_start(row[1]))
        counts[(found, TaskStatus(row.status))] += row.n
    return counts


def _between(piece: Window) -> ColumnElement[bool]:
    start, end = piece
    condition: ColumnElement[bool] = true()
    if start is not None:
        condition = condition & (Occurrence.due_on >= start)
    if end is not None:
        condition = condition & (Occurrence.due_on <= end)
    return condition


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _is_month_end(day: date) -> bool:
    return day == _month_end(day)


def _next_month(day: date) -> date:
    return _month_end(day) + timedelta(days=1)


def _previous_month(month: date) -> date:
    return _month_start(month - timedelta(days=1))


def rank(lines: Iterable[ScoreLine]) -> list[ScoreLine]:
    """Best first: higher on-time rate, then fewer overdue; lines with no rate come last,
    unranked. Equal records share a rank (1, 2, 2, 4)."""
    rated = [line for line in lines if line.on_time_rate is not None]
    unrated = [line for line in lines if line.on_time_rate is None]

    def record(line: ScoreLine) -> tuple[Decimal, int]:
        return (-(line.on_time_rate or Decimal(0)), line.counts[TaskStatus.OVERDUE])

    rated.sort(key=lambda line: (record(line), line.key))
    for position, line in enumerate(rated, start=1):
        previous = rated[position - 2] if position > 1 else None
        same = previous is not None and record(previous) == record(line)
        line.rank = previous.rank if same and previous else position
    unrated.sort(key=lambda line: line.key)
    return rated + unrated


def _names(session: Session, group_by: str) -> dict[Any, tuple[str, str]]:
    if group_by == "agency":
        rows = session.execute(select(Agency.id, Agency.code, Agency.name_vi))
        return {r.id: (r.code, r.name_vi) for r in rows}
    found = session.execute(select(Directive.id, Directive.number, Directive.title))
    return {r.id: (r.number, r.title) for r in found}


def _percent(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
