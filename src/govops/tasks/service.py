"""Registering directives and assigning their tasks; reading them back with their history.

Every change to a task adds a :class:`TaskEvent` to its history and an entry to the audit
log, in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.models import Agency, Indicator
from govops.core.db import now_utc
from govops.core.errors import Conflict, InvalidRequest, NotFound, PayloadTooLarge
from govops.core.text import fold, nfc
from govops.security import audit
from govops.security.permissions import Principal
from govops.tasks.access import can_see, check_assigner
from govops.tasks.deadlines import Deadline, DeadlineKind, Due, deliverables
from govops.tasks.models import (
    Directive,
    Occurrence,
    Task,
    TaskCoordinator,
    TaskEvent,
    TaskFile,
    TaskIndicator,
)

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
DIRECTIVE_KINDS = {
    "chi_thi": "Chỉ thị",
    "nghi_quyet": "Nghị quyết",
    "quyet_dinh": "Quyết định",
    "cong_dien": "Công điện",
    "thong_bao_ket_luan": "Thông báo kết luận",
    "van_ban_chi_dao": "Văn bản chỉ đạo",
}


class Priority(StrEnum):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


@dataclass(frozen=True)
class NewFile:
    filename: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class NewDirective:
    number: str
    kind: str
    issued_on: date
    signer: str
    title: str
    summary: str = ""
    document: NewFile | None = None


@dataclass(frozen=True)
class NewTask:
    title: str
    lead_agency_id: int
    assigned_on: date
    deadline: Deadline
    directive_id: int | None = None
    position: str = ""
    description: str = ""
    coordinator_ids: Sequence[int] = ()
    priority: Priority = Priority.NORMAL
    indicator_codes: Sequence[str] = ()
    source: str = ""


@dataclass
class TaskChanges:
    """Fields to change on a task; None leaves a field as it is."""

    title: str | None = None
    description: str | None = None
    priority: Priority | None = None
    coordinator_ids: Sequence[int] | None = None
    indicator_codes: Sequence[str] | None = None


# --- files ------------------------------------------------------------------------------


def store_file(session: Session, new: NewFile) -> str:
    """Keep a file once by its content's digest, and answer the digest."""
    if len(new.content) > MAX_FILE_BYTES:
        raise PayloadTooLarge(
            f"file '{new.filename}' has {len(new.content)} bytes; the limit is "
            f"{MAX_FILE_BYTES} bytes per file",
            field="file",
        )
    if not new.content:
        raise InvalidRequest(f"file '{new.filename}' is empty", field="file")
    digest = "sha256:" + hashlib.sha256(new.content).hexdigest()
    if session.get(TaskFile, digest) is None:
        session.add(
            TaskFile(
                digest=digest,
                media_type=new.media_type or "application/octet-stream",
                size=len(new.content),
                content=new.content,
                stored_at=now_utc(),
            )
        )
        session.flush()
    return digest


def get_file(session: Session, digest: str) -> TaskFile:
    found = session.get(TaskFile, digest)
    if found is None:
        raise NotFound(f"file {digest} is not stored")
    return found


# --- directives -------------------------------------------------------------------------


def register_directive(session: Session, new: NewDirective, *, by: audit.Actor) -> Directive:
    check_assigner(by.principal)
    number = _required(new.number, "number")
    if new.kind not in DIRECTIVE_KINDS:
        raise InvalidRequest(
            f"directive kind '{new.kind}' is not one of {', '.join(DIRECTIVE_KINDS)}",
            field="kind",
            value=new.kind,
        )
    if session.scalar(select(Directive.id).where(Directive.number == number)) is not None:
        raise Conflict(f"directive {number} is already registered", field="number")

    directive = Directive(
        number=number,
        kind=new.kind,
        issued_on=new.issued_on,
        signer=_required(new.signer, "signer"),
        title=_required(new.title, "title"),
        summary=nfc(new.summary.strip()),
        created_at=now_utc(),
    )
    if new.document is not None:
        directive.document_digest = store_file(session, new.document)
        directive.document_name = nfc(new.document.filename)[:300]
    directive.search_text = fold(f"{number} {directive.title} {directive.summary}")
    session.add(directive)
    session.flush()

    audit.record(
        session,
        "directive.register",
        by=by,
        object_type="directive",
        object_id=directive.id,
        summary=f"{number}: {directive.title}",
    )
    return directive


def get_directive(session: Session, directive_id: int) -> Directive:
    directive = session.get(Directive, directive_id)
    if directive is None:
        raise NotFound(f"directive {directive_id} does not exist")
    return directive


def find_directive(session: Session, number: str) -> Directive | None:
    return session.scalar(select(Directive).where(Directive.number == nfc(number.strip())))


# --- tasks ------------------------------------------------------------------------------


def assign_task(session: Session, new: NewTask, *, by: audit.Actor) -> Task:
    """Create a task and its deliverables, or refuse naming the field that is wrong."""
    check_assigner(by.principal)
    return create_task(session, new, by=by)


def assign_task_from_warning(
    session: Session,
    *,
    lead_agency_id: int,
    title: str,
    description: str,
    deadline: date,
    source: str,
    by: audit.Actor,
) -> Task:
    """A task made from a warning: no directive, a dated deadline, assigned today."""
    from govops.tasks.status import vietnam_today

    check_assigner(by.principal)
    new = NewTask(
        title=title,
        description=description,
        lead_agency_id=lead_agency_id,
        assigned_on=min(vietnam_today(), deadline),
        deadline=Deadline.on(deadline),
        priority=Priority.HIGH,
        source=source,
    )
    return create_task(session, new, by=by)


def create_task(
    session: Session, new: NewTask, *, by: audit.Actor, audit_each: bool = True
) -> Task:
    """Assign without checking the caller again; ``audit_each=False`` is for imports,
    which record one audit entry for the whole file."""
    check_agency(session, new.lead_agency_id, "lead_agency")
    coordinators = _coordinators(session, new.coordinator_ids, new.lead_agency_id)
    indicators = _indicator_ids(session, new.indicator_codes)
    if new.directive_id is not None:
        get_directive(session, new.directive_id)
    dues = deliverables(new.deadline, new.assigned_on)

    task = build_task(
        new, coordinator_ids=coordinators, indicator_ids=indicators, dues=dues, stamp=now_utc()
    )
    session.add(task)
    session.flush()
    refresh_current(task)

    record_event(session, task, "assigned", by, task_facts(task))
    if not audit_each:
        return task
    audit.record(
        session,
        "task.assign",
        by=by,
        object_type="task",
        object_id=task.id,
        summary=f"{task.title} (lead agency {task.lead_agency_id})",
    )
    return task


def build_task(
    new: NewTask,
    *,
    coordinator_ids: Sequence[int],
    indicator_ids: Sequence[int],
    dues: Sequence[Due],
    stamp: datetime,
) -> Task:
    """The task and its deliverables, not yet added to a session, from values already
    checked (by :func:`create_task`, or by an import's first pass)."""
    task = Task(
        directive_id=new.directive_id,
        position=new.position.strip(),
        title=_required(new.title, "title"),
        description=nfc(new.description.strip()),
        lead_agency_id=new.lead_agency_id,
        assigned_on=new.assigned_on,
        deadline_kind=new.deadline.kind.value,
        due_on=new.deadline.due_on if new.deadline.kind is DeadlineKind.DATE else None,
        due_day=new.deadline.due_day,
        recurs_until=new.deadline.until,
        priority=Priority(new.priority).value,
        source=new.source[:200],
        created_at=stamp,
        updated_at=stamp,
    )
    task.coordinators = [TaskCoordinator(agency_id=agency) for agency in coordinator_ids]
    task.indicators = [TaskIndicator(indicator_id=indicator) for indicator in indicator_ids]
    task.occurrences = [
        Occurrence(
            sequence=number,
            lead_agency_id=new.lead_agency_id,
            directive_id=new.directive_id,
            period=due.period,
            original_due_on=due.due_on,
            due_on=due.due_on,
            started=False,
            percent=0,
            # Set, not left to the database, so the first change has a known "before".
            completed_on=None,
        )
        for number, due in enumerate(dues, start=1)
    ]
    task.search_text = fold(f"{task.title} {task.description}")
    return task


def change_task(session: Session, task_id: int, changes: TaskChanges, *, by: audit.Actor) -> Task:
    check_assigner(by.principal)
    task = get_task(session, task_id, by.principal)
    before = task_facts(task)
    if changes.title is not None:
        task.title = _required(changes.title, "title")
    if changes.description is not None:
        task.description = nfc(changes.description.strip())
    if changes.priority is not None:
        task.priority = Priority(changes.priority).value
    if changes.coordinator_ids is not None:
        wanted = _coordinators(session, changes.coordinator_ids, task.lead_agency_id)
        task.coordinators = [TaskCoordinator(agency_id=agency) for agency in wanted]
    if changes.indicator_codes is not None:
        ids = _indicator_ids(session, changes.indicator_codes)
        task.indicators = [TaskIndicator(indicator_id=indicator) for indicator in ids]
    task.search_text = fold(f"{task.title} {task.description}")
    task.updated_at = now_utc()
    session.flush()

    after = task_facts(task)
    changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changed:
        record_event(session, task, "changed", by, changed)
        audit.record(
            session,
            "task.change",
            by=by,
            object_type="task",
            object_id=task.id,
            summary="changed " + ", ".join(sorted(changed)),
        )
    return task


def get_task(session: Session, task_id: int, reader: Principal) -> Task:
    """The task, if it exists and the reader may see it (otherwise: not found)."""
    task = session.get(Task, task_id)
    # An agency that may not see a task is not told that it exists.
    if task is None or not can_see(reader, task):
        raise NotFound(f"task {task_id} does not exist or is not one of your agency's tasks")
    return task


def history(session: Session, task_id: int, reader: Principal) -> list[TaskEvent]:
    get_task(session, task_id, reader)
    return list(
        session.scalars(
            select(TaskEvent).where(TaskEvent.task_id == task_id).order_by(TaskEvent.id)
        )
    )


def refresh_current(task: Task) -> None:
    """Point the task at the deliverable its status is read from."""
    open_ones = [o for o in task.occurrences if o.completed_on is None]
    current = open_ones[0] if open_ones else task.occurrences[-1]
    task.current_occurrence_id = current.id


def current_occurrence(task: Task) -> Occurrence:
    for occurrence in task.occurrences:
        if occurrence.id == task.current_occurrence_id:
            return occurrence
    return task.occurrences[-1]


def record_event(
    session: Session,
    task: Task,
    kind: str,
    by: audit.Actor,
    details: dict[str, Any],
    occurrence: Occurrence | None = None,
) -> TaskEvent:
    event = TaskEvent(
        task_id=task.id,
        occurrence_id=occurrence.id if occurrence else None,
        at=now_utc(),
        kind=kind,
        actor_name=nfc(by.principal.name)[:200],
        actor_agency_id=by.principal.agency_id,
        details=json.dumps(details, ensure_ascii=False, default=str),
    )
    session.add(event)
    return event


# --- checks -----------------------------------------------------------------------------


def check_agency(session: Session, agency_id: int, field_name: str) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise InvalidRequest(
            f"{field_name}: agency {agency_id} is not in the catalogue",
            field=field_name,
            value=agency_id,
        )
    return agency


def agency_by_code(session: Session, code: str, field_name: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code.strip()))
    if agency is None:
        raise InvalidRequest(
            f"{field_name}: agency '{code}' is not in the catalogue; see /api/v1/agencies",
            field=field_name,
            value=code,
        )
    return agency


def _coordinators(session: Session, agency_ids: Sequence[int], lead: int) -> list[int]:
    wanted = sorted(set(agency_ids))
    for agency in wanted:
        check_agency(session, agency, "coordinating_agencies")
    if lead in wanted:
        raise InvalidRequest(
            "the lead agency cannot also be one of the co-ordinating agencies",
            field="coordinating_agencies",
            value=lead,
        )
    return wanted


def _indicator_ids(session: Session, codes: Sequence[str]) -> list[int]:
    ids: list[int] = []
    for code in sorted(set(codes)):
        found = session.scalar(select(Indicator.id).where(Indicator.code == code))
        if found is None:
            raise InvalidRequest(
                f"indicator '{code}' is not in the catalogue", field="indicators", value=code
            )
        ids.append(found)
    return ids


def _required(text: str, field_name: str) -> str:
    cleaned = nfc(text.strip()) if text else ""
    if not cleaned:
        raise InvalidRequest(f"{field_name} is empty; it is required", field=field_name)
    return cleaned


def task_facts(task: Task) -> dict[str, Any]:
    return {
        "title": task.title,
        "description": task.description,
        "lead_agency": task.lead_agency_id,
        "coordinating_agencies": [c.agency_id for c in task.coordinators],
        "indicators": [i.indicator_id for i in task.indicators],
        "priority": task.priority,
        "deadline_kind": task.deadline_kind,
        "due_on": task.due_on,
        "due_day": task.due_day,
        "recurs_until": task.recurs_until,
        "directive": task.directive_id,
    }
