"""The tasks API under ``/api/v1``: directives, tasks, reports, extensions, completions."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govops.catalog.models import Agency, Indicator
from govops.core.api import (
    FORMATS,
    PROBLEM_RESPONSES,
    WRITE_PROBLEM_RESPONSES,
    RowId,
    choose_format,
    db_session,
    decode_cursor,
    encode_cursor,
    parse_date,
    split_list,
)
from govops.core.errors import InvalidRequest
from govops.security.permissions import Permission, Principal
from govops.security.web import actor_of, require
from govops.tasks import progress, proposals, service
from govops.tasks.deadlines import Deadline, parse_deadline_kind
from govops.tasks.export import (
    tasks_csv,
    tasks_xlsx,
)
from govops.tasks.models import (
    Attachment,
    Comment,
    Completion,
    Directive,
    ExtensionRequest,
    ProgressReport,
    Task,
)
from govops.tasks.queries import TaskFilter, iterate_tasks, list_tasks, parse_statuses
from govops.tasks.schemas import (
    CommentIn,
    CommentOut,
    CompletionIn,
    CompletionOut,
    DeadlineIn,
    DecisionIn,
    DirectiveIn,
    DirectiveOut,
    DirectivePage,
    EventOut,
    ExtensionIn,
    ExtensionOut,
    FileIn,
    FindingOut,
    OccurrenceOut,
    ProposalOut,
    ProposalRequest,
    ReportIn,
    ReportOut,
    TaskChangesIn,
    TaskDetailOut,
    TaskIn,
    TaskOut,
    TaskPage,
)
from govops.tasks.status import occurrence_status, vietnam_today

router = APIRouter(prefix="/api/v1", tags=["tasks"], responses=PROBLEM_RESPONSES)
DbSession = Annotated[Session, Depends(db_session)]
Reader = Annotated[Principal, require(Permission.TASKS_READ)]
Assigner = Annotated[Principal, require(Permission.TASKS_ASSIGN)]
Reporter = Annotated[Principal, require(Permission.TASKS_REPORT)]


# --- directives -------------------------------------------------------------------------


@router.post(
    "/directives", status_code=201, response_model=DirectiveOut, responses=WRITE_PROBLEM_RESPONSES
)
def register_directive(
    request: Request, body: DirectiveIn, session: DbSession, caller: Assigner
) -> DirectiveOut:
    """Register a directive, with its document file when given."""
    new = service.NewDirective(
        number=body.number,
        kind=body.kind,
        issued_on=body.issued_on,
        signer=body.signer,
        title=body.title,
        summary=body.summary,
        document=_file(body.document, "document") if body.document else None,
    )
    with session.begin():
        directive = service.register_directive(session, new, by=actor_of(request, caller))
        answer = _directive_out(session, directive)
    return answer


@router.post(
    "/directives/proposals",
    response_model=list[ProposalOut],
    responses=WRITE_PROBLEM_RESPONSES,
)
def propose_tasks(
    body: ProposalRequest, session: DbSession, caller: Assigner
) -> list[ProposalOut]:
    """Tasks proposed from a directive's text, each with the words it came from, to confirm."""
    patterns = proposals.agency_patterns(proposals.agency_names(session))
    found = proposals.propose_tasks(body.text, patterns, year=body.year)
    return [
        ProposalOut(
            text=p.text,
            title=p.title,
            lead_agencies=[FindingOut(value=f.value, words=f.words) for f in p.lead],
            coordinating_agencies=[
                FindingOut(value=f.value, words=f.words) for f in p.coordinators
            ],
            deadline=(
                DeadlineIn(
                    kind=p.deadline.kind.value,
                    due_on=p.deadline.due_on,
                    due_day=p.deadline.due_day,
                    until=p.deadline.until,
                )
                if p.deadline
                else None
            ),
            deadline_words=p.deadline_words,
        )
        for p in found
    ]


@router.get("/directives", response_model=DirectivePage)
def list_directives(
    session: DbSession,
    caller: Reader,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DirectivePage:
    """Directives, newest number last, a page at a time."""
    after = _cursor_id(cursor)
    query = select(Directive).order_by(Directive.id).limit(limit + 1)
    if after is not None:
        query = query.where(Directive.id > after)
    found = list(session.scalars(query))
    items = [_directive_out(session, d) for d in found[:limit]]
    more = len(found) > limit
    return DirectivePage(
        items=items, next_cursor=encode_cursor(str(items[-1].id)) if more else None
    )


@router.get("/directives/{directive_id}", response_model=DirectiveOut)
def read_directive(directive_id: RowId, session: DbSession, caller: Reader) -> DirectiveOut:
    """One directive; its tasks are listed by /tasks?directive=."""
    return _directive_out(session, service.get_directive(session, directive_id))


# --- tasks ------------------------------------------------------------------------------


@router.post(
    "/tasks", status_code=201, response_model=TaskDetailOut, responses=WRITE_PROBLEM_RESPONSES
)
def assign_task(
    request: Request, body: TaskIn, session: DbSession, caller: Assigner
) -> TaskDetailOut:
    """Assign a task to a lead agency, with co-ordinating agencies and a deadline."""
    with session.begin():
        new = service.NewTask(
            title=body.title,
            description=body.description,
            directive_id=directive_id_of(session, body.directive),
            position=body.position,
            lead_agency_id=service.agency_by_code(session, body.lead_agency, "lead_agency").id,
            coordinator_ids=_agency_ids(session, body.coordinating_agencies),
            assigned_on=body.assigned_on,
            deadline=_deadline(body),
            priority=_priority(body.priority),
            indicator_codes=body.indicators,
        )
        task = service.assign_task(session, new, by=actor_of(request, caller))
        answer = _detail(session, task, caller, vietnam_today())
    return answer


@router.get(
    "/tasks",
    response_model=TaskPage,
    responses={200: {"content": {FORMATS["csv"]: {}, FORMATS["xlsx"]: {}}}},
)
def read_tasks(
    request: Request,
    session: DbSession,
    caller: Reader,
    agency: Annotated[list[str] | None, Query(description="Lead agency codes")] = None,
    involving: Annotated[
        bool, Query(description="With agency: also tasks it co-ordinates")
    ] = False,
    directive: Annotated[str | None, Query(description="Directive number")] = None,
    status: Annotated[list[str] | None, Query(description="One or more statuses")] = None,
    due_from: str | None = None,
    due_to: str | None = None,
    priority: Annotated[list[str] | None, Query()] = None,
    q: Annotated[str, Query(description="Words of the title, diacritics ignored")] = "",
    as_of: Annotated[str | None, Query(description="The day statuses are computed for")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    format: Annotated[str | None, Query(description="json, csv or xlsx")] = None,
) -> TaskPage | Response:
    """Tasks the caller may see, filtered, with each one's status; or all as a download."""
    today = parse_date(as_of, field="as_of") or vietnam_today()
    wanted = TaskFilter(
        agency_ids=_agency_ids(session, split_list(agency), field="agency"),
        include_coordinated=involving,
        directive_id=directive_id_of(session, directive),
        statuses=parse_statuses(split_list(status)),
        due_from=parse_date(due_from, field="due_from"),
        due_to=parse_date(due_to, field="due_to"),
        priorities=[_priority(p) for p in split_list(priority)],
        text=q,
    )
    chosen = choose_format(request, format)
    if chosen != "json":
        rows = iterate_tasks(session, wanted, caller, today=today)
        content = tasks_csv(rows) if chosen == "csv" else tasks_xlsx(rows)
        return Response(
            content,
            media_type=FORMATS[chosen],
            headers={"Content-Disposition": f'attachment; filename="tasks.{chosen}"'},
        )
    rows_page = list_tasks(
        session, wanted, caller, today=today, after_id=_cursor_id(cursor), limit=limit + 1
    )
    items = [TaskOut.of(row) for row in rows_page[:limit]]
    more = len(rows_page) > limit
    next_cursor = encode_cursor(str(items[-1].id)) if more else None
    return TaskPage(items=items, next_cursor=next_cursor, as_of=today)


@router.get("/tasks/{task_id}", response_model=TaskDetailOut)
def read_task(task_id: RowId, session: DbSession, caller: Reader) -> TaskDetailOut:
    """A task with its deliverables, reports, comments, extensions and completions."""
    task = service.get_task(session, task_id, caller)
    return _detail(session, task, caller, vietnam_today())


@router.patch("/tasks/{task_id}", response_model=TaskDetailOut, responses=WRITE_PROBLEM_RESPONSES)
def change_task(
    request: Request, task_id: RowId, body: TaskChangesIn, session: DbSession, caller: Assigner
) -> TaskDetailOut:
    """Change a task's title, description, priority, co-ordinators or indicators."""
    with session.begin():
        changes = service.TaskChanges(
            title=body.title,
            description=body.description,
            priority=_priority(body.priority) if body.priority else None,
            coordinator_ids=(
                None
                if body.coordinating_agencies is None
                else _agency_ids(session, body.coordinating_agencies)
            ),
            indicator_codes=body.indicators,
        )
        task = service.change_task(session, task_id, changes, by=actor_of(request, caller))
        answer = _detail(session, task, caller, vietnam_today())
    return answer


@router.get("/tasks/{task_id}/history", response_model=list[EventOut])
def read_history(task_id: RowId, session: DbSession, caller: Reader) -> list[EventOut]:
    """Every change to the task, oldest first, with who made it."""
    return [
        EventOut(at=e.at, kind=e.kind, actor=e.actor_name, details=json.loads(e.details))
        for e in service.history(session, task_id, caller)
    ]


# --- progress ---------------------------------------------------------------------------


@router.post(
    "/tasks/{task_id}/reports",
    status_code=201,
    response_model=ReportOut,
    responses=WRITE_PROBLEM_RESPONSES,
)
def report_progress(
    request: Request, task_id: RowId, body: ReportIn, session: DbSession, caller: Reporter
) -> ReportOut:
    """The lead agency reports progress: a note, a percent, files."""
    new = progress.NewReport(
        text=body.text,
        percent=body.percent,
        attachments=[_file(f, "attachments") for f in body.attachments],
        occurrence_id=body.occurrence,
    )
    with session.begin():
        report = progress.report_progress(session, task_id, new, by=actor_of(request, caller))
        answer = _report_out(session, report)
    return answer


@router.post(
    "/tasks/{task_id}/comments",
    status_code=201,
    response_model=CommentOut,
    responses=WRITE_PROBLEM_RESPONSES,
)
def comment_on_task(
    request: Request, task_id: RowId, body: CommentIn, session: DbSession, caller: Reader
) -> CommentOut:
    """A co-ordinating agency (or the lead, or the Government Office) comments."""
    with session.begin():
        made = progress.comment_on(session, task_id, body.text, by=actor_of(request, caller))
        answer = CommentOut(
            id=made.id, author=made.author, text=made.text, written_at=made.written_at
        )
    return answer


@router.post(
    "/tasks/{task_id}/extensions",
    status_code=201,
    response_model=ExtensionOut,
    responses=WRITE_PROBLEM_RESPONSES,
)
def request_extension(
    request: Request, task_id: RowId, body: ExtensionIn, session: DbSession, caller: Reporter
) -> ExtensionOut:
    """The lead agency asks for a later deadline, saying why."""
    with session.begin():
        made = progress.request_extension(
            session,
            task_id,
            new_due_on=body.new_due_on,
            reason=body.reason,
            occurrence_id=body.occurrence,
            by=actor_of(request, caller),
        )
        answer = _extension_out(made)
    return answer


@router.post(
    "/extensions/{extension_id}/decision",
    response_model=ExtensionOut,
    responses=WRITE_PROBLEM_RESPONSES,
)
def decide_extension(
    request: Request, extension_id: RowId, body: DecisionIn, session: DbSession, caller: Assigner
) -> ExtensionOut:
    """Approve or refuse an extension request."""
    with session.begin():
        made = progress.decide_extension(
            session,
            extension_id,
            approve=body.approve,
            note=body.note,
            by=actor_of(request, caller),
        )
        answer = _extension_out(made)
    return answer


@router.post(
    "/tasks/{task_id}/completions",
    status_code=201,
    response_model=CompletionOut,
    responses=WRITE_PROBLEM_RESPONSES,
)
def submit_completion(
    request: Request, task_id: RowId, body: CompletionIn, session: DbSession, caller: Reporter
) -> CompletionOut:
    """The lead agency marks the task done, with evidence, for the Government Office."""
    with session.begin():
        made = progress.submit_completion(
            session,
            task_id,
            evidence=body.evidence,
            completed_on=body.completed_on,
            attachments=[_file(f, "attachments") for f in body.attachments],
            occurrence_id=body.occurrence,
            by=actor_of(request, caller),
        )
        answer = _completion_out(made)
    return answer


@router.post(
    "/completions/{completion_id}/decision",
    response_model=CompletionOut,
    responses=WRITE_PROBLEM_RESPONSES,
)
def decide_completion(
    request: Request, completion_id: RowId, body: DecisionIn, session: DbSession, caller: Assigner
) -> CompletionOut:
    """Accept a completion, or send it back saying what is missing."""
    with session.begin():
        made = progress.decide_completion(
            session,
            completion_id,
            accept=body.approve,
            note=body.note,
            by=actor_of(request, caller),
        )
        answer = _completion_out(made)
    return answer


# --- helpers ----------------------------------------------------------------------------


def _file(body: FileIn, field: str) -> service.NewFile:
    try:
        content = base64.b64decode(body.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest(
            f"{field}: '{body.filename}' is not valid base64", field=field
        ) from None
    return service.NewFile(body.filename, body.media_type, content)


def _cursor_id(cursor: str | None) -> int | None:
    decoded = decode_cursor(cursor)
    if decoded is None:
        return None
    if not decoded.isdigit():
        raise InvalidRequest("cursor is not one this server gave out", field="cursor")
    return int(decoded)


def _agency_ids(
    session: Session, codes: list[str], field: str = "coordinating_agencies"
) -> list[int]:
    return [service.agency_by_code(session, code, field).id for code in codes]


def directive_id_of(session: Session, number: str | None) -> int | None:
    if not number:
        return None
    found = service.find_directive(session, number)
    if found is None:
        raise InvalidRequest(
            f"directive '{number}' is not registered", field="directive", value=number
        )
    return found.id


def _priority(text: str) -> service.Priority:
    try:
        return service.Priority(text.strip().lower())
    except ValueError:
        known = ", ".join(p.value for p in service.Priority)
        raise InvalidRequest(
            f"priority '{text}' is not one of {known}", field="priority", value=text
        ) from None


def _deadline(body: TaskIn) -> Deadline:
    kind = parse_deadline_kind(body.deadline.kind)
    return Deadline(kind, body.deadline.due_on, body.deadline.due_day, body.deadline.until)


def _directive_out(session: Session, directive: Directive) -> DirectiveOut:
    count = session.scalar(select(func.count()).where(Task.directive_id == directive.id)) or 0
    return DirectiveOut(
        id=directive.id,
        number=directive.number,
        kind=directive.kind,
        issued_on=directive.issued_on,
        signer=directive.signer,
        title=directive.title,
        summary=directive.summary,
        document_digest=directive.document_digest,
        document_name=directive.document_name,
        task_count=count,
    )


def _detail(session: Session, task: Task, reader: Principal, today: date) -> TaskDetailOut:
    [row] = list_tasks(session, TaskFilter(task_ids=[task.id]), reader, today=today)
    codes: dict[int, str] = {r.id: r.code for r in session.execute(select(Agency.id, Agency.code))}
    indicator_codes: dict[int, str] = {
        r.id: r.code for r in session.execute(select(Indicator.id, Indicator.code))
    }
    return TaskDetailOut(
        **TaskOut.of(row).model_dump(),
        description=task.description,
        coordinating_agencies=[codes[c.agency_id] for c in task.coordinators],
        indicators=[indicator_codes[i.indicator_id] for i in task.indicators],
        source=task.source,
        occurrences=[
            OccurrenceOut(
                id=o.id,
                period=o.period,
                original_due_on=o.original_due_on,
                due_on=o.due_on,
                percent=o.percent,
                completed_on=o.completed_on,
                status=occurrence_status(o, today).value,
            )
            for o in task.occurrences
        ],
        reports=[_report_out(session, r) for r in progress.reports_of(session, task)],
        comments=[
            CommentOut(id=c.id, author=c.author, text=c.text, written_at=c.written_at)
            for c in _of_task(session, Comment, task)
        ],
        extensions=[_extension_out(e) for e in _of_task(session, ExtensionRequest, task)],
        completions=[_completion_out(c) for c in _of_task(session, Completion, task)],
    )


def _of_task(session: Session, model: Any, task: Task) -> list[Any]:
    return list(session.scalars(select(model).where(model.task_id == task.id).order_by(model.id)))


def _report_out(session: Session, report: ProgressReport) -> ReportOut:
    names = session.scalars(
        select(Attachment.filename).where(Attachment.report_id == report.id)
    ).all()
    return ReportOut(
        id=report.id,
        author=report.author,
        text=report.text,
        percent=report.percent,
        submitted_at=report.submitted_at,
        attachments=list(names),
    )


def _extension_out(made: ExtensionRequest) -> ExtensionOut:
    return ExtensionOut(
        id=made.id,
        task=made.task_id,
        requested_by=made.requested_by,
        current_due_on=made.current_due_on,
        requested_due_on=made.requested_due_on,
        reason=made.reason,
        state=made.state,
        decision_note=made.decision_note,
    )


def _completion_out(made: Completion) -> CompletionOut:
    return CompletionOut(
        id=made.id,
        task=made.task_id,
        submitted_by=made.submitted_by,
        completed_on=made.completed_on,
        evidence=made.evidence,
        state=made.state,
        decision_note=made.decision_note,
    )


from govops.tasks import calendar_routes, scorecard_routes  # noqa: E402  (their routes join)

__all__ = ["calendar_routes", "router", "scorecard_routes"]
