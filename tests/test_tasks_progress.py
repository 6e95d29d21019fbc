"""Reports, comments, extensions and completions, and who may make each."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from govops.core.errors import Conflict, InvalidRequest
from govops.security.errors import PermissionDenied
from govops.security.models import AuditEntry
from govops.tasks.models import Attachment, TaskFile
from govops.tasks.progress import (
    NewReport,
    comment_on,
    decide_completion,
    decide_extension,
    report_progress,
    request_extension,
    submit_completion,
)
from govops.tasks.service import NewFile, history
from govops.tasks.status import TaskStatus, occurrence_status
from tasks_helpers import officer, specialist, task

LATER = date(2025, 9, 30)


def test_the_lead_agency_reports_progress_with_a_file_and_the_task_counts_as_started(store):
    with store.session() as session, session.begin():
        made = task(session, "MOC")
        plan = NewFile("ke-hoach.docx", "application/octet-stream", b"PK plan")
        report = report_progress(
            session,
            made.id,
            NewReport("Đã ban hành kế hoạch triển khai", 30, [plan]),
            by=officer(session, "MOC"),
        )
        occurrence = made.occurrences[0]
        assert occurrence_status(occurrence, date(2025, 4, 1)) is TaskStatus.IN_PROGRESS
        assert occurrence.percent == 30
        [attached] = session.scalars(select(Attachment).where(Attachment.report_id == report.id))
        assert attached.filename == "ke-hoach.docx"
        assert session.get(TaskFile, attached.file_digest).content == b"PK plan"
        actions = session.scalars(select(AuditEntry.action)).all()
        assert "task.report" in actions


def test_a_report_on_another_agencys_task_is_refused(store):
    with store.session() as session, session.begin():
        made = task(session, "MOC", coordinators=("MOF",))
        with pytest.raises(PermissionDenied) as refused:
            report_progress(session, made.id, NewReport("x", 10), by=officer(session, "MOF"))
        assert "led by another agency" in refused.value.detail


def test_a_percent_outside_0_to_100_is_refused_naming_the_field(store):
    with store.session() as session, session.begin():
        made = task(session, "MOC")
        with pytest.raises(InvalidRequest) as refused:
            report_progress(session, made.id, NewReport("x", 120), by=officer(session, "MOC"))
        assert refused.value.extensions["field"] == "percent"


def test_coordinating_agencies_comment_and_others_cannot(store):
    with store.session() as session, session.begin():
        made = task(session, "MOC", coordinators=("MOF",))
        comment_on(session, made.id, "Bộ Tài chính đã bố trí vốn", by=officer(session, "MOF"))
        with pytest.raises(Exception) as refused:
            comment_on(session, made.id, "?", by=officer(session, "MOH"))
        # An agency not involved is not even told the task exists.
        assert refused.value.status == 404  # type: ignore[attr-defined]
        kinds = [e.kind for e in history(session, made.id, specialist(session).principal)]
        assert kinds == ["assigned", "commented"]


def test_an_approved_extension_moves_the_deadline_and_a_refused_one_does_not(store):
    with store.session() as session, session.begin():
        made = task(session, "MOC")
        builder = officer(session, "MOC")
        asked = request_extension(
            session, made.id, new_due_on=LATER, reason="Chờ phê duyệt vốn", by=builder
        )
        decide_extension(session, asked.id, approve=True, by=specialist(session))
        occurrence = made.occurrences[0]
        assert occurrence.due_on == LATER
        assert occurrence.original_due_on == date(2025, 6, 30)
        assert occurrence_status(occurrence, date(2025, 7, 15)) is TaskStatus.NOT_STARTED

        again = request_extension(
            session, made.id, new_due_on=date(2025, 12, 31), reason="Thêm", by=builder
        )
        decide_extension(
            session, again.id, approve=False, note="Không có căn cứ", by=specialist(session)
        )
        assert occurrence.due_on == LATER
        with pytest.raises(Conflict):
            decide_extension(session, again.id, approve=True, by=specialist(session))


def test_only_the_government_office_decides_an_extension(store):
    with store.session() as session, session.begin():
        made = task(session, "MOC")
        builder = officer(session, "MOC")
        asked = request_extension(session, made.id, new_due_on=LATER, reason="x", by=builder)
        with pytest.raises(PermissionDenied):
            decide_extension(session, asked.id, approve=True, by=builder)


def test_an_extension_must_move_the_deadline_later(store):
    with store.session() as session, session.begin():
        made = task(session, "MOC")
        with pytest.raises(InvalidRequest) as refused:
            request_extension(
                session,
                made.id,
                new_due_on=date(2025, 6, 1),
                reason="x",
                by=officer(session, "MOC"),
            )
        assert refused.value.extensions["field"] == "new_due_on"


def test_an_accepted_completion_after_the_deadline_counts_as_completed_late(store):
    with store.session() as session, session.begin():
        made = task(session, "MOC")
        done = submit_completion(
            session,
            made.id,
            evidence="Báo cáo số 123/BC-BXD",
            completed_on=date(2025, 7, 3),
            by=officer(session, "MOC"),
        )
        occurrence = made.occurrences[0]
        assert occurrence.completed_on is None
        decide_completion(session, done.id, accept=True, by=specialist(session))
        assert occurrence_status(occurrence, date(2025, 8, 1)) is TaskStatus.COMPLETED_LATE
        kinds = [e.kind for e in history(session, made.id, specialist(session).principal)]
        assert kinds == ["assigned", "completion_submitted", "completion_accepted"]


def test_a_completion_sent_back_leaves_the_task_open_and_needs_a_reason(store):
    with store.session() as session, session.begin():
        made = task(session, "MOC")
        done = submit_completion(
            session,
            made.id,
            evidence="x",
            completed_on=date(2025, 6, 1),
            by=officer(session, "MOC"),
        )
        with pytest.raises(InvalidRequest) as refused:
            decide_completion(session, done.id, accept=False, by=specialist(session))
        assert refused.value.extensions["field"] == "note"
        decide_completion(
            session, done.id, accept=False, note="Thiếu văn bản ban hành", by=specialist(session)
        )
        assert made.occurrences[0].completed_on is None
        event = history(session, made.id, specialist(session).principal)[-1]
        assert json.loads(event.details)["note"] == "Thiếu văn bản ban hành"


def test_an_extension_on_a_completed_task_is_refused(store):
    with store.session() as session, session.begin():
        made = task(session, "MOC")
        builder = officer(session, "MOC")
        done = submit_completion(
            session, made.id, evidence="x", completed_on=date(2025, 6, 1), by=builder
        )
        decide_completion(session, done.id, accept=True, by=specialist(session))
        with pytest.raises(Conflict) as refused:
            request_extension(session, made.id, new_due_on=LATER, reason="x", by=builder)
        assert "completed on 2025-06-01" in refused.value.detail


def test_completing_one_month_of_a_duty_moves_the_task_to_the_next_month(store):
    from govops.tasks.deadlines import Deadline

    with store.session() as session, session.begin():
        made = task(session, "MOF", deadline=Deadline.monthly(20, date(2025, 6, 30)))
        first, second = made.occurrences[0], made.occurrences[1]
        done = submit_completion(
            session,
            made.id,
            evidence="Báo cáo tháng 3",
            completed_on=date(2025, 3, 19),
            by=officer(session, "MOF"),
        )
        assert done.occurrence_id == first.id
        decide_completion(session, done.id, accept=True, by=specialist(session))
        assert made.current_occurrence_id == second.id
        assert occurrence_status(first, date(2025, 5, 1)) is TaskStatus.COMPLETED_ON_TIME
        assert occurrence_status(second, date(2025, 5, 1)) is TaskStatus.OVERDUE
