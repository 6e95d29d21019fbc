"""The alerts API under ``/api/v1``: the warnings inbox, acting on warnings, CAP, rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.alerts import service
from govops.alerts.cap import cap_message
from govops.alerts.models import AlertRule, EarlyWarning
from govops.alerts.schemas import (
    AcknowledgeIn,
    CheckOut,
    RuleIn,
    RuleOut,
    TaskIn,
    WarningDetail,
    WarningList,
    WarningOut,
)
from govops.catalog.models import Indicator
from govops.catalog.service import is_visible
from govops.core.api import (
    PROBLEM_RESPONSES,
    WRITE_PROBLEM_RESPONSES,
    RowId,
    db_session,
    split_list,
)
from govops.core.errors import NotFound
from govops.security.permissions import Permission, Principal
from govops.security.web import actor_of, require
from govops.tasks.status import vietnam_today

router = APIRouter(prefix="/api/v1", tags=["alerts"], responses=PROBLEM_RESPONSES)
DbSession = Annotated[Session, Depends(db_session)]
Reader = Annotated[Principal, require(Permission.DATA_READ)]
Manager = Annotated[Principal, require(Permission.ALERTS_MANAGE)]
CAP_MEDIA_TYPE = "application/cap+xml"


@router.get("/warnings", response_model=WarningList)
def list_warnings(
    session: DbSession,
    caller: Reader,
    status: Annotated[list[str] | None, Query(description="open, acknowledged, …")] = None,
    kind: str | None = None,
    severity: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> WarningList:
    """The inbox: warnings not closed, newest first (or those of the statuses asked)."""
    found = service.list_warnings(
        session, status=split_list(status), kind=kind, severity=severity, limit=limit
    )
    visible = [w for w in found if _visible(session, w, caller)]
    return WarningList(items=[WarningOut.of(warning) for warning in visible])


@router.get("/warnings/{warning_id}", response_model=WarningDetail)
def read_warning(warning_id: RowId, session: DbSession, caller: Reader) -> WarningDetail:
    """One warning with its evidence: the numbers and the chart that raised it."""
    return WarningDetail.of_detail(_readable(session, warning_id, caller))


@router.get(
    "/warnings/{warning_id}/cap",
    response_class=Response,
    responses={200: {"content": {CAP_MEDIA_TYPE: {}}, "description": "A CAP 1.2 alert"}},
)
def read_warning_cap(
    warning_id: RowId,
    session: DbSession,
    caller: Reader,
    provinces: Annotated[
        list[str] | None, Query(description="Province codes; default the warning's own area")
    ] = None,
) -> Response:
    """The warning as a public CAP 1.2 alert, in Vietnamese and English."""
    warning = _readable(session, warning_id, caller)
    body = cap_message(session, warning, provinces=split_list(provinces) or None)
    return Response(body, media_type=CAP_MEDIA_TYPE)


@router.post(
    "/warnings/{warning_id}/acknowledge",
    response_model=WarningDetail,
    responses=WRITE_PROBLEM_RESPONSES,
)
def acknowledge_warning(
    request: Request, warning_id: RowId, body: AcknowledgeIn, session: DbSession, caller: Manager
) -> WarningDetail:
    """Mark the warning seen; it stays the one open warning of its cause."""
    with session.begin():
        _readable(session, warning_id, caller)
        warning = service.acknowledge(
            session, warning_id, note=body.note, by=actor_of(request, caller)
        )
    return WarningDetail.of_detail(warning)


@router.post(
    "/warnings/{warning_id}/task",
    response_model=WarningDetail,
    status_code=201,
    responses=WRITE_PROBLEM_RESPONSES,
)
def warning_to_task(
    request: Request, warning_id: RowId, body: TaskIn, session: DbSession, caller: Manager
) -> WarningDetail:
    """Turn the warning into a task for the responsible agency (needs tasks:assign too)."""
    wanted = service.TaskRequest(body.lead_agency, body.deadline, body.note)
    with session.begin():
        _readable(session, warning_id, caller)
        warning = service.turn_into_task(
            session, warning_id, wanted, today=vietnam_today(), by=actor_of(request, caller)
        )
    return WarningDetail.of_detail(warning)


@router.post("/warnings/check", response_model=CheckOut)
def run_checks(session: DbSession, caller: Manager) -> CheckOut:
    """Run every check now, as `govops alerts check` does, without sending notices."""
    with session.begin():
        report = service.run_checks(session, today=vietnam_today())
    return CheckOut(raised=report.raised, updated=report.updated, closed=report.closed)


@router.get("/warning-rules", response_model=list[RuleOut])
def list_rules(session: DbSession, caller: Reader) -> list[RuleOut]:
    """The rules on single series: thresholds, sudden changes, forecast bands."""
    return [RuleOut.of(rule) for rule in session.scalars(select(AlertRule).order_by(AlertRule.id))]


@router.post(
    "/warning-rules", response_model=RuleOut, status_code=201, responses=WRITE_PROBLEM_RESPONSES
)
def create_rule(request: Request, body: RuleIn, session: DbSession, caller: Manager) -> RuleOut:
    """Add a rule on one series."""
    spec = service.RuleSpec(
        body.kind, body.name, body.indicator, body.area, body.severity, body.params
    )
    with session.begin():
        rule = service.create_rule(
            session, spec, today=vietnam_today(), by=actor_of(request, caller)
        )
    return RuleOut.of(rule)


def _readable(session: Session, warning_id: int, caller: Principal) -> EarlyWarning:
    warning = service.get_warning(session, warning_id)
    if not _visible(session, warning, caller):
        raise NotFound(f"warning {warning_id} does not exist", warning=warning_id)
    return warning


def _visible(session: Session, warning: EarlyWarning, caller: Principal) -> bool:
    # A warning shows an indicator's figures: it is hidden from whoever may not see them.
    if warning.indicator_id is None:
        return True
    return is_visible(session.get_one(Indicator, warning.indicator_id), caller)
