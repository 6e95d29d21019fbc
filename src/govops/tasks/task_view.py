"""What a task's page shows: its facts, deliverables, what was said, and what the viewer may do."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.models import Agency, Indicator
from govops.security.permissions import Permission, Scope
from govops.tasks import progress, service
from govops.tasks.access import involved_agencies, sees_every_task
from govops.tasks.models import (
    Attachment,
    Comment,
    Completion,
    ExtensionRequest,
    Task,
    TaskEvent,
)
from govops.tasks.page_texts import describe_deadline
from govops.tasks.status import occurrence_status, vietnam_today
from govops.web.auth import Viewer


def task_context(
    session: Session, task_id: int, viewer: Viewer, *, error: str | None = None
) -> dict[str, Any]:
    """Everything the task page needs; NotFound for a task the viewer may not see."""
    task = service.get_task(session, task_id, viewer.principal)
    today = vietnam_today()
    current = service.current_occurrence(task)
    names = _agency_names(session, viewer.language)
    return {
        "task": task,
        "error": error,
        "today": today,
        "status": occurrence_status(current, today),
        "current": current,
        "lead": names.get(task.lead_agency_id, ("?", "?")),
        "coordinators": [names[c.agency_id] for c in task.coordinators],
        "indicators": _indicators(session, task, viewer.language),
        "deadline": describe_deadline(
            kind=task.deadline_kind,
            due_on=task.due_on,
            due_day=task.due_day,
            until=task.recurs_until,
            language=viewer.language,
        ),
        "deliverables": [(o, occurrence_status(o, today)) for o in task.occurrences],
        "open_deliverables": [o for o in task.occurrences if o.completed_on is None],
        "reports": [
            (r, _attachments(session, report_id=r.id)) for r in progress.reports_of(session, task)
        ],
        "comments": _of_task(session, Comment, task),
        "extensions": _of_task(session, ExtensionRequest, task),
        "completions": [
            (c, _attachments(session, completion_id=c.id))
            for c in _of_task(session, Completion, task)
        ],
        "history": [(e, json.loads(e.details)) for e in _of_task(session, TaskEvent, task)],
        **_permissions(viewer, task, current.completed_on is None),
    }


def _permissions(viewer: Viewer, task: Task, is_open: bool) -> dict[str, bool]:
    principal = viewer.principal
    leads = principal.scope is Scope.EVERY_AGENCY or principal.agency_id == task.lead_agency_id
    may_report = viewer.may(Permission.TASKS_REPORT) and leads
    may_assign = viewer.may(Permission.TASKS_ASSIGN)
    involved = principal.agency_id is not None and principal.agency_id in involved_agencies(task)
    return {
        "may_report": may_report and is_open,
        "may_decide": may_assign,
        "may_comment": involved
        or principal.scope is Scope.EVERY_AGENCY
        or (sees_every_task(principal) and may_assign),
    }


def _agency_names(session: Session, language: str) -> dict[int, tuple[str, str]]:
    rows = session.execute(select(Agency.id, Agency.code, Agency.name_vi, Agency.name_en))
    return {r.id: (r.code, r.name_vi if language == "vi" else r.name_en) for r in rows}


def _indicators(session: Session, task: Task, language: str) -> list[tuple[str, str]]:
    ids = [i.indicator_id for i in task.indicators]
    if not ids:
        return []
    found = session.scalars(select(Indicator).where(Indicator.id.in_(ids)))
    return [(i.code, i.name_vi if language == "vi" else i.name_en) for i in found]


def _attachments(
    session: Session, *, report_id: int | None = None, completion_id: int | None = None
) -> list[Attachment]:
    query = select(Attachment).order_by(Attachment.id)
    if report_id is not None:
        query = query.where(Attachment.report_id == report_id)
    else:
        query = query.where(Attachment.completion_id == completion_id)
    return list(session.scalars(query))


def _of_task(session: Session, model: Any, task: Task) -> list[Any]:
    return list(session.scalars(select(model).where(model.task_id == task.id).order_by(model.id)))
