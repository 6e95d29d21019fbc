"""The tasks pages: lists with filters, my agency's tasks, the scorecard, directives, a task.

Every list downloads as XLSX with the rows it shows. The forms that change tasks are in
:mod:`govops.tasks.page_forms` and share this module's router.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Query, Request, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govops.catalog.models import Agency
from govops.core.api import RowId, parse_date, split_list
from govops.core.errors import InvalidRequest
from govops.security.permissions import Permission
from govops.tasks import service
from govops.tasks.calendar import feeds_of
from govops.tasks.export import SCORECARD_COLUMNS, score_cells, table_xlsx, tasks_xlsx
from govops.tasks.models import Attachment, Directive, Task
from govops.tasks.page_texts import texts
from govops.tasks.queries import (
    TaskFilter,
    iterate_by_deadline,
    parse_statuses,
    status_counts,
    tasks_by_deadline,
)
from govops.tasks.scorecard import (
    ScoreLine,
    compute_scorecard,
    monthly_trend,
    rank,
    scorecard_with_trend,
)
from govops.tasks.service import DIRECTIVE_KINDS, Priority
from govops.tasks.status import TaskStatus, vietnam_today
from govops.tasks.task_view import task_context
from govops.web.auth import DbSession, Viewer, require_page
from govops.web.shell import NavEntry, PageSection, page_router, render

router = page_router()
Reader = Annotated[Viewer, require_page(Permission.TASKS_READ)]
PAGE_SIZE = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ListParam = Annotated[list[str] | None, Query()]


@dataclass(frozen=True)
class Choice:
    """What a task list was asked to show, as the query gave it, for the form and links."""

    agency: list[str]
    involving: bool
    directive: str
    status: list[str]
    due_from: str
    due_to: str
    priority: list[str]
    q: str

    def query(self, **more: object) -> str:
        pairs: list[tuple[str, object]] = [("agency", code) for code in self.agency]
        pairs += [("status", s) for s in self.status] + [("priority", p) for p in self.priority]
        single = {
            "involving": "1" if self.involving else "",
            "directive": self.directive,
            "due_from": self.due_from,
            "due_to": self.due_to,
            "q": self.q,
            **more,
        }
        pairs += [(key, value) for key, value in single.items() if value not in ("", None)]
        return urlencode(pairs)


def read_choice(
    agency: list[str] | None,
    involving: bool,
    directive: str | None,
    status: list[str] | None,
    due_from: str | None,
    due_to: str | None,
    priority: list[str] | None,
    q: str | None,
) -> Choice:
    return Choice(
        agency=split_list(agency),
        involving=involving,
        directive=(directive or "").strip(),
        status=split_list(status),
        due_from=(due_from or "").strip(),
        due_to=(due_to or "").strip(),
        priority=split_list(priority),
        q=(q or "").strip(),
    )


def chosen_tasks(
    agency: ListParam = None,
    involving: bool = False,
    directive: str | None = None,
    status: ListParam = None,
    due_from: str | None = None,
    due_to: str | None = None,
    priority: ListParam = None,
    q: str | None = None,
) -> Choice:
    """The task list's filters as the query string gives them (the list and its download)."""
    return read_choice(agency, involving, directive, status, due_from, due_to, priority, q)


TaskChoice = Annotated[Choice, Depends(chosen_tasks)]


def task_filter(session: Session, choice: Choice) -> TaskFilter:
    """The filter a choice means, or InvalidRequest naming the field that is wrong."""
    first = parse_date(choice.due_from, field="due_from")
    last = parse_date(choice.due_to, field="due_to")
    if first and last and last < first:
        raise InvalidRequest(f"due_to {last} is before due_from {first}", field="due_to")
    directive_id = None
    if choice.directive:
        found = service.find_directive(session, choice.directive)
        if found is None:
            raise InvalidRequest(
                f"directive '{choice.directive}' is not registered", field="directive"
            )
        directive_id = found.id
    for value in choice.priority:
        if value not in {p.value for p in Priority}:
            raise InvalidRequest(
                f"priority '{value}' is not high, normal or low", field="priority"
            )
    return TaskFilter(
        agency_ids=[service.agency_by_code(session, c, "agency").id for c in choice.agency],
        include_coordinated=choice.involving,
        directive_id=directive_id,
        statuses=parse_statuses(choice.status),
        due_from=first,
        due_to=last,
        priorities=choice.priority,
        text=choice.q,
    )


@router.get("/tasks")
def tasks_page(
    request: Request,
    session: DbSession,
    viewer: Reader,
    choice: TaskChoice,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    wanted = task_filter(session, choice)
    today = vietnam_today()
    rows, total = tasks_by_deadline(
        session,
        wanted,
        viewer.principal,
        today=today,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    context = {
        **_choices(session),
        "t": texts(viewer.language),
        "choice": choice,
        "rows": rows,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "counts": status_counts(session, wanted, viewer.principal, today=today),
        "today": today,
    }
    return render(request, viewer, "tasks/list.html", context)


@router.get("/tasks.xlsx")
def tasks_download(
    session: DbSession,
    viewer: Reader,
    choice: TaskChoice,
) -> Response:
    wanted = task_filter(session, choice)
    rows = iterate_by_deadline(session, wanted, viewer.principal, today=vietnam_today())
    return _xlsx(tasks_xlsx(rows), "tasks.xlsx")


@router.get("/tasks/mine")
def my_tasks_page(request: Request, session: DbSession, viewer: Reader) -> Response:
    return render_mine(request, session, viewer)


def render_mine(
    request: Request,
    session: Session,
    viewer: Viewer,
    *,
    new_address: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """My agency's tasks, and my calendar addresses (a new one shown once)."""
    today = vietnam_today()
    rows: list[Any] = []
    total = 0
    counts: dict[TaskStatus, int] = {}
    choice = None
    if viewer.principal.agency_id is not None and viewer.agency_code:
        choice = read_choice([viewer.agency_code], True, None, None, None, None, None, None)
        wanted = TaskFilter(agency_ids=[viewer.principal.agency_id], include_coordinated=True)
        rows, total = tasks_by_deadline(session, wanted, viewer.principal, today=today, limit=500)
        counts = status_counts(session, wanted, viewer.principal, today=today)
    context = {
        "t": texts(viewer.language),
        "rows": rows,
        "total": total,
        "counts": counts,
        "choice": choice,
        "feeds": feeds_of(session, viewer.principal),
        "new_address": new_address,
        "error": error,
    }
    return render(request, viewer, "tasks/mine.html", context, status_code=status_code)


@router.get("/tasks/scorecard")
def scorecard_page(
    request: Request,
    session: DbSession,
    viewer: Reader,
    start: str | None = None,
    end: str | None = None,
    group_by: Annotated[str, Query(pattern="^(agency|directive)$")] = "agency",
    kind: Annotated[str, Query(pattern="^(|ministry|province)$")] = "",
) -> Response:
    card = _scorecard(session, viewer, start, end, group_by, kind)
    return render(request, viewer, "tasks/scorecard.html", {"t": texts(viewer.language), **card})


@router.get("/tasks/scorecard.xlsx")
def scorecard_download(
    session: DbSession,
    viewer: Reader,
    start: str | None = None,
    end: str | None = None,
    group_by: Annotated[str, Query(pattern="^(agency|directive)$")] = "agency",
    kind: Annotated[str, Query(pattern="^(|ministry|province)$")] = "",
) -> Response:
    card = _scorecard(session, viewer, start, end, group_by, kind)
    rows = [score_cells(line) for line in [*card["lines"], card["overall"]]]
    return _xlsx(table_xlsx(SCORECARD_COLUMNS, rows, title="scorecard"), "scorecard.xlsx")


def _scorecard(
    session: Session,
    viewer: Viewer,
    start: str | None,
    end: str | None,
    group_by: str,
    kind: str,
) -> dict[str, Any]:
    today = vietnam_today()
    first = parse_date(start, field="start") or date(today.year, 1, 1)
    last = parse_date(end, field="end") or today
    if last < first:
        raise InvalidRequest(f"end {last} is before start {first}", field="end")
    if group_by == "agency":
        card, trend = scorecard_with_trend(
            session, today=today, reader=viewer.principal, start=first, end=last
        )
    else:
        card = compute_scorecard(
            session, today=today, reader=viewer.principal, start=first, end=last, group_by=group_by
        )
        trend = monthly_trend(session, today=today, reader=viewer.principal, start=first, end=last)
    lines = card.lines
    if group_by == "agency" and kind:
        kinds = dict(session.execute(select(Agency.code, Agency.kind)).tuples())
        wanted = {"province"} if kind == "province" else None
        lines = rank(
            line
            for line in lines
            if (kinds.get(line.key) in wanted if wanted else kinds.get(line.key) != "province")
        )
    window = {"due_from": first.isoformat(), "due_to": last.isoformat()}
    return {
        "lines": lines,
        "overall": _overall(lines),
        "trend": list(trend.values()),
        "start": first,
        "end": last,
        "group_by": group_by,
        "kind": kind,
        "window": urlencode(window),
        "query": urlencode({"start": first, "end": last, "group_by": group_by, "kind": kind}),
        "today": today,
        "statuses": TaskStatus,
    }


def _overall(lines: list[ScoreLine]) -> ScoreLine:
    total = ScoreLine("*", "Tổng số")
    for line in lines:
        for status, n in line.counts.items():
            total.counts[status] += n
    return total


@router.get("/directives")
def directives_page(request: Request, session: DbSession, viewer: Reader) -> Response:
    counts = dict(
        session.execute(
            select(Task.directive_id, func.count()).group_by(Task.directive_id)
        ).tuples()
    )
    found = session.scalars(select(Directive).order_by(Directive.issued_on.desc()))
    context = {
        "t": texts(viewer.language),
        "directives": [(d, counts.get(d.id, 0)) for d in found],
        "kinds": DIRECTIVE_KINDS,
        "may_assign": viewer.may(Permission.TASKS_ASSIGN),
    }
    return render(request, viewer, "tasks/directives.html", context)


@router.get("/directives/new")
def new_directive_page(
    request: Request,
    viewer: Annotated[Viewer, require_page(Permission.TASKS_ASSIGN)],
) -> Response:
    context = {"t": texts(viewer.language), "kinds": DIRECTIVE_KINDS, "today": vietnam_today()}
    return render(request, viewer, "tasks/new_directive.html", context)


@router.get("/directives/{directive_id}")
def directive_page(
    request: Request, directive_id: RowId, session: DbSession, viewer: Reader
) -> Response:
    directive = service.get_directive(session, directive_id)
    today = vietnam_today()
    wanted = TaskFilter(directive_id=directive.id)
    rows, total = tasks_by_deadline(session, wanted, viewer.principal, today=today, limit=500)
    context = {
        "t": texts(viewer.language),
        "directive": directive,
        "kinds": DIRECTIVE_KINDS,
        "rows": rows,
        "total": total,
        "counts": status_counts(session, wanted, viewer.principal, today=today),
        "choice": read_choice(None, False, directive.number, None, None, None, None, None),
    }
    return render(request, viewer, "tasks/directive.html", context)


@router.get("/directives/{directive_id}/document")
def directive_document(directive_id: RowId, session: DbSession, viewer: Reader) -> Response:
    directive = service.get_directive(session, directive_id)
    if directive.document_digest is None:
        raise InvalidRequest(f"directive {directive.number} has no document file")
    stored = service.get_file(session, directive.document_digest)
    return _file_response(stored.content, stored.media_type, directive.document_name or "document")


@router.get("/tasks/{task_id}")
def task_page(request: Request, task_id: RowId, session: DbSession, viewer: Reader) -> Response:
    context = task_context(session, task_id, viewer)
    return render(request, viewer, "tasks/task.html", {"t": texts(viewer.language), **context})


@router.get("/tasks/{task_id}/attachments/{attachment_number}")
def attachment_download(
    task_id: RowId, attachment_number: RowId, session: DbSession, viewer: Reader
) -> Response:
    service.get_task(session, task_id, viewer.principal)
    found = session.get(Attachment, attachment_number)
    if found is None or found.task_id != task_id:
        raise InvalidRequest(f"task {task_id} has no attachment {attachment_number}")
    stored = service.get_file(session, found.file_digest)
    return _file_response(stored.content, stored.media_type, found.filename)


def _file_response(content: bytes, media_type: str, filename: str) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def _xlsx(content: bytes, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(content, media_type=XLSX, headers=headers)


def _choices(session: Session) -> dict[str, Any]:
    return {
        "agencies": _agencies(session),
        "directive_numbers": list(
            session.scalars(select(Directive.number).order_by(Directive.number))
        ),
        "statuses": list(TaskStatus),
        "priorities": [p.value for p in Priority],
    }


def _agencies(session: Session) -> list[Agency]:
    found = session.scalars(select(Agency).where(Agency.kind != "external_system"))
    # Ministries and agencies first, then provinces, each in name order.
    return sorted(found, key=lambda a: (a.kind == "province", a.name_vi))


def agencies_for_forms(session: Session) -> list[Agency]:
    return _agencies(session)


from govops.tasks import page_forms  # noqa: E402  (its routes join this router)

section = PageSection(
    router,
    templates=Path(__file__).with_name("templates"),
    nav=(
        NavEntry("/tasks", "Nhiệm vụ", "Tasks", Permission.TASKS_READ, order=40),
        NavEntry("/tasks/scorecard", "Xếp hạng", "Scorecard", Permission.TASKS_READ, order=41),
    ),
)
__all__ = ["page_forms", "router", "section"]
