"""The forms of the tasks pages: progress, extensions, completions, decisions, calendars.

Each form carries the session's token and calls the same service functions as the API.
A refusal the person can correct (a field, a state) shows the page again with the reason;
a refusal of permission is the shell's error page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from govops.core.api import RowId, parse_date
from govops.core.db import transaction
from govops.core.errors import Conflict, InvalidRequest, NotFound, PayloadTooLarge
from govops.security import audit
from govops.security.permissions import Permission
from govops.security.web import actor_of
from govops.tasks import calendar, progress, service
from govops.tasks.models import Completion, ExtensionRequest
from govops.tasks.page_texts import texts
from govops.tasks.pages import render_mine, router
from govops.tasks.task_view import task_context
from govops.web.auth import Viewer, check_form_token, require_page
from govops.web.shell import render

Reader = Annotated[Viewer, require_page(Permission.TASKS_READ)]
Reporter = Annotated[Viewer, require_page(Permission.TASKS_REPORT)]
Assigner = Annotated[Viewer, require_page(Permission.TASKS_ASSIGN)]
Token = Annotated[str, Form()]
Files = Annotated[list[UploadFile], File()]
CORRECTABLE = (InvalidRequest, Conflict, PayloadTooLarge)
Action = Callable[[Session, audit.Actor], Any]


@router.post("/tasks/{task_id}/report")
def report_form(
    request: Request,
    task_id: RowId,
    viewer: Reporter,
    form_token: Token = "",
    occurrence: Annotated[int | None, Form()] = None,
    text: Annotated[str, Form(max_length=20_000)] = "",
    percent: Annotated[str, Form(max_length=5)] = "",
    files: Files = [],  # noqa: B006 (FastAPI copies the default)
) -> Response:
    check_form_token(viewer, form_token)

    def act(session: Session, by: audit.Actor) -> None:
        new = progress.NewReport(
            text=text,
            percent=_percent(percent),
            attachments=_uploads(files),
            occurrence_id=occurrence,
        )
        progress.report_progress(session, task_id, new, by=by)

    return _on_task(request, viewer, task_id, act)


@router.post("/tasks/{task_id}/extension")
def extension_form(
    request: Request,
    task_id: RowId,
    viewer: Reporter,
    form_token: Token = "",
    occurrence: Annotated[int | None, Form()] = None,
    new_due_on: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    check_form_token(viewer, form_token)

    def act(session: Session, by: audit.Actor) -> None:
        wanted = parse_date(new_due_on, field="new_due_on")
        if wanted is None:
            raise InvalidRequest(
                "new_due_on is empty; give the deadline asked for", field="new_due_on"
            )
        progress.request_extension(
            session, task_id, new_due_on=wanted, reason=reason, occurrence_id=occurrence, by=by
        )

    return _on_task(request, viewer, task_id, act)


@router.post("/tasks/{task_id}/completion")
def completion_form(
    request: Request,
    task_id: RowId,
    viewer: Reporter,
    form_token: Token = "",
    occurrence: Annotated[int | None, Form()] = None,
    completed_on: Annotated[str, Form(max_length=10)] = "",
    evidence: Annotated[str, Form(max_length=20_000)] = "",
    files: Files = [],  # noqa: B006 (FastAPI copies the default)
) -> Response:
    check_form_token(viewer, form_token)

    def act(session: Session, by: audit.Actor) -> None:
        progress.submit_completion(
            session,
            task_id,
            evidence=evidence,
            completed_on=parse_date(completed_on, field="completed_on"),
            attachments=_uploads(files),
            occurrence_id=occurrence,
            by=by,
        )

    return _on_task(request, viewer, task_id, act)


@router.post("/tasks/{task_id}/comment")
def comment_form(
    request: Request,
    task_id: RowId,
    viewer: Reader,
    form_token: Token = "",
    text: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    check_form_token(viewer, form_token)
    return _on_task(
        request, viewer, task_id, lambda s, by: progress.comment_on(s, task_id, text, by=by)
    )


@router.post("/tasks/extensions/{extension_id}/decision")
def extension_decision_form(
    request: Request,
    extension_id: RowId,
    viewer: Assigner,
    form_token: Token = "",
    decision: Annotated[str, Form(pattern="^(approve|refuse)$")] = "approve",
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    check_form_token(viewer, form_token)
    task_id = _task_of(request, ExtensionRequest, extension_id, viewer)

    def act(session: Session, by: audit.Actor) -> None:
        approve = decision == "approve"
        progress.decide_extension(session, extension_id, approve=approve, note=note, by=by)

    return _on_task(request, viewer, task_id, act)


@router.post("/tasks/completions/{completion_id}/decision")
def completion_decision_form(
    request: Request,
    completion_id: RowId,
    viewer: Assigner,
    form_token: Token = "",
    decision: Annotated[str, Form(pattern="^(accept|return)$")] = "accept",
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    check_form_token(viewer, form_token)
    task_id = _task_of(request, Completion, completion_id, viewer)

    def act(session: Session, by: audit.Actor) -> None:
        accept = decision == "accept"
        progress.decide_completion(session, completion_id, accept=accept, note=note, by=by)

    return _on_task(request, viewer, task_id, act)


@router.post("/tasks/calendars")
def calendar_form(
    request: Request,
    viewer: Reader,
    form_token: Token = "",
    owner: Annotated[str, Form(pattern="^(agency|personal)$")] = "personal",
) -> Response:
    """A new secret calendar address, shown on the page once."""
    check_form_token(viewer, form_token)
    agency_id = viewer.principal.agency_id if owner == "agency" else None
    if owner == "agency" and agency_id is None:
        raise InvalidRequest("your account belongs to no agency", field="owner")
    with transaction(request.app.state.sessions) as session:
        _, secret = calendar.create_feed(
            session, agency_id=agency_id, by=actor_of(request, viewer.principal)
        )
    address = str(request.url_for("read_calendar", secret=secret))
    with transaction(request.app.state.sessions) as session:
        return render_mine(request, session, viewer, new_address=address)


@router.post("/tasks/calendars/{feed_id}/revoke")
def calendar_revoke_form(
    request: Request, feed_id: RowId, viewer: Reader, form_token: Token = ""
) -> Response:
    check_form_token(viewer, form_token)
    with transaction(request.app.state.sessions) as session:
        calendar.revoke_feed(session, feed_id, by=actor_of(request, viewer.principal))
    return RedirectResponse("/tasks/mine", status_code=303)


# --- helpers ----------------------------------------------------------------------------


def _on_task(request: Request, viewer: Viewer, task_id: int, act: Action) -> Response:
    """Do ``act`` in one transaction and go back to the task; on a correctable refusal
    show the task again with the reason, nothing of the form stored."""
    try:
        with transaction(request.app.state.sessions) as session:
            act(session, actor_of(request, viewer.principal))
    except CORRECTABLE as refused:
        with transaction(request.app.state.sessions) as session:
            context = task_context(session, task_id, viewer, error=refused.detail)
            context["t"] = texts(viewer.language)
            # Rendered inside the session: the page reads the task's directive lazily.
            return render(request, viewer, "tasks/task.html", context, status_code=refused.status)
    return RedirectResponse(f"/tasks/{task_id}", status_code=303)


def _task_of(request: Request, model: Any, row_id: int, viewer: Viewer) -> int:
    with transaction(request.app.state.sessions) as session:
        found = session.get(model, row_id)
        if found is None:
            raise NotFound(f"{model.__tablename__.removeprefix('task_')} {row_id} does not exist")
        service.get_task(session, found.task_id, viewer.principal)
        return int(found.task_id)


def _percent(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InvalidRequest(
            f"percent '{text}' is not a whole number from 0 to 100", field="percent"
        ) from None


def _uploads(files: list[UploadFile]) -> list[service.NewFile]:
    """The files chosen; a file input left empty sends a part without a name, skipped."""
    chosen = []
    for upload in files:
        if not upload.filename:
            continue
        # One byte past the limit is enough for store_file to refuse it by name.
        content = upload.file.read(service.MAX_FILE_BYTES + 1)
        media_type = upload.content_type or "application/octet-stream"
        chosen.append(service.NewFile(upload.filename, media_type, content))
    return chosen


def day_or_none(text: str, field: str) -> date | None:
    return parse_date(text.strip(), field=field) if text else None


from govops.tasks import directive_forms, import_forms  # noqa: E402  (their routes join)

__all__ = ["directive_forms", "import_forms"]
