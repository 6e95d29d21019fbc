"""Registering a directive and its tasks from a page: paste the text, confirm the proposals.

The first step reads the directive and its pasted text and shows the proposed tasks, each
with the words it came from, as editable rows. The second registers the directive and
the kept rows in one transaction: one bad row stores nothing and names the row.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Annotated

from fastapi import Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.models import Agency
from govops.core.api import parse_date
from govops.core.db import transaction
from govops.core.errors import Conflict, InvalidRequest, PayloadTooLarge
from govops.security import audit
from govops.security.permissions import Permission
from govops.security.web import actor_of
from govops.tasks import proposals, service
from govops.tasks.deadlines import Deadline, parse_deadline_kind
from govops.tasks.page_texts import texts
from govops.tasks.pages import agencies_for_forms, router
from govops.tasks.service import DIRECTIVE_KINDS, Priority
from govops.tasks.status import vietnam_today
from govops.web.auth import Viewer, check_form_token, require_page
from govops.web.shell import render

Assigner = Annotated[Viewer, require_page(Permission.TASKS_ASSIGN)]
Text = Annotated[str, Form(max_length=500)]
Rows = Annotated[list[str], Form()]
# Rows left empty after the proposals, for tasks the text did not reveal.
BLANK_ROWS = 2
MAX_ROWS = 200
GROUP_KINDS = {proposals.ALL_PROVINCES: "province", proposals.ALL_MINISTRIES: "ministry"}


@dataclass
class TaskRowForm:
    """One row of the confirmation form, as shown and as sent back."""

    keep: bool = True
    position: str = ""
    title: str = ""
    description: str = ""
    lead: str = ""
    coordinators: str = ""
    deadline_kind: str = "date"
    due_on: str = ""
    due_day: str = ""
    until: str = ""
    priority: str = Priority.NORMAL.value
    indicators: str = ""
    words: dict[str, str] = field(default_factory=dict)


@dataclass
class DirectiveForm:
    number: str = ""
    kind: str = "chi_thi"
    issued_on: str = ""
    signer: str = ""
    title: str = ""
    summary: str = ""


def directive_fields(
    number: Annotated[str, Form(max_length=60)] = "",
    kind: Annotated[str, Form(max_length=30)] = "chi_thi",
    issued_on: Annotated[str, Form(max_length=10)] = "",
    signer: Annotated[str, Form(max_length=200)] = "",
    title: Text = "",
    summary: Annotated[str, Form(max_length=20_000)] = "",
) -> DirectiveForm:
    """The directive's own fields, as both steps of the form post them."""
    return DirectiveForm(number, kind, issued_on, signer, title, summary)


DirectiveFields = Annotated[DirectiveForm, Depends(directive_fields)]


@router.post("/directives/new")
def review_form(
    request: Request,
    viewer: Assigner,
    directive: DirectiveFields,
    form_token: Annotated[str, Form()] = "",
    text: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    """Step one: the directive as typed and the tasks proposed from its text."""
    check_form_token(viewer, form_token)
    issued_on = directive.issued_on
    day = parse_date(issued_on, field="issued_on") if issued_on else vietnam_today()
    with transaction(request.app.state.sessions) as session:
        patterns = proposals.agency_patterns(proposals.agency_names(session))
        found = proposals.propose_tasks(text, patterns, year=(day or vietnam_today()).year)
        rows = [row for proposal in found for row in _rows_of(proposal)]
        return _confirm_page(request, session, viewer, directive, rows, proposed=len(rows))


@router.post("/directives")
def register_form(
    request: Request,
    viewer: Assigner,
    directive: DirectiveFields,
    form_token: Annotated[str, Form()] = "",
    document: Annotated[UploadFile | None, File()] = None,
    keep: Rows = [],  # noqa: B006 (FastAPI copies the default)
    task_position: Rows = [],  # noqa: B006
    task_title: Rows = [],  # noqa: B006
    task_description: Rows = [],  # noqa: B006
    lead: Rows = [],  # noqa: B006
    coordinators: Rows = [],  # noqa: B006
    deadline_kind: Rows = [],  # noqa: B006
    due_on: Rows = [],  # noqa: B006
    due_day: Rows = [],  # noqa: B006
    until: Rows = [],  # noqa: B006
    priority: Rows = [],  # noqa: B006
    indicators: Rows = [],  # noqa: B006
) -> Response:
    """Step two: the directive and every kept row, all stored or none."""
    check_form_token(viewer, form_token)
    columns = [
        task_position,
        task_title,
        task_description,
        lead,
        coordinators,
        deadline_kind,
        due_on,
        due_day,
        until,
        priority,
        indicators,
    ]
    rows = _posted_rows(keep, columns)
    try:
        with transaction(request.app.state.sessions) as session:
            by = actor_of(request, viewer.principal)
            made = _register(session, directive, _document(document), rows, by)
            return RedirectResponse(f"/directives/{made}", status_code=303)
    except (InvalidRequest, Conflict, PayloadTooLarge) as refused:
        with transaction(request.app.state.sessions) as session:
            return _confirm_page(
                request,
                session,
                viewer,
                directive,
                rows,
                error=refused.detail,
                status_code=refused.status,
            )


# --- steps ------------------------------------------------------------------------------


def _register(
    session: Session,
    form: DirectiveForm,
    document: service.NewFile | None,
    rows: list[TaskRowForm],
    by: audit.Actor,
) -> int:
    issued = parse_date(form.issued_on, field="issued_on")
    if issued is None:
        raise InvalidRequest("issued_on is empty; it is required", field="issued_on")
    new = service.NewDirective(
        number=form.number,
        kind=form.kind,
        issued_on=issued,
        signer=form.signer,
        title=form.title,
        summary=form.summary,
        document=document,
    )
    directive = service.register_directive(session, new, by=by)
    kept = [(n, row) for n, row in enumerate(rows, start=1) if row.keep]
    for number, row in kept:
        try:
            for task in _tasks_of(session, row, directive.id, issued):
                service.assign_task(session, task, by=by)
        except InvalidRequest as refused:
            label = row.title[:60] or "(no title)"
            raise InvalidRequest(
                f"task row {number} ({label}): {refused.detail}",
                field=refused.extensions.get("field", "task"),
                row=number,
            ) from refused
    return directive.id


def _tasks_of(
    session: Session, row: TaskRowForm, directive_id: int, assigned_on: object
) -> list[service.NewTask]:
    """The row's tasks: one, or one per province (or ministry) for a group as lead."""
    if not row.lead:
        raise InvalidRequest("the lead agency is not chosen", field="lead_agency")
    kind = parse_deadline_kind(row.deadline_kind)
    deadline = Deadline(
        kind,
        parse_date(row.due_on, field="due_on"),
        _whole(row.due_day, "due_day"),
        parse_date(row.until, field="recurs_until"),
    )
    coordinator_ids = _agency_ids(session, _codes(row.coordinators), "coordinating_agencies")
    try:
        chosen_priority = Priority(row.priority)
    except ValueError:
        raise InvalidRequest(f"priority '{row.priority}' is unknown", field="priority") from None
    return [
        service.NewTask(
            title=row.title,
            description=row.description,
            lead_agency_id=lead,
            assigned_on=assigned_on,  # type: ignore[arg-type]
            deadline=deadline,
            directive_id=directive_id,
            position=row.position[:20],
            coordinator_ids=[c for c in coordinator_ids if c != lead],
            priority=chosen_priority,
            indicator_codes=_codes(row.indicators),
        )
        for lead in _agency_ids(session, [row.lead], "lead_agency")
    ]


def _agency_ids(session: Session, codes: list[str], field_name: str) -> list[int]:
    ids: list[int] = []
    for code in codes:
        if code in GROUP_KINDS:
            found = session.scalars(select(Agency.id).where(Agency.kind == GROUP_KINDS[code]))
            ids.extend(sorted(found))
        else:
            ids.append(service.agency_by_code(session, code, field_name).id)
    return list(dict.fromkeys(ids))


def _rows_of(proposal: proposals.Proposal) -> list[TaskRowForm]:
    """One row per lead agency a proposal found, with the words each finding came from."""
    deadline = proposal.deadline
    words = {
        "coordinators": "; ".join(f.words for f in proposal.coordinators),
        "deadline": proposal.deadline_words,
    }
    return [
        TaskRowForm(
            title=proposal.title,
            description=proposal.text if proposal.text != proposal.title else "",
            lead=lead.value,
            coordinators=", ".join(proposal.coordinator_codes),
            deadline_kind=deadline.kind.value if deadline else "date",
            due_on=deadline.due_on.isoformat() if deadline and deadline.due_on else "",
            due_day=str(deadline.due_day) if deadline and deadline.due_day else "",
            until=deadline.until.isoformat() if deadline and deadline.until else "",
            words={"lead": lead.words, **words},
        )
        for lead in proposal.lead
    ]


def _posted_rows(keep: list[str], columns: list[list[str]]) -> list[TaskRowForm]:
    count = max((len(column) for column in columns), default=0)
    if count > MAX_ROWS:
        raise InvalidRequest(f"the form has {count} task rows; the limit is {MAX_ROWS}")
    if any(len(column) != count for column in columns):
        raise InvalidRequest("the form's task rows are incomplete; open the form again")
    kept = {value.strip() for value in keep}
    rows = []
    for index in range(count):
        (
            position,
            title,
            description,
            lead,
            coordinators,
            kind,
            due_on,
            day,
            until,
            priority,
            indicator_codes,
        ) = (column[index].strip() for column in columns)
        rows.append(
            TaskRowForm(
                keep=str(index) in kept,
                position=position,
                title=title,
                description=description,
                lead=lead,
                coordinators=coordinators,
                deadline_kind=kind,
                due_on=due_on,
                due_day=day,
                until=until,
                priority=priority,
                indicators=indicator_codes,
            )
        )
    return rows


def _confirm_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    directive: DirectiveForm,
    rows: list[TaskRowForm],
    *,
    proposed: int | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    shown = rows + [
        TaskRowForm(keep=False) for _ in range(BLANK_ROWS if proposed is not None else 0)
    ]
    context = {
        "t": texts(viewer.language),
        "directive": asdict(directive),
        "rows": shown,
        "proposed": proposed,
        "error": error,
        "kinds": DIRECTIVE_KINDS,
        "agencies": agencies_for_forms(session),
        "groups": [proposals.ALL_PROVINCES, proposals.ALL_MINISTRIES],
        "deadline_kinds": ["date", "monthly", "quarterly", "standing"],
        "priorities": [p.value for p in Priority],
    }
    return render(
        request, viewer, "tasks/confirm_directive.html", context, status_code=status_code
    )


def _document(upload: UploadFile | None) -> service.NewFile | None:
    if upload is None or not upload.filename:
        return None
    content = upload.file.read(service.MAX_FILE_BYTES + 1)
    media_type = upload.content_type or "application/octet-stream"
    return service.NewFile(upload.filename, media_type, content)


def _codes(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def _whole(text: str, field_name: str) -> int | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidRequest(
            f"{field_name} '{text}' is not a whole number", field=field_name
        ) from None
