"""Importing a workbook of tasks from a page: the template, the upload, the per-row report.

The file is checked whole before anything is stored; a refused file is answered with
every problem by row and column, as the command line does.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import File, Form, Request, Response, UploadFile

from govops.core.db import transaction
from govops.core.errors import InvalidRequest, RejectedBatch
from govops.security.permissions import Permission
from govops.security.web import actor_of
from govops.tasks import service
from govops.tasks.page_texts import texts
from govops.tasks.pages import XLSX, router
from govops.tasks.spreadsheet import import_tasks, template
from govops.web.auth import Viewer, check_form_token, require_page
from govops.web.shell import render

Assigner = Annotated[Viewer, require_page(Permission.TASKS_ASSIGN)]


@router.get("/task-import")
def import_page(request: Request, viewer: Assigner) -> Response:
    return render(request, viewer, "tasks/import.html", {"t": texts(viewer.language)})


@router.get("/task-import/template.xlsx")
def template_download(viewer: Assigner) -> Response:
    headers = {"Content-Disposition": 'attachment; filename="govops-tasks-template.xlsx"'}
    return Response(template(), media_type=XLSX, headers=headers)


@router.post("/task-import")
def import_form(
    request: Request,
    viewer: Assigner,
    form_token: Annotated[str, Form()] = "",
    workbook: Annotated[UploadFile | None, File()] = None,
) -> Response:
    check_form_token(viewer, form_token)
    context: dict[str, object] = {"t": texts(viewer.language)}
    status = 200
    try:
        report = _import(request, viewer, workbook)
        context["imported"] = report
    except RejectedBatch as refused:
        context["rejected"] = refused.row_errors
        status = refused.status
    except InvalidRequest as refused:
        context["error"] = refused.detail
        status = refused.status
    return render(request, viewer, "tasks/import.html", context, status_code=status)


def _import(request: Request, viewer: Viewer, upload: UploadFile | None) -> object:
    if upload is None or not upload.filename:
        raise InvalidRequest("choose the workbook to import", field="workbook")
    content = upload.file.read(service.MAX_FILE_BYTES + 1)
    if len(content) > service.MAX_FILE_BYTES:
        raise InvalidRequest(
            f"'{upload.filename}' is larger than {service.MAX_FILE_BYTES} bytes; split it",
            field="workbook",
        )
    with tempfile.TemporaryDirectory(prefix="govops-import-") as folder:
        # Named as uploaded, so messages and the audit log say which file it was.
        path = Path(folder) / Path(upload.filename).name
        path.write_bytes(content)
        with transaction(request.app.state.sessions) as session:
            return import_tasks(session, path, by=actor_of(request, viewer.principal))
