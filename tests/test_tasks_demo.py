"""The demo's tasks: about 500 over two years, a believable mix of statuses, the same
registry from the same day."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime

from rich.console import Console
from rich.progress import Progress
from sqlalchemy import select, text

from govops.security.permissions import OPERATOR
from govops.tasks.demo import build_tasks_demo
from govops.tasks.models import Directive, Occurrence, Task
from govops.tasks.scorecard import compute_scorecard
from govops.tasks.status import TaskStatus, status_expression

AS_OF = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
TODAY = AS_OF.date()


def build(store) -> None:
    console = Console(file=io.StringIO())
    with store.session() as session, session.begin(), Progress(console=console) as progress:
        build_tasks_demo(session, AS_OF, progress)


def fingerprint(store) -> list[tuple[object, ...]]:
    with store.session() as session:
        rows = session.execute(
            select(Task.title, Task.lead_agency_id, Occurrence.due_on, Occurrence.completed_on)
            .join(Occurrence, Occurrence.task_id == Task.id)
            .order_by(Task.id, Occurrence.sequence)
        )
        return [tuple(row) for row in rows]


def test_the_demo_has_about_500_tasks_with_a_believable_mix_of_statuses(store):
    build(store)
    with store.session() as session:
        assert session.scalar(select(text("count(*)")).select_from(Directive)) >= 15
        tasks = session.scalar(select(text("count(*)")).select_from(Task))
        assert 450 <= tasks <= 550
        statuses = Counter(
            session.scalars(
                select(status_expression(TODAY)).join(
                    Task, Task.current_occurrence_id == Occurrence.id
                )
            )
        )
        total = sum(statuses.values())
        assert statuses[TaskStatus.COMPLETED_ON_TIME] / total > 0.4
        for status in TaskStatus:
            assert statuses[status] > 0, status
        card = compute_scorecard(session, today=TODAY, reader=OPERATOR)
        assert sum(1 for line in card.lines if line.key.startswith("UBND-")) >= 20


def test_the_same_day_builds_the_same_registry(store):
    build(store)
    first = fingerprint(store)
    with store.engine.begin() as connection:
        for table in (
            "task_event",
            "task_completion",
            "task_report",
            "task_occurrence",
            "task_coordinator",
            "task",
            "task_directive",
            "audit_entry",
        ):
            connection.execute(text(f"DELETE FROM {table}"))
    build(store)
    assert fingerprint(store) == first
