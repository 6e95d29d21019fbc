"""The targets API under ``/api/v1``: targets with status and probability, loads, thresholds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from govops.catalog.models import Indicator
from govops.catalog.service import is_visible
from govops.core.api import PROBLEM_RESPONSES, WRITE_PROBLEM_RESPONSES, RowId, db_session
from govops.core.errors import NotFound, UnsupportedMediaType
from govops.datastore.routes import limited_body
from govops.security.permissions import Permission, Principal
from govops.security.web import actor_of, require
from govops.targets import service
from govops.targets.assessment import Status, assess_all, assess_target
from govops.targets.files import read_targets_text
from govops.targets.schemas import (
    LoadOut,
    TargetIn,
    TargetList,
    TargetOut,
    ThresholdsIn,
    ThresholdsOut,
)

router = APIRouter(prefix="/api/v1", tags=["targets"], responses=PROBLEM_RESPONSES)
DbSession = Annotated[Session, Depends(db_session)]
Reader = Annotated[Principal, require(Permission.DATA_READ)]
Writer = Annotated[Principal, require(Permission.TARGETS_WRITE)]

LOAD_FORMATS = {"text/csv": "csv", "application/yaml": "yaml", "application/x-yaml": "yaml"}


@router.get("/targets", response_model=TargetList)
def list_targets(
    session: DbSession,
    caller: Reader,
    year: int | None = None,
    indicator: str | None = None,
    area: str | None = None,
    status: Status | None = None,
    include_superseded: bool = False,
) -> TargetList:
    """Targets with their status, probability of being met and the latest actual."""
    targets = service.list_targets(
        session,
        indicator=indicator,
        area=area,
        year=year,
        include_superseded=include_superseded,
    )
    visible = [target for target in targets if _visible(session, target.indicator_id, caller)]
    items = [TargetOut.of(item) for item in assess_all(session, visible)]
    if status is not None:
        items = [item for item in items if item.status == status.value]
    return TargetList(items=items)


@router.get("/targets/thresholds", response_model=ThresholdsOut)
def read_thresholds(session: DbSession, caller: Reader) -> ThresholdsOut:
    """The probabilities that separate on track, at risk and off track."""
    current = service.get_thresholds(session)
    return ThresholdsOut(
        on_track_from=current.on_track_from, off_track_below=current.off_track_below
    )


@router.put("/targets/thresholds", response_model=ThresholdsOut)
def change_thresholds(
    request: Request, body: ThresholdsIn, session: DbSession, caller: Writer
) -> ThresholdsOut:
    """Set the thresholds; every target's status follows at once."""
    with session.begin():
        current = service.set_thresholds(
            session,
            on_track_from=body.on_track_from,
            off_track_below=body.off_track_below,
            by=actor_of(request, caller),
        )
    return ThresholdsOut(
        on_track_from=current.on_track_from, off_track_below=current.off_track_below
    )


@router.get("/targets/{target_id}", response_model=TargetOut)
def read_target(target_id: RowId, session: DbSession, caller: Reader) -> TargetOut:
    """One target with the numbers its status follows from."""
    target = service.get_target(session, target_id)
    if not _visible(session, target.indicator_id, caller):
        raise NotFound(f"target {target_id} does not exist", target=target_id)
    return TargetOut.of(assess_target(session, target))


@router.post(
    "/targets", response_model=TargetOut, status_code=201, responses=WRITE_PROBLEM_RESPONSES
)
def create_target(
    request: Request, body: TargetIn, session: DbSession, caller: Writer
) -> TargetOut:
    """Record one target; refused, naming the field, when the indicator cannot form it."""
    with session.begin():
        target = service.create_target(session, body.spec(), by=actor_of(request, caller))
    return TargetOut.of(assess_target(session, target))


@router.post(
    "/targets/load",
    response_model=LoadOut,
    status_code=201,
    responses=WRITE_PROBLEM_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/yaml": {"schema": {"type": "string"}},
            },
        }
    },
)
def load_targets(
    request: Request,
    session: DbSession,
    caller: Writer,
    body: Annotated[bytes, Depends(limited_body)],
) -> LoadOut:
    """Load a CSV or YAML file of targets whole, or refuse it naming each bad row."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in LOAD_FORMATS:
        raise UnsupportedMediaType(
            f"content type '{media_type or 'none'}' is not accepted; send text/csv or "
            "application/yaml"
        )
    specs = read_targets_text(
        body.decode("utf-8-sig"), LOAD_FORMATS[media_type], default_source="API load"
    )
    with session.begin():
        report = service.load_targets(session, specs, by=actor_of(request, caller))
    return LoadOut(created=report.created, unchanged=report.unchanged)


def _visible(session: Session, indicator_id: int, caller: Principal) -> bool:
    return is_visible(session.get_one(Indicator, indicator_id), caller)
