"""Reading lists of tasks: filters, the status of each as of a day, pages by id."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from govops.catalog.models import Agency
from govops.core.errors import InvalidRequest
from govops.core.text import fold
from govops.security.permissions import Principal
from govops.tasks.access import visible_condition
from govops.tasks.models import Directive, Occurrence, Task, TaskCoordinator
from govops.tasks.status import TaskStatus, status_expression

MAX_PAGE = 500


@dataclass(frozen=True)
class TaskFilter:
    """What a list keeps; every field narrows it, None or empty keeps everything."""

    agency_ids: Sequence[int] = ()
    directive_id: int | None = None
    statuses: Sequence[TaskStatus] = ()
    due_from: date | None = None
    due_to: date | None = None
    priorities: Sequence[str] = ()
    text: str = ""
    # With agencies: also the tasks they co-ordinate, not only those they lead.
    include_coordinated: bool = False
    task_ids: Sequence[int] = field(default_factory=tuple)


@dataclass(frozen=True)
class TaskRow:
    id: int
    position: str
    title: str
    directive_id: int | None
    directive_number: str | None
    lead_agency_code: str
    lead_agency_name: str
    priority: str
    deadline_kind: str
    assigned_on: date
    due_on: date | None
    period: str
    percent: int
    completed_on: date | None
    status: TaskStatus


def parse_statuses(values: Sequence[str]) -> list[TaskStatus]:
    chosen = []
    for value in values:
        try:
            chosen.append(TaskStatus(value))
        except ValueError:
            known = ", ".join(status.value for status in TaskStatus)
            raise InvalidRequest(
                f"status '{value}' is not one of {known}", field="status", value=value
            ) from None
    return chosen


def list_tasks(
    session: Session,
    wanted: TaskFilter,
    reader: Principal,
    *,
    today: date,
    after_id: int | None = None,
    limit: int = 100,
) -> list[TaskRow]:
    """A page of tasks in id order, each with its current deliverable's status."""
    query = _query(wanted, reader, today)
    if after_id is not None:
        query = query.where(Task.id > after_id)
    rows = session.execute(query.order_by(Task.id).limit(min(limit, MAX_PAGE)))
    return [_row(row) for row in rows]


def tasks_by_deadline(
    session: Session,
    wanted: TaskFilter,
    reader: Principal,
    *,
    today: date,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[TaskRow], int]:
    """A page of tasks soonest deadline first (standing duties last), and how many match.

    Pages people read go by deadline, as agencies plan their work by it; the API pages by
    id so that a cursor stays valid while tasks change.
    """
    query = _query(wanted, reader, today)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(*_BY_DEADLINE)
    rows = session.execute(ordered.offset(offset).limit(min(limit, MAX_PAGE)))
    return [_row(row) for row in rows], total


def iterate_by_deadline(
    session: Session, wanted: TaskFilter, reader: Principal, *, today: date
) -> Iterator[TaskRow]:
    """Every task of the filter in the order of the pages, streamed, for their downloads."""
    query = _query(wanted, reader, today).order_by(*_BY_DEADLINE)
    for row in session.execute(query.execution_options(yield_per=MAX_PAGE)):
        yield _row(row)


_BY_DEADLINE = (Occurrence.due_on.is_(None), Occurrence.due_on, Task.id)


def status_counts(
    session: Session, wanted: TaskFilter, reader: Principal, *, today: date
) -> dict[TaskStatus, int]:
    """How many of the filter's tasks are in each status, every status present."""
    inner = _query(wanted, reader, today).subquery()
    rows = session.execute(select(inner.c.status, func.count()).group_by(inner.c.status))
    counts = dict.fromkeys(TaskStatus, 0)
    for status, n in rows:
        counts[TaskStatus(status)] = n
    return counts


def iterate_tasks(
    session: Session, wanted: TaskFilter, reader: Principal, *, today: date
) -> Iterator[TaskRow]:
    """Every task of the filter, read a page at a time, for downloads."""
    after: int | None = None
    while True:
        page = list_tasks(session, wanted, reader, today=today, after_id=after, limit=MAX_PAGE)
        yield from page
        if len(page) < MAX_PAGE:
            return
        after = page[-1].id


def _query(wanted: TaskFilter, reader: Principal, today: date) -> Select[*tuple[Any, ...]]:
    lead = aliased(Agency)
    status = status_expression(today).label("status")
    query: Select[*tuple[Any, ...]] = (
        select(
            Task.id,
            Task.position,
            Task.title,
            Task.directive_id,
            Directive.number.label("directive_number"),
            lead.code.label("lead_code"),
            lead.name_vi.label("lead_name"),
            Task.priority,
            Task.deadline_kind,
            Task.assigned_on,
            Occurrence.due_on,
            Occurrence.period,
            Occurrence.percent,
            Occurrence.completed_on,
            status,
        )
        .join(Occurrence, Occurrence.id == Task.current_occurrence_id)
        .join(lead, lead.id == Task.lead_agency_id)
        .outerjoin(Directive, Directive.id == Task.directive_id)
        .where(visible_condition(reader))
    )
    for condition in _conditions(wanted, today):
        query = query.where(condition)
    return query


def _conditions(wanted: TaskFilter, today: date) -> Iterator[ColumnElement[bool]]:
    if wanted.agency_ids:
        leads = Task.lead_agency_id.in_(wanted.agency_ids)
        if wanted.include_coordinated:
            coordinates = exists(
                select(TaskCoordinator.task_id).where(
                    and_(
                        TaskCoordinator.task_id == Task.id,
                        TaskCoordinator.agency_id.in_(wanted.agency_ids),
                    )
                )
            )
            yield leads | coordinates
        else:
            yield leads
    if wanted.directive_id is not None:
        yield Task.directive_id == wanted.directive_id
    if wanted.statuses:
        yield status_expression(today).in_([s.value for s in wanted.statuses])
    if wanted.due_from is not None:
        yield Occurrence.due_on >= wanted.due_from
    if wanted.due_to is not None:
        yield Occurrence.due_on <= wanted.due_to
    if wanted.priorities:
        yield Task.priority.in_(list(wanted.priorities))
    if wanted.text.strip():
        yield Task.search_text.contains(fold(wanted.text))
    if wanted.task_ids:
        yield Task.id.in_(list(wanted.task_ids))


def _row(row: Any) -> TaskRow:
    return TaskRow(
        id=row.id,
        position=row.position,
        title=row.title,
        directive_id=row.directive_id,
        directive_number=row.directive_number,
        lead_agency_code=row.lead_code,
        lead_agency_name=row.lead_name,
        priority=row.priority,
        deadline_kind=row.deadline_kind,
        assigned_on=row.assigned_on,
        due_on=row.due_on,
        period=row.period,
        percent=row.percent,
        completed_on=row.completed_on,
        status=TaskStatus(row.status),
    )
