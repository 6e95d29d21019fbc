"""Directives and tasks: deadlines, status from dates, who sees what, the history kept."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from govops.core.errors import Conflict, InvalidRequest, NotFound
from govops.security.errors import PermissionDenied
from govops.security.permissions import Role
from govops.security.web import ANONYMOUS
from govops.tasks.deadlines import Deadline, deliverables
from govops.tasks.models import Occurrence, Task, TaskFile
from govops.tasks.service import (
    NewDirective,
    NewFile,
    TaskChanges,
    assign_task_from_warning,
    change_task,
    get_task,
    history,
    register_directive,
)
from govops.tasks.status import TaskStatus, occurrence_status, status_expression, status_of
from tasks_helpers import agency, directive, officer, person, specialist, task

DAY = date(2025, 6, 30)


@pytest.mark.parametrize(
    ("completed_on", "started", "today", "expected"),
    [
        (date(2025, 6, 30), True, date(2025, 7, 5), TaskStatus.COMPLETED_ON_TIME),
        (date(2025, 7, 1), True, date(2025, 7, 5), TaskStatus.COMPLETED_LATE),
        (None, True, date(2025, 6, 30), TaskStatus.IN_PROGRESS),
        (None, False, date(2025, 6, 30), TaskStatus.NOT_STARTED),
        (None, True, date(2025, 7, 1), TaskStatus.OVERDUE),
        (None, False, date(2025, 7, 1), TaskStatus.OVERDUE),
    ],
)
def test_a_status_follows_from_the_deadline_the_completion_date_and_today(
    completed_on, started, today, expected
):
    assert status_of(due_on=DAY, completed_on=completed_on, started=started, today=today) is (
        expected
    )


def test_a_standing_duty_is_never_overdue():
    status = status_of(due_on=None, completed_on=None, started=True, today=date(2030, 1, 1))
    assert status is TaskStatus.IN_PROGRESS


def test_a_monthly_duty_makes_one_deliverable_per_month_on_its_day():
    dues = deliverables(Deadline.monthly(20, date(2025, 6, 30)), date(2025, 2, 25))
    assert [(d.period, d.due_on) for d in dues] == [
        ("2025-M03", date(2025, 3, 20)),
        ("2025-M04", date(2025, 4, 20)),
        ("2025-M05", date(2025, 5, 20)),
        ("2025-M06", date(2025, 6, 20)),
    ]


def test_a_duty_due_on_the_31st_falls_on_the_last_day_of_shorter_months():
    dues = deliverables(Deadline.monthly(31, date(2025, 4, 30)), date(2025, 2, 1))
    assert [d.due_on for d in dues] == [date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)]


def test_a_quarterly_duty_falls_due_in_the_last_month_of_each_quarter():
    dues = deliverables(Deadline.quarterly(25, date(2025, 12, 31)), date(2025, 5, 1))
    assert [(d.period, d.due_on) for d in dues] == [
        ("2025-Q2", date(2025, 6, 25)),
        ("2025-Q3", date(2025, 9, 25)),
        ("2025-Q4", date(2025, 12, 25)),
    ]


def test_a_deadline_before_the_assignment_date_is_refused_naming_the_field():
    with pytest.raises(InvalidRequest) as refused:
        deliverables(Deadline.on(date(2025, 3, 1)), date(2025, 3, 10))
    assert refused.value.extensions["field"] == "deadline"
    assert "before the assignment date 2025-03-10" in refused.value.detail


def test_a_recurring_duty_without_its_day_is_refused():
    with pytest.raises(InvalidRequest) as refused:
        deliverables(Deadline(Deadline.monthly(1, DAY).kind, until=DAY), date(2025, 1, 1))
    assert refused.value.extensions["field"] == "due_day"


def test_a_registered_directive_keeps_its_document_by_content(store):
    with store.session() as session, session.begin():
        content = "CHỈ THỊ Về nhiệm vụ...".encode()
        new = NewDirective(
            number="25/CT-TTg",
            kind="chi_thi",
            issued_on=date(2025, 3, 10),
            signer="Phạm Minh Chính",
            title="Về nhiệm vụ, giải pháp",
            document=NewFile("25-ct-ttg.pdf", "application/pdf", content),
        )
        made = register_directive(session, new, by=specialist(session))
        stored = session.get(TaskFile, made.document_digest)
        assert stored is not None and stored.content == content
        assert made.document_digest.startswith("sha256:")


def test_the_same_directive_number_cannot_be_registered_twice(store):
    with store.session() as session, session.begin():
        directive(session)
        with pytest.raises(Conflict):
            directive(session)


def test_an_agency_officer_cannot_register_a_directive(store):
    with store.session() as session, session.begin():
        new = NewDirective("1/CT-TTg", "chi_thi", date(2025, 1, 2), "A", "B")
        with pytest.raises(PermissionDenied):
            register_directive(session, new, by=officer(session, "MOC"))


def test_a_task_with_an_unknown_agency_is_refused_naming_the_field(store):
    with store.session() as session, session.begin():
        with pytest.raises(InvalidRequest) as refused:
            from govops.tasks.service import NewTask, assign_task

            new = NewTask("Việc", 999_999, date(2025, 1, 2), Deadline.on(DAY))
            assign_task(session, new, by=specialist(session))
        assert refused.value.extensions["field"] == "lead_agency"


def test_a_new_dated_task_has_one_deliverable_not_yet_started(store):
    with store.session() as session, session.begin():
        made = task(session, coordinators=("MOF",))
        [occurrence] = made.occurrences
        assert occurrence.due_on == DAY
        assert occurrence_status(occurrence, date(2025, 4, 1)) is TaskStatus.NOT_STARTED
        assert occurrence_status(occurrence, date(2025, 7, 1)) is TaskStatus.OVERDUE
        assert made.current_occurrence_id == occurrence.id


def test_the_status_in_sql_agrees_with_the_status_in_python(store):
    with store.session() as session, session.begin():
        made = task(session, deadline=Deadline.monthly(20, date(2025, 8, 31)))
        made.occurrences[0].completed_on = date(2025, 3, 18)
        made.occurrences[1].completed_on = date(2025, 4, 25)
        made.occurrences[2].started = True
        session.flush()
        today = date(2025, 6, 21)
        in_sql = dict(
            session.execute(
                select(Occurrence.id, status_expression(today)).where(
                    Occurrence.task_id == made.id
                )
            ).all()
        )
        in_python = {o.id: occurrence_status(o, today).value for o in made.occurrences}
        assert in_sql == in_python
        assert sorted(in_python.values()) == [
            "completed_late",
            "completed_on_time",
            "not_started",
            "not_started",
            "overdue",
            "overdue",
        ]


def test_an_agency_officer_sees_only_tasks_its_agency_leads_or_coordinates(store):
    with store.session() as session, session.begin():
        led = task(session, "MOC")
        coordinated = task(session, "MOF", coordinators=("MOC",))
        other = task(session, "MOH")
        builder = officer(session, "MOC").principal
        assert get_task(session, led.id, builder) is led
        assert get_task(session, coordinated.id, builder) is coordinated
        with pytest.raises(NotFound):
            get_task(session, other.id, builder)
        leader = person(session, Role.LEADER).principal
        assert get_task(session, other.id, leader) is other
        with pytest.raises(NotFound):
            get_task(session, led.id, ANONYMOUS)


def test_every_change_to_a_task_is_kept_in_its_history(store):
    with store.session() as session, session.begin():
        made = task(session, "MOC")
        change = TaskChanges(priority="high", coordinator_ids=[agency(session, "MOF")])
        change_task(session, made.id, change, by=specialist(session))
        events = history(session, made.id, specialist(session).principal)
        assert [e.kind for e in events] == ["assigned", "changed"]
        changed = json.loads(events[1].details)
        assert changed["priority"] == ["normal", "high"]
        assert changed["coordinating_agencies"] == [[], [agency(session, "MOF")]]
        assert events[1].actor_name == "analyst VPCP"


def test_the_lead_agency_cannot_also_coordinate(store):
    with store.session() as session, session.begin():
        with pytest.raises(InvalidRequest) as refused:
            task(session, "MOC", coordinators=("MOC",))
        assert refused.value.extensions["field"] == "coordinating_agencies"


def test_a_warning_becomes_a_high_priority_task_without_a_directive(store):
    with store.session() as session, session.begin():
        made = assign_task_from_warning(
            session,
            lead_agency_id=agency(session, "MOIT"),
            title="Rà soát nguồn cung xăng dầu",
            description="Cảnh báo: tồn kho xăng dầu dưới ngưỡng 15 ngày",
            deadline=date(2099, 1, 31),
            source="warning:17",
            by=specialist(session),
        )
        stored = session.get(Task, made.id)
        assert stored is not None and stored.directive_id is None
        assert stored.priority == "high"
        assert stored.source == "warning:17"
        assert stored.occurrences[0].due_on == date(2099, 1, 31)
