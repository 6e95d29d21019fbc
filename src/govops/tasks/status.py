"""A task's status, computed from its deadline, its completion date and today.

The five categories are those of Vietnamese government reporting on assigned tasks, plus
"not yet started" for work with no progress reported. Nothing stores a status: the same
rule runs in Python (:func:`status_of`) and in SQL (:func:`status_expression`), so lists,
filters and scorecards agree with each other and with the calendar.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, literal

from govops.core.settings import get_settings
from govops.tasks.models import Occurrence


class TaskStatus(StrEnum):
    COMPLETED_ON_TIME = "completed_on_time"
    COMPLETED_LATE = "completed_late"
    IN_PROGRESS = "in_progress"
    OVERDUE = "overdue"
    NOT_STARTED = "not_started"

    @property
    def label_vi(self) -> str:
        return _LABELS_VI[self]

    @property
    def label_en(self) -> str:
        return _LABELS_EN[self]

    @property
    def is_completed(self) -> bool:
        return self in (TaskStatus.COMPLETED_ON_TIME, TaskStatus.COMPLETED_LATE)


_LABELS_VI = {
    TaskStatus.COMPLETED_ON_TIME: "Hoàn thành đúng hạn",
    TaskStatus.COMPLETED_LATE: "Hoàn thành quá hạn",
    TaskStatus.IN_PROGRESS: "Đang thực hiện trong hạn",
    TaskStatus.OVERDUE: "Quá hạn",
    TaskStatus.NOT_STARTED: "Chưa triển khai",
}
_LABELS_EN = {
    TaskStatus.COMPLETED_ON_TIME: "Completed on time",
    TaskStatus.COMPLETED_LATE: "Completed late",
    TaskStatus.IN_PROGRESS: "In progress within deadline",
    TaskStatus.OVERDUE: "Overdue",
    TaskStatus.NOT_STARTED: "Not yet started",
}


def vietnam_today(now: datetime | None = None) -> date:
    """Today's date in Viet Nam: deadlines are days there, whatever the server's zone."""
    zone = ZoneInfo(get_settings().timezone)
    return (now or datetime.now(zone)).astimezone(zone).date()


def status_of(
    *, due_on: date | None, completed_on: date | None, started: bool, today: date
) -> TaskStatus:
    """The status of one deliverable; a deadline is met on its own day."""
    if completed_on is not None:
        if due_on is None or completed_on <= due_on:
            return TaskStatus.COMPLETED_ON_TIME
        return TaskStatus.COMPLETED_LATE
    if due_on is not None and due_on < today:
        return TaskStatus.OVERDUE
    return TaskStatus.IN_PROGRESS if started else TaskStatus.NOT_STARTED


def occurrence_status(occurrence: Occurrence, today: date) -> TaskStatus:
    return status_of(
        due_on=occurrence.due_on,
        completed_on=occurrence.completed_on,
        started=occurrence.started,
        today=today,
    )


def status_expression(
    today: date, occurrence: type[Occurrence] = Occurrence
) -> ColumnElement[str]:
    """:func:`status_of` as a SQL expression over occurrence columns."""
    return case(
        (
            occurrence.completed_on.is_not(None)
            & (occurrence.due_on.is_(None) | (occurrence.completed_on <= occurrence.due_on)),
            literal(TaskStatus.COMPLETED_ON_TIME.value),
        ),
        (occurrence.completed_on.is_not(None), literal(TaskStatus.COMPLETED_LATE.value)),
        (
            occurrence.due_on.is_not(None) & (occurrence.due_on < today),
            literal(TaskStatus.OVERDUE.value),
        ),
        (occurrence.started.is_(True), literal(TaskStatus.IN_PROGRESS.value)),
        else_=literal(TaskStatus.NOT_STARTED.value),
    )
