"""The warnings inbox and a warning's page: evidence, chart, acknowledging, making a task.

The page's texts are in this module in both languages (Vietnamese first), so the package
carries its own wording without entries in the shared translation catalogue.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from govops.alerts import service
from govops.alerts.cap import cap_message
from govops.alerts.models import EarlyWarning
from govops.catalog.models import Indicator
from govops.catalog.service import is_visible
from govops.core.api import RowId
from govops.core.db import transaction
from govops.core.errors import InvalidRequest, NotFound
from govops.security.permissions import Permission
from govops.security.web import actor_of
from govops.tasks.status import vietnam_today
from govops.web.auth import DbSession, Viewer, check_form_token, require_page
from govops.web.shell import NavEntry, PageSection, page_router, render

router = page_router()
Reader = Annotated[Viewer, require_page(Permission.DATA_READ)]
Manager = Annotated[Viewer, require_page(Permission.ALERTS_MANAGE)]

TEXTS = {
    "inbox": ("Hộp cảnh báo", "Warnings inbox"),
    "intro": (
        "Các cảnh báo chưa đóng, mới nhất trước. Mỗi nguyên nhân chỉ có một cảnh báo mở.",
        "Warnings not closed, newest first. Each cause has one open warning.",
    ),
    "severity": ("Mức độ", "Severity"),
    "warning": ("Cảnh báo", "Warning"),
    "kind": ("Loại", "Kind"),
    "raised": ("Phát hiện lúc", "Raised"),
    "status": ("Trạng thái", "Status"),
    "empty": ("Không có cảnh báo nào cần xử lý.", "Nothing needs attention."),
    "evidence": ("Căn cứ", "Evidence"),
    "acknowledge": ("Xác nhận đã xem", "Acknowledge"),
    "note": ("Ghi chú", "Note"),
    "make_task": ("Giao nhiệm vụ", "Make a task"),
    "lead_agency": ("Cơ quan chủ trì (mã)", "Lead agency (code)"),
    "deadline": ("Thời hạn", "Deadline"),
    "task": ("Nhiệm vụ", "Task"),
    "cap": ("Tải bản tin CAP 1.2", "Download as CAP 1.2"),
    "back": ("Về hộp cảnh báo", "Back to the inbox"),
    "acknowledged_by": ("Đã xem bởi", "Acknowledged by"),
}
LABELS = {
    "minor": ("Nhẹ", "Minor"),
    "moderate": ("Trung bình", "Moderate"),
    "severe": ("Nghiêm trọng", "Severe"),
    "extreme": ("Đặc biệt nghiêm trọng", "Extreme"),
    "open": ("Mới", "Open"),
    "acknowledged": ("Đã xem", "Acknowledged"),
    "tasked": ("Đã giao nhiệm vụ", "Made a task"),
    "closed": ("Đã đóng", "Closed"),
    "target_at_risk": ("Mục tiêu có nguy cơ", "Target at risk"),
    "data_late": ("Số liệu chậm", "Late figures"),
    "threshold": ("Vượt ngưỡng", "Threshold crossed"),
    "sudden_change": ("Biến động bất thường", "Sudden change"),
    "outside_forecast": ("Ngoài khoảng dự báo", "Outside the forecast"),
}


def texts(language: str) -> dict[str, str]:
    index = 0 if language == "vi" else 1
    words = {key: pair[index] for key, pair in TEXTS.items()}
    return words | {key: pair[index] for key, pair in LABELS.items()}


@router.get("/warnings")
def inbox_page(request: Request, session: DbSession, viewer: Reader) -> Response:
    warnings = [w for w in service.list_warnings(session) if _visible(session, w, viewer)]
    context = {"t": texts(viewer.language), "warnings": warnings}
    return render(request, viewer, "alerts/inbox.html", context)


@router.get("/warnings/{warning_id}")
def warning_page(
    request: Request, warning_id: RowId, session: DbSession, viewer: Reader
) -> Response:
    warning = _readable(session, warning_id, viewer)
    evidence = service.evidence_of(warning)
    context = {
        "t": texts(viewer.language),
        "warning": warning,
        "chart": evidence.get("chart"),
        "numbers": _numbers(evidence),
        "may_manage": viewer.may(Permission.ALERTS_MANAGE),
        "may_assign": viewer.may(Permission.TASKS_ASSIGN),
    }
    return render(request, viewer, "alerts/warning.html", context)


@router.get("/warnings/{warning_id}/cap.xml")
def warning_cap(warning_id: RowId, session: DbSession, viewer: Reader) -> Response:
    warning = _readable(session, warning_id, viewer)
    headers = {"Content-Disposition": f'attachment; filename="warning-{warning_id}.cap.xml"'}
    body = cap_message(session, warning)
    return Response(body, media_type="application/cap+xml", headers=headers)


@router.post("/warnings/{warning_id}/acknowledge")
def acknowledge_form(
    request: Request,
    warning_id: RowId,
    viewer: Manager,
    form_token: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    check_form_token(viewer, form_token)
    with transaction(request.app.state.sessions) as session:
        _readable(session, warning_id, viewer)
        service.acknowledge(
            session, warning_id, note=note or None, by=actor_of(request, viewer.principal)
        )
    return RedirectResponse(f"/warnings/{warning_id}", status_code=303)


@router.post("/warnings/{warning_id}/task")
def task_form(
    request: Request,
    warning_id: RowId,
    viewer: Manager,
    form_token: Annotated[str, Form()] = "",
    lead_agency: Annotated[str, Form(max_length=40)] = "",
    deadline: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    check_form_token(viewer, form_token)
    wanted = service.TaskRequest(lead_agency.strip() or None, _day(deadline), note or None)
    with transaction(request.app.state.sessions) as session:
        _readable(session, warning_id, viewer)
        service.turn_into_task(
            session,
            warning_id,
            wanted,
            today=vietnam_today(),
            by=actor_of(request, viewer.principal),
        )
    return RedirectResponse(f"/warnings/{warning_id}", status_code=303)


def _day(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"'{text}' is not a date", field="deadline") from None


def _readable(session: Session, warning_id: int, viewer: Viewer) -> EarlyWarning:
    warning = service.get_warning(session, warning_id)
    if not _visible(session, warning, viewer):
        raise NotFound(f"warning {warning_id} does not exist")
    return warning


def _visible(session: Session, warning: EarlyWarning, viewer: Viewer) -> bool:
    if warning.indicator_id is None:
        return True
    return is_visible(session.get_one(Indicator, warning.indicator_id), viewer.principal)


def _numbers(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """The evidence as label and value pairs, nested values written out, the chart left out."""
    rows = []
    for key, value in evidence.items():
        if key == "chart" or value is None:
            continue
        if isinstance(value, dict):
            for inner, item in value.items():
                rows.append((f"{key}.{inner}", str(item)))
        elif isinstance(value, list):
            rows.append((key, " – ".join(str(item) for item in value)))
        else:
            rows.append((key, str(value)))
    return rows


section = PageSection(
    router,
    templates=Path(__file__).with_name("templates"),
    nav=(NavEntry("/warnings", "Cảnh báo", "Warnings", Permission.DATA_READ, order=36),),
)
