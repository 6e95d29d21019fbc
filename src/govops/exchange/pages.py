"""The exchange's pages: the flows page (health of every flow and the programme's count),
a flow's page with its agreement, history and deliveries, a delivery's receipt, and the
registry page where integration engineers load or edit flows in the declarative format.

The page's texts are in this module in both languages (Vietnamese first), so the package
carries its own wording without entries in the shared translation catalogue.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import Form, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.models import Agency
from govops.core.api import RowId
from govops.core.db import transaction
from govops.core.errors import GovopsError, InvalidRequest, NotFound
from govops.exchange import health, inbound, registry
from govops.exchange.health import FlowHealth, FlowState
from govops.exchange.models import ExchangeFlow, Inbound
from govops.exchange.routes import event_stream, stream_start
from govops.security import audit
from govops.security.permissions import Clearance, Permission
from govops.security.web import actor_of
from govops.web import i18n
from govops.web.auth import DbSession, Viewer, check_form_token, require_page
from govops.web.shell import NavEntry, PageSection, page_router, render

router = page_router()
Reader = Annotated[Viewer, require_page(Permission.EXCHANGE_READ)]
Manager = Annotated[Viewer, require_page(Permission.EXCHANGE_MANAGE)]

# A registry file sent through the page; the 40 flows of the programme take about 30 KB.
MAX_REGISTRY_BYTES = 1024 * 1024
FLOWS_SCRIPT = (Path(__file__).parent / "static" / "flows.js").read_text(encoding="utf-8")

TEXTS = {
    "title": ("Luồng trao đổi dữ liệu", "Data exchange flows"),
    "intro": (
        "Mỗi luồng: lần nhận gần nhất, độ trễ so với cam kết, tỷ lệ dòng bị từ chối và "
        "trạng thái. Chương trình đặt mục tiêu 40 luồng hai chiều đang hoạt động.",
        "Each flow: its last delivery, lag against its freshness agreement, refused-row "
        "rate and state. The programme's target is 40 live two-way flows.",
    ),
    "programme": ("Luồng hai chiều đang hoạt động", "Live two-way flows"),
    "of_target": ("trên mục tiêu {target}", "of a target of {target}"),
    "registered": ("luồng đã đăng ký", "flows registered"),
    "all": ("Tất cả", "All"),
    "flow": ("Luồng", "Flow"),
    "provider": ("Bên cung cấp", "Provider"),
    "direction": ("Chiều", "Direction"),
    "transport": ("Cách nhận", "Transport"),
    "state": ("Trạng thái", "State"),
    "last_delivery": ("Nhận gần nhất", "Last delivery"),
    "lag": ("Độ trễ / cam kết", "Lag / agreed"),
    "refused_rate": ("Tỷ lệ dòng bị từ chối (30 ngày)", "Refused rows (30 days)"),
    "deliveries_30d": ("Số lần nhận (30 ngày)", "Deliveries (30 days)"),
    "none": ("Chưa có luồng nào.", "No flows yet."),
    "none_in_state": ("Không có luồng nào ở trạng thái này.", "No flow is in this state."),
    "registry": ("Sổ đăng ký", "Registry"),
    "back": ("Về danh sách luồng", "Back to the flows"),
    "agreement": ("Thỏa thuận", "Agreement"),
    "name": ("Tên", "Name"),
    "system": ("Hệ thống", "System"),
    "indicators": ("Chỉ tiêu", "Indicators"),
    "dimensions": ("Chiều phân tổ", "Dimensions"),
    "schedule": ("Lịch gửi", "Schedule"),
    "freshness": ("Cam kết độ mới", "Freshness agreed"),
    "format": ("Định dạng", "Format"),
    "validation_mode": ("Kiểm tra", "Validation"),
    "classification": ("Độ mật", "Classification"),
    "consumers": ("Bên nhận", "Consumers"),
    "up_to": ("đến mức", "up to"),
    "rules": ("Quy tắc", "Rules"),
    "pull_url": ("Địa chỉ lấy dữ liệu", "Pull address"),
    "pull_error": ("Lỗi lấy dữ liệu gần nhất", "Last pull error"),
    "history": ("Lịch sử trạng thái", "State history"),
    "checked_at": ("Thời điểm kiểm tra", "Checked at"),
    "no_history": ("Chưa có lần kiểm tra nào.", "Not checked yet."),
    "deliveries": ("Các lần nhận gần nhất", "Latest deliveries"),
    "no_deliveries": ("Chưa nhận lần nào.", "Nothing delivered yet."),
    "delivery": ("Lần nhận", "Delivery"),
    "received_at": ("Nhận lúc", "Received"),
    "status": ("Kết quả", "Outcome"),
    "rows": ("Số dòng", "Rows"),
    "accepted": ("Nhận", "Accepted"),
    "refused": ("Từ chối", "Refused"),
    "warnings": ("Cảnh báo", "Warnings"),
    "edit": ("Sửa luồng (định dạng tệp khai báo)", "Edit the flow (declarative format)"),
    "edit_hint": (
        "Nội dung như một mục của tệp flows.yaml. Thông tin xác thực lấy dữ liệu không "
        "hiển thị; bỏ trống thì giữ nguyên.",
        "As one entry of a flows.yaml file. Pull credentials are not shown; left out, "
        "they are kept.",
    ),
    "save": ("Lưu", "Save"),
    "saved": ("Đã lưu.", "Saved."),
    "unchanged": ("Không có gì thay đổi.", "Nothing changed."),
    "receipt": ("Biên nhận", "Receipt"),
    "payload": ("Mã băm dữ liệu gốc", "Payload digest"),
    "row": ("Dòng", "Row"),
    "field": ("Trường", "Field"),
    "reason": ("Lý do", "Reason"),
    "value": ("Giá trị", "Value"),
    "refused_rows": ("Các dòng bị từ chối", "Refused rows"),
    "members": ("Thành viên", "Members"),
    "agency": ("Cơ quan", "Agency"),
    "systems": ("Hệ thống kết nối", "Systems"),
    "contact": ("Liên hệ", "Contact"),
    "load": ("Nạp tệp khai báo", "Load a declarative file"),
    "load_hint": (
        "Tệp YAML có 'members' và 'flows', như lệnh govops exchange load. Mỗi mục độc lập: "
        "mục sai được nêu rõ, các mục khác vẫn được lưu.",
        "A YAML file with 'members' and 'flows', as for govops exchange load. Each entry "
        "stands alone: a wrong entry is named, the others are saved.",
    ),
    "file": ("Tệp", "File"),
    "or_text": ("hoặc dán nội dung", "or paste its text"),
    "load_button": ("Nạp", "Load"),
    "report": ("Kết quả nạp", "Load report"),
    "report_counts": (
        "{saved} mục đã lưu, {unchanged} không đổi, {refused} bị từ chối",
        "{saved} saved, {unchanged} unchanged, {refused} refused",
    ),
    "entry": ("Mục", "Entry"),
    "no_members": ("Chưa có thành viên nào.", "No members yet."),
}
STATES = {
    FlowState.LIVE: ("Hoạt động", "Live"),
    FlowState.LATE: ("Chậm", "Late"),
    FlowState.FAILING: ("Lỗi", "Failing"),
    FlowState.NOT_STARTED: ("Chưa bắt đầu", "Not started"),
}
WORDS = {
    "in": ("vào", "in"),
    "out": ("ra", "out"),
    "both": ("hai chiều", "two-way"),
    "push": ("gửi đến", "push"),
    "pull": ("lấy về", "pull"),
    "replay": ("xử lý lại", "replay"),
    "strict": ("chặt (tất cả hoặc không)", "strict (all or nothing)"),
    "lenient": ("mềm (nhận dòng hợp lệ)", "lenient (valid rows stored)"),
    "pending": ("đang xử lý", "pending"),
    "partial": ("nhận một phần", "partly accepted"),
    "rejected": ("bị từ chối", "rejected"),
    "failed": ("lỗi", "failed"),
    "D": ("hằng ngày", "daily"),
    "W": ("hằng tuần", "weekly"),
    "M": ("hằng tháng", "monthly"),
    "Q": ("hằng quý", "quarterly"),
    "A": ("hằng năm", "yearly"),
    "day": ("ngày", "d"),
    "hour": ("giờ", "h"),
    "minute": ("phút", "min"),
}


def texts(language: str) -> dict[str, str]:
    index = 0 if language == "vi" else 1
    words = {key: pair[index] for key, pair in TEXTS.items()}
    words |= {key: pair[index] for key, pair in WORDS.items()}
    words["accepted_status"] = "đã nhận" if index == 0 else "accepted"
    return words | {state.value: pair[index] for state, pair in STATES.items()}


def duration(minutes: int | None, language: str) -> str:
    """A span of time as people read it: "3 ngày 4 giờ", "45 min"."""
    if minutes is None:
        return "–"
    t = texts(language)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        parts = [(days, t["day"]), (hours, t["hour"])]
    elif hours:
        parts = [(hours, t["hour"]), (mins, t["minute"])]
    else:
        parts = [(mins, t["minute"])]
    return " ".join(f"{amount} {unit}" for amount, unit in parts if amount) or f"0 {t['minute']}"


# --- the flows page -------------------------------------------------------------------


@router.get("/exchange")
def flows_page(
    request: Request,
    session: DbSession,
    viewer: Reader,
    state: Annotated[FlowState | None, Query(description="Only flows in this state")] = None,
) -> Response:
    found = health.flow_health(session)
    shown = [item for item in found if state is None or item.state is state]
    context = {
        "t": texts(viewer.language),
        "flows": [_health_row(item, viewer.language) for item in shown],
        "state": state.value if state else None,
        "may_manage": viewer.may(Permission.EXCHANGE_MANAGE),
        **_counts(found),
    }
    return render(request, viewer, "exchange/flows.html", context)


def _counts(found: list[FlowHealth]) -> dict[str, Any]:
    """The programme's count, its share of the target for the bar, and flows per state."""
    count = health.programme_count(found)
    return {
        "count": count,
        "share": _tenth(count["live_two_way"], count["target"]),
        "by_state": {s.value: sum(1 for item in found if item.state is s) for s in FlowState},
    }


@router.get("/exchange/health.json")
def flows_health_data(session: DbSession, viewer: Reader) -> dict[str, Any]:
    """What the flows page shows, for its script to refresh it without a reload."""
    found = health.flow_health(session)
    flows = [_live_row(item, viewer.language) for item in found]
    return {"flows": flows, **_counts(found)}


def _live_row(item: FlowHealth, language: str) -> dict[str, Any]:
    row = _health_row(item, language)
    return {
        "flow": item.flow,
        "state": item.state.value,
        "state_label": texts(language)[item.state.value],
        "last_delivery": i18n.instant(item.last_delivery_at, language),
        "lag": row["lag"],
        "freshness": row["freshness"],
        "overdue": row["overdue"],
        "refused": row["refused"],
        "deliveries_30d": item.deliveries_30d,
    }


@router.get("/exchange/live")
async def live_changes(request: Request, viewer: Reader) -> StreamingResponse:
    """The exchange's changes the viewer may receive, as Server-Sent Events, for pages
    (the API's stream takes a bearer token, which a browser's EventSource cannot send)."""
    after = await run_in_threadpool(stream_start, request.app.state.sessions, None)
    return StreamingResponse(
        event_stream(request, viewer.principal, after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/exchange/flows.js")
def flows_script(viewer: Reader) -> Response:
    return Response(
        FLOWS_SCRIPT,
        media_type="text/javascript",
        headers={"Cache-Control": "private, max-age=300"},
    )


def _tenth(part: int, whole: int) -> int:
    """The share as a multiple of ten per cent, for the page's bar (no inline styles)."""
    return min(100, (part * 10 // whole) * 10) if whole else 0


def _health_row(item: FlowHealth, language: str) -> dict[str, Any]:
    return {
        "item": item,
        "lag": duration(item.lag_minutes, language),
        "freshness": duration(item.freshness_minutes, language),
        "overdue": item.lag_minutes is not None and item.lag_minutes > item.freshness_minutes,
        "refused": "–" if item.refused_row_rate is None else f"{item.refused_row_rate:.1%}",
    }


# --- a flow's page --------------------------------------------------------------------


@router.get("/exchange/flows/{code}")
def flow_page(request: Request, code: str, session: DbSession, viewer: Reader) -> Response:
    flow = registry.get_flow(session, code)
    return render(request, viewer, "exchange/flow.html", _flow_context(session, flow, viewer))


def _flow_context(session: Session, flow: ExchangeFlow, viewer: Viewer) -> dict[str, Any]:
    language = viewer.language
    now = next(item for item in health.flow_health(session) if item.flow == flow.code)
    spec = registry.spec_of(session, flow)
    return {
        "t": texts(language),
        "flow": flow,
        "spec": spec,
        "health": _health_row(now, language),
        "history": [
            {
                **check,
                "checked_at": datetime.fromisoformat(check["checked_at"]),
                "lag": duration(check["lag_minutes"], language),
            }
            for check in health.flow_history(session, flow.id, limit=50)
        ],
        "deliveries": inbound.recent_deliveries(session, flow.id),
        "schedule": _schedule(flow.schedule, language),
        "rules": json.loads(flow.rules or "{}"),
        "may_manage": viewer.may(Permission.EXCHANGE_MANAGE),
        "spec_text": yaml.safe_dump(spec, allow_unicode=True, sort_keys=False),
        "errors": [],
        "message": None,
    }


def _schedule(schedule: str, language: str) -> str:
    if schedule.endswith("m"):
        return duration(int(schedule[:-1]), language)
    return texts(language)[schedule]


@router.post("/exchange/flows/{code}")
def edit_flow_form(
    request: Request,
    code: str,
    viewer: Manager,
    form_token: Annotated[str, Form()] = "",
    spec_text: Annotated[str, Form(max_length=100_000)] = "",
) -> Response:
    check_form_token(viewer, form_token)
    with transaction(request.app.state.sessions) as session:
        flow = registry.get_flow(session, code)
        errors, changed = _save_edited(session, flow, spec_text, request, viewer)
        context = _flow_context(session, flow, viewer)
    t = context["t"]
    context["errors"] = errors
    if errors:
        context["spec_text"] = spec_text
    else:
        context["message"] = t["saved"] if changed else t["unchanged"]
    status = 400 if errors else 200
    return render(request, viewer, "exchange/flow.html", context, status_code=status)


def _save_edited(
    session: Session, flow: ExchangeFlow, text: str, request: Request, viewer: Viewer
) -> tuple[list[dict[str, str]], bool]:
    """Save the edited flow; answers the errors (field and reason) and whether it changed.

    A refused edit leaves the flow as it was (its savepoint is rolled back)."""
    savepoint = session.begin_nested()
    errors, changed = _apply_edit(session, flow, text)
    if errors:
        savepoint.rollback()
        session.refresh(flow)
        return errors, False
    savepoint.commit()
    if changed:
        audit.record(
            session,
            "exchange.flow.save",
            by=actor_of(request, viewer.principal),
            object_type="flow",
            object_id=flow.code,
            summary=f"flow {flow.code} edited on its page",
        )
    return [], changed


def _apply_edit(
    session: Session, flow: ExchangeFlow, text: str
) -> tuple[list[dict[str, str]], bool]:
    try:
        entry = yaml.safe_load(text)
        if not isinstance(entry, dict):
            raise InvalidRequest("the text must be one flow: a mapping of its fields")
        entry.setdefault("code", flow.code)
        if entry["code"] != flow.code:
            raise InvalidRequest(f"the code cannot change here ({flow.code})", field="code")
        entry.setdefault("pull_secret_header", flow.pull_secret_header)
        spec = registry.FlowSpec.model_validate(entry)
        _, changed = registry.save_flow(session, spec)
    except yaml.YAMLError as error:
        return [{"field": "", "reason": f"not valid YAML: {error}"}], False
    except ValidationError as error:
        return [_validation_error(item) for item in error.errors()], False
    except GovopsError as error:
        field_name = str(error.extensions.get("field", ""))
        return [{"field": field_name, "reason": error.detail}], False
    return [], changed


def _validation_error(item: Any) -> dict[str, str]:
    return {"field": ".".join(str(part) for part in item["loc"]), "reason": item["msg"]}


# --- a delivery's receipt -------------------------------------------------------------


@router.get("/exchange/deliveries/{delivery_id}")
def delivery_page(
    request: Request, delivery_id: RowId, session: DbSession, viewer: Reader
) -> Response:
    delivery = _readable_delivery(session, delivery_id, viewer)
    flow = session.get_one(ExchangeFlow, delivery.flow_id)
    context = {
        "t": texts(viewer.language),
        "delivery": delivery,
        "flow": flow,
        "receipt": inbound.receipt_of(delivery),
    }
    return render(request, viewer, "exchange/delivery.html", context)


def _readable_delivery(session: Session, delivery_id: int, viewer: Viewer) -> Inbound:
    """The delivery, if its flow's classification is within the viewer's clearance (its
    refused rows show the values sent)."""
    delivery = inbound.get_delivery(session, delivery_id)
    flow = session.get_one(ExchangeFlow, delivery.flow_id)
    if Clearance(flow.classification).rank > viewer.principal.clearance.rank:
        raise NotFound(f"no delivery {delivery_id}", field="delivery")
    return delivery


# --- the registry page ----------------------------------------------------------------


@router.get("/exchange/registry")
def registry_page(request: Request, session: DbSession, viewer: Reader) -> Response:
    return render(request, viewer, "exchange/registry.html", _registry_context(session, viewer))


def _registry_context(session: Session, viewer: Viewer) -> dict[str, Any]:
    agencies = {agency.id: agency for agency in session.scalars(select(Agency))}
    members = [
        {
            "agency": agencies[member.agency_id],
            "systems": json.loads(member.systems),
            "contact": member.contact,
        }
        for member in registry.list_members(session)
    ]
    flows = [
        {"flow": flow, "provider": agencies[flow.provider_agency_id]}
        for flow in registry.list_flows(session)
    ]
    return {
        "t": texts(viewer.language),
        "members": members,
        "flows": flows,
        "may_manage": viewer.may(Permission.EXCHANGE_MANAGE),
        "report": None,
        "problem": None,
    }


@router.post("/exchange/registry")
async def load_registry_form(
    request: Request,
    viewer: Manager,
    form_token: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, Form()] = None,
    text: Annotated[str, Form(max_length=MAX_REGISTRY_BYTES)] = "",
) -> Response:
    check_form_token(viewer, form_token)
    name, content = await _registry_text(file, text)
    return await _load_and_show(request, viewer, name, content)


async def _registry_text(file: UploadFile | None, text: str) -> tuple[str, str]:
    if file is not None and file.filename:
        data = await file.read(MAX_REGISTRY_BYTES + 1)
        if len(data) > MAX_REGISTRY_BYTES:
            raise InvalidRequest(
                f"{file.filename} is larger than {MAX_REGISTRY_BYTES} bytes", field="file"
            )
        try:
            return file.filename, data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidRequest(f"{file.filename} is not UTF-8 text", field="file") from None
    if not text.strip():
        raise InvalidRequest("choose a file or paste its text", field="file")
    return "the text", text


async def _load_and_show(request: Request, viewer: Viewer, name: str, text: str) -> Response:
    def load() -> dict[str, Any]:
        with transaction(request.app.state.sessions) as session:
            context = _registry_context(session, viewer)
            try:
                report = registry.load_registry_text(session, text, name)
            except InvalidRequest as error:
                context["problem"] = error.detail
                return context
            _audit_load(session, request, viewer, name, report)
            context.update(_registry_context(session, viewer))
            context["report"] = report
            return context

    context = await run_in_threadpool(load)
    failed = context["problem"] is not None or bool(context["report"].errors)
    return render(
        request, viewer, "exchange/registry.html", context, status_code=400 if failed else 200
    )


def _audit_load(
    session: Session, request: Request, viewer: Viewer, name: str, report: registry.LoadReport
) -> None:
    if not report.created_or_changed:
        return
    audit.record(
        session,
        "exchange.registry.load",
        by=actor_of(request, viewer.principal),
        object_type="registry",
        object_id=name[:100],
        summary=f"{len(report.created_or_changed)} entries saved from {name} on the "
        f"registry page: {', '.join(report.created_or_changed)[:500]}",
    )


section = PageSection(
    router,
    templates=Path(__file__).with_name("templates"),
    nav=(
        NavEntry(
            "/exchange", "Trao đổi dữ liệu", "Data exchange", Permission.EXCHANGE_READ, order=45
        ),
    ),
)
