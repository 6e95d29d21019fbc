"""Keeping :class:`~govops.tasks.models.Tally` in step with the deliverables.

Every flush that adds an occurrence, or changes its deadline, start or completion, moves
one count from the tally row of its old state to that of its new state, in the same
transaction. Rows written around the ORM (bulk loads) are followed by
:func:`rebuild_tallies`.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import delete, event, insert, inspect, select
from sqlalchemy.orm import Session

from govops.tasks.models import Occurrence, Tally

TallyKey = tuple[int, int, date, str]


def tally_state(due_on: date | None, completed_on: date | None, started: bool) -> str | None:
    """The state a tally counts a deliverable in; None for standing duties (no deadline)."""
    if due_on is None:
        return None
    if completed_on is not None:
        return "on_time" if completed_on <= due_on else "late"
    return "open_started" if started else "open_idle"


def month_of(day: date) -> date:
    return day.replace(day=1)


def rebuild_tallies(session: Session) -> None:
    """Count every deliverable again (after bulk loads that bypass the ORM)."""
    session.execute(delete(Tally))
    rows = session.execute(
        select(
            Occurrence.lead_agency_id,
            Occurrence.directive_id,
            Occurrence.due_on,
            Occurrence.completed_on,
            Occurrence.started,
        ).where(Occurrence.due_on.is_not(None))
    )
    counts: Counter[TallyKey] = Counter()
    for row in rows:
        key = _key(row.lead_agency_id, row.directive_id, row.due_on, row.completed_on, row.started)
        if key is not None:
            counts[key] += 1
    values = [
        {"lead_agency_id": a, "directive_key": d, "month": m, "state": s, "count": n}
        for (a, d, m, s), n in counts.items()
    ]
    for start in range(0, len(values), 5000):
        session.execute(insert(Tally), values[start : start + 5000])


@event.listens_for(Session, "before_flush")
def _keep_tallies(session: Session, _context: Any, _instances: Any) -> None:
    changes: Counter[TallyKey] = Counter()
    for item in session.new:
        if isinstance(item, Occurrence):
            _count(changes, _current_key(item), 1)
    for item in session.dirty:
        if isinstance(item, Occurrence) and session.is_modified(item):
            before, after = _previous_key(item), _current_key(item)
            if before != after:
                _count(changes, before, -1)
                _count(changes, after, 1)
    for item in session.deleted:
        if isinstance(item, Occurrence):
            _count(changes, _previous_key(item), -1)
    if changes:
        with session.no_autoflush:
            _apply(session, changes)


def _apply(session: Session, changes: Counter[TallyKey]) -> None:
    for (agency, directive, month, state), change in changes.items():
        if change == 0:
            continue
        row = session.scalar(
            select(Tally).where(
                (Tally.lead_agency_id == agency)
                & (Tally.directive_key == directive)
                & (Tally.month == month)
                & (Tally.state == state)
            )
        )
        if row is None:
            session.add(
                Tally(
                    lead_agency_id=agency,
                    directive_key=directive,
                    month=month,
                    state=state,
                    count=change,
                )
            )
        else:
            row.count = row.count + change


def _count(changes: Counter[TallyKey], key: TallyKey | None, change: int) -> None:
    if key is not None:
        changes[key] += change


def _current_key(item: Occurrence) -> TallyKey | None:
    return _key(
        item.lead_agency_id,
        item.directive_id,
        item.due_on,
        item.completed_on,
        bool(item.started),
    )


def _previous_key(item: Occurrence) -> TallyKey | None:
    state = inspect(item)

    def before(name: str) -> Any:
        history = state.attrs[name].history
        if history.deleted:
            return history.deleted[0]
        return getattr(item, name)

    return _key(
        before("lead_agency_id"),
        before("directive_id"),
        before("due_on"),
        before("completed_on"),
        bool(before("started")),
    )


def _key(
    agency: int | None,
    directive: int | None,
    due_on: date | None,
    completed_on: date | None,
    started: bool,
) -> TallyKey | None:
    state = tally_state(due_on, completed_on, started)
    if state is None or agency is None:
        return None
    return agency, directive or 0, month_of(due_on), state  # type: ignore[arg-type]
