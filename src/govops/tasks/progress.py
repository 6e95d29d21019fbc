"""What agencies do with their tasks: report progress, comment, ask for more time, finish.

The lead agency reports, asks for extensions and submits completion; co-ordinating
agencies comment; holders of ``tasks:assign`` decide extensions and accept or send back
completions. A deliverable counts as completed, on the day the agency says the work was
done, once its completion is accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.core.db import now_utc
from govops.core.errors import Conflict, InvalidRequest, NotFound
from govops.core.text import nfc
from govops.security import audit
from govops.tasks.access import check_assigner, check_commenter, check_lead
from govops.tasks.models import (
    Attachment,
    Comment,
    Completion,
    ExtensionRequest,
    Occurrence,
    ProgressReport,
    Task,
)
from govops.tasks.service import (
    NewFile,
    current_occurrence,
    get_task,
    record_event,
    refresh_current,
    store_file,
)
from govops.tasks.status import vietnam_today

MAX_TEXT = 20_000


@dataclass(frozen=True)
class NewReport:
    text: str
    percent: int
    attachments: Sequence[NewFile] = ()
    occurrence_id: int | None = None


def report_progress(
    session: Session, task_id: int, new: NewReport, *, by: audit.Actor
) -> ProgressReport:
    task = get_task(session, task_id, by.principal)
    check_lead(by.principal, task, "report progress on it")
    occurrence = _occurrence(task, new.occurrence_id)
    _check_open(task, occurrence, "take progress reports")
    text = _text(new.text, "text")
    if not 0 <= new.percent <= 100:
        raise InvalidRequest(
            f"percent {new.percent} is outside 0 to 100", field="percent", value=new.percent
        )

    report = ProgressReport(
        task_id=task.id,
        occurrence_id=occurrence.id,
        agency_id=task.lead_agency_id,
        author=nfc(by.principal.name)[:200],
        text=text,
        percent=new.percent,
        submitted_at=now_utc(),
    )
    session.add(report)
    session.flush()
    names = _attach(session, task, new.attachments, report_id=report.id)
    occurrence.started = True
    occurrence.percent = new.percent

    details = {"percent": new.percent, "text": text, "attachments": names}
    record_event(session, task, "progress_reported", by, details, occurrence)
    _audit(session, by, "task.report", task, f"progress {new.percent}%")
    return report


def comment_on(session: Session, task_id: int, text: str, *, by: audit.Actor) -> Comment:
    task = get_task(session, task_id, by.principal)
    check_commenter(by.principal, task)
    comment = Comment(
        task_id=task.id,
        agency_id=by.principal.agency_id,
        author=nfc(by.principal.name)[:200],
        text=_text(text, "text"),
        written_at=now_utc(),
    )
    session.add(comment)
    session.flush()
    record_event(session, task, "commented", by, {"text": comment.text})
    _audit(session, by, "task.comment", task, "comment")
    return comment


def request_extension(
    session: Session,
    task_id: int,
    *,
    new_due_on: date,
    reason: str,
    occurrence_id: int | None = None,
    by: audit.Actor,
) -> ExtensionRequest:
    task = get_task(session, task_id, by.principal)
    check_lead(by.principal, task, "ask for an extension")
    occurrence = _occurrence(task, occurrence_id)
    _check_open(task, occurrence, "have its deadline extended")
    if occurrence.due_on is None:
        raise InvalidRequest(
            f"task {task.id} is a standing duty with no deadline to extend", field="task"
        )
    if new_due_on <= occurrence.due_on:
        raise InvalidRequest(
            f"the new deadline {new_due_on.isoformat()} must be after the current one "
            f"{occurrence.due_on.isoformat()}",
            field="new_due_on",
            value=new_due_on.isoformat(),
        )
    if _pending(session, ExtensionRequest, occurrence) is not None:
        raise Conflict(
            f"task {task.id} already has an extension request waiting for a decision",
            field="task",
        )

    request = ExtensionRequest(
        task_id=task.id,
        occurrence_id=occurrence.id,
        agency_id=task.lead_agency_id,
        requested_by=nfc(by.principal.name)[:200],
        requested_at=now_utc(),
        current_due_on=occurrence.due_on,
        requested_due_on=new_due_on,
        reason=_text(reason, "reason"),
        state="pending",
    )
    session.add(request)
    session.flush()
    details = {"from": occurrence.due_on, "to": new_due_on, "reason": request.reason}
    record_event(session, task, "extension_requested", by, details, occurrence)
    _audit(session, by, "task.extension.request", task, f"to {new_due_on.isoformat()}")
    return request


def decide_extension(
    session: Session, extension_id: int, *, approve: bool, note: str = "", by: audit.Actor
) -> ExtensionRequest:
    check_assigner(by.principal)
    request = session.get(ExtensionRequest, extension_id)
    if request is None:
        raise NotFound(f"extension request {extension_id} does not exist")
    if request.state != "pending":
        raise Conflict(
            f"extension request {extension_id} was already {request.state}", field="extension"
        )
    task = get_task(session, request.task_id, by.principal)
    occurrence = _occurrence(task, request.occurrence_id)

    request.state = "approved" if approve else "refused"
    request.decided_by = nfc(by.principal.name)[:200]
    request.decided_at = now_utc()
    request.decision_note = nfc(note.strip()) or None
    if approve:
        occurrence.due_on = request.requested_due_on
    details = {"to": request.requested_due_on, "note": request.decision_note}
    record_event(session, task, f"extension_{request.state}", by, details, occurrence)
    _audit(session, by, f"task.extension.{request.state}", task, f"request {request.id}")
    return request


def submit_completion(
    session: Session,
    task_id: int,
    *,
    evidence: str,
    completed_on: date | None = None,
    attachments: Sequence[NewFile] = (),
    occurrence_id: int | None = None,
    by: audit.Actor,
) -> Completion:
    task = get_task(session, task_id, by.principal)
    check_lead(by.principal, task, "mark it done")
    occurrence = _occurrence(task, occurrence_id)
    _check_open(task, occurrence, "be completed again")
    if _pending(session, Completion, occurrence) is not None:
        raise Conflict(f"task {task.id} already waits for its completion to be accepted")
    day = completed_on or vietnam_today()
    if day < task.assigned_on or day > vietnam_today():
        raise InvalidRequest(
            f"completion date {day.isoformat()} must be between the assignment date "
            f"{task.assigned_on.isoformat()} and today",
            field="completed_on",
            value=day.isoformat(),
        )

    completion = Completion(
        task_id=task.id,
        occurrence_id=occurrence.id,
        agency_id=task.lead_agency_id,
        submitted_by=nfc(by.principal.name)[:200],
        submitted_at=now_utc(),
        completed_on=day,
        evidence=_text(evidence, "evidence"),
        state="submitted",
    )
    session.add(completion)
    session.flush()
    names = _attach(session, task, attachments, completion_id=completion.id)
    occurrence.started = True
    details = {"completed_on": day, "evidence": completion.evidence, "attachments": names}
    record_event(session, task, "completion_submitted", by, details, occurrence)
    _audit(session, by, "task.completion.submit", task, f"done on {day.isoformat()}")
    return completion


def decide_completion(
    session: Session, completion_id: int, *, accept: bool, note: str = "", by: audit.Actor
) -> Completion:
    check_assigner(by.principal)
    completion = session.get(Completion, completion_id)
    if completion is None:
        raise NotFound(f"completion {completion_id} does not exist")
    if completion.state != "submitted":
        raise Conflict(f"completion {completion_id} was already {completion.state}")
    if not accept and not note.strip():
        raise InvalidRequest(
            "say why the completion is sent back, so the agency knows what to do",
            field="note",
        )
    task = get_task(session, completion.task_id, by.principal)
    occurrence = _occurrence(task, completion.occurrence_id)

    completion.state = "accepted" if accept else "returned"
    completion.decided_by = nfc(by.principal.name)[:200]
    completion.decided_at = now_utc()
    completion.decision_note = nfc(note.strip()) or None
    if accept:
        occurrence.completed_on = completion.completed_on
        occurrence.percent = 100
        refresh_current(task)
    details = {"completed_on": completion.completed_on, "note": completion.decision_note}
    record_event(session, task, f"completion_{completion.state}", by, details, occurrence)
    _audit(session, by, f"task.completion.{completion.state}", task, f"completion {completion_id}")
    return completion


def reports_of(session: Session, task: Task) -> list[ProgressReport]:
    return list(
        session.scalars(
            select(ProgressReport)
            .where(ProgressReport.task_id == task.id)
            .order_by(ProgressReport.id)
        )
    )


def _occurrence(task: Task, occurrence_id: int | None) -> Occurrence:
    if occurrence_id is None:
        return current_occurrence(task)
    for occurrence in task.occurrences:
        if occurrence.id == occurrence_id:
            return occurrence
    raise InvalidRequest(
        f"deliverable {occurrence_id} is not one of task {task.id}'s",
        field="occurrence",
        value=occurrence_id,
    )


def _check_open(task: Task, occurrence: Occurrence, action: str) -> None:
    """Refuse to touch a deliverable already completed; ``action`` names what was tried."""
    if occurrence.completed_on is None:
        return
    what = f"task {task.id}" + (f" for {occurrence.period}" if occurrence.period else "")
    raise Conflict(
        f"{what} was completed on {occurrence.completed_on.isoformat()}; "
        f"a completed task cannot {action}",
        field="task",
    )


def _pending(
    session: Session, model: type[ExtensionRequest] | type[Completion], occurrence: Occurrence
) -> int | None:
    waiting = "pending" if model is ExtensionRequest else "submitted"
    return session.scalar(
        select(model.id).where((model.occurrence_id == occurrence.id) & (model.state == waiting))
    )


def _attach(
    session: Session,
    task: Task,
    files: Sequence[NewFile],
    *,
    report_id: int | None = None,
    completion_id: int | None = None,
) -> list[str]:
    names = []
    for new in files:
        digest = store_file(session, new)
        name = nfc(new.filename)[:300]
        session.add(
            Attachment(
                task_id=task.id,
                report_id=report_id,
                completion_id=completion_id,
                file_digest=digest,
                filename=name,
            )
        )
        names.append(name)
    return names


def _text(text: str, field_name: str) -> str:
    cleaned = nfc((text or "").strip())
    if not cleaned:
        raise InvalidRequest(f"{field_name} is empty; it is required", field=field_name)
    if len(cleaned) > MAX_TEXT:
        raise InvalidRequest(
            f"{field_name} has {len(cleaned)} characters; the limit is {MAX_TEXT}",
            field=field_name,
        )
    return cleaned


def _audit(session: Session, by: audit.Actor, action: str, task: Task, summary: str) -> None:
    audit.record(
        session,
        action,
        by=by,
        object_type="task",
        object_id=task.id,
        summary=summary,
        agency_id=by.principal.agency_id,
    )
