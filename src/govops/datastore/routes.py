"""Datastore API: data queries in JSON, CSV and XLSX, observation writes, coverage."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from govops.catalog.service import find_indicators
from govops.core.api import (
    FORMATS,
    PROBLEM_RESPONSES,
    WRITE_PROBLEM_RESPONSES,
    RowId,
    app_settings,
    choose_format,
    db_session,
    parse_date,
    parse_instant,
    split_list,
)
from govops.core.db import today_utc
from govops.core.errors import InvalidRequest, NotFound, PayloadTooLarge, UnsupportedMediaType
from govops.core.periods import Frequency
from govops.datastore.analytics import DataAnswer, DataQuery, run_query
from govops.datastore.answers import AnswerCache, data_versions
from govops.datastore.coverage import coverage_report
from govops.datastore.export import answer_csv, answer_xlsx
from govops.datastore.models import Submission
from govops.datastore.rows import csv_rows_from_bytes, json_rows_from_bytes
from govops.datastore.schemas import (
    CoverageOut,
    DataOut,
    GroupCoverageOut,
    IndicatorCoverageOut,
    ReceiptOut,
    data_json,
)
from govops.datastore.transforms import Transform
from govops.datastore.writes import Payload, store_observations
from govops.security import audit
from govops.security.permissions import Permission, Principal, require_permission
from govops.security.web import actor_of, record_export, require

router = APIRouter(prefix="/api/v1", tags=["data"], responses=PROBLEM_RESPONSES)
DbSession = Annotated[Session, Depends(db_session)]
DataReader = Annotated[Principal, require(Permission.DATA_READ)]
DataWriter = Annotated[Principal, require(Permission.DATA_WRITE)]


@router.get(
    "/data",
    response_model=DataOut,
    responses={200: {"content": {FORMATS["csv"]: {}, FORMATS["xlsx"]: {}}}},
)
def read_data(
    request: Request,
    session: DbSession,
    caller: DataReader,
    indicator: Annotated[str, Query(description="Indicator code, e.g. CPI")],
    area: Annotated[
        list[str] | None,
        Query(
            description="Area codes, repeated or comma-separated; 'provinces' for all "
            "provinces; default the nation"
        ),
    ] = None,
    start: Annotated[str | None, Query(description="First period, e.g. 2016-M01")] = None,
    end: Annotated[str | None, Query(description="Last period, e.g. 2025-M12")] = None,
    as_of: Annotated[
        str | None,
        Query(
            description="What was known at this instant "
            "(ISO 8601; a date means its end in Viet Nam)"
        ),
    ] = None,
    transform: Transform = Transform.NONE,
    frequency: Annotated[
        Frequency | None, Query(description="Convert to this coarser frequency by the time rule")
    ] = None,
    dims: Annotated[
        list[str] | None,
        Query(description="Other dimensions as CODE:VALUE, e.g. SEX:F; default totals"),
    ] = None,
    at: Annotated[
        str | None,
        Query(description="Date on which area codes are read; default the end of the range"),
    ] = None,
    format: Annotated[str | None, Query(description="json, csv or xlsx; or use Accept")] = None,
) -> Response:
    """Values of one indicator for areas and periods, latest or as known at an instant."""
    chosen = choose_format(request, format)
    if chosen != "json":
        # A download leaves govops whole; reading on screen does not need this permission.
        require_permission(caller, Permission.DATA_EXPORT)
    query = DataQuery(
        indicator=indicator,
        areas=tuple(split_list(area)),
        first=start,
        last=end,
        as_of=parse_instant(as_of, field="as_of"),
        transform=transform,
        frequency=frequency,
        dims=_parse_dims(dims),
        at=parse_date(at, field="at"),
    )
    limit = app_settings(request).max_query_cells
    if chosen == "json":
        return Response(
            _json_answer(request, session, query, caller, limit), media_type="application/json"
        )
    answer = run_query(session, query, max_cells=limit, visible_to=caller)
    return _download(request, caller, answer, chosen)


def _json_answer(
    request: Request, session: Session, query: DataQuery, caller: Principal, limit: int
) -> bytes:
    # Who may see what decides the answer too, so the reader's clearance and agency are
    # part of the key; so is the day, which places area codes when no range end does.
    cache: AnswerCache = request.app.state.answers
    versions = data_versions(session, query.indicator)
    key = (query, caller.clearance, caller.agency_id, today_utc(), limit, versions)
    return cache.get_or_make(
        key, lambda: data_json(run_query(session, query, max_cells=limit, visible_to=caller))
    )


def _parse_dims(values: list[str] | None) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in split_list(values):
        code, sep, value = item.partition(":")
        if not sep or not code or not value:
            raise InvalidRequest(f"dims '{item}' must be CODE:VALUE, e.g. SEX:F", field="dims")
        pairs.append((code, value))
    return tuple(pairs)


def _download(request: Request, caller: Principal, answer: DataAnswer, chosen: str) -> Response:
    """The answer as a file to save, recorded in the audit log as an export."""
    content = answer_csv(answer) if chosen == "csv" else answer_xlsx(answer)
    media_type = FORMATS[chosen] + ("; charset=utf-8" if chosen == "csv" else "")
    code = answer.indicator.code
    stamp = datetime.now(ZoneInfo(app_settings(request).timezone)).strftime("%Y%m%d-%H%M")
    record_export(
        request,
        caller,
        indicator=code,
        summary=f"{chosen}: {answer.cell_count} values of {len(answer.series)} series; "
        f"query {request.url.query}",
    )
    disposition = f'attachment; filename="{code}-{stamp}.{chosen}"'
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


async def limited_body(request: Request) -> bytes:
    """The request body, refused as soon as it passes the configured size."""
    limit = app_settings(request).max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is {declared} bytes; the limit is {limit}", limit=limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body passed the limit of {limit} bytes", limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/observations",
    response_model=ReceiptOut,
    status_code=201,
    responses=WRITE_PROBLEM_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "observations": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["indicator", "area", "period"],
                                    "properties": {
                                        "indicator": {"type": "string"},
                                        "area": {"type": "string"},
                                        "period": {"type": "string"},
                                        "value": {"type": ["number", "string", "null"]},
                                        "status": {"type": "string"},
                                        "dims": {
                                            "type": "object",
                                            "additionalProperties": {"type": "string"},
                                        },
                                    },
                                },
                            }
                        },
                    }
                },
                "text/csv": {
                    "schema": {
                        "type": "string",
                        "description": "Header indicator,area,period,value[,status][,DIMENSION…]",
                    }
                },
            },
        }
    },
)
def write_observations(
    request: Request,
    session: DbSession,
    caller: DataWriter,
    body: Annotated[bytes, Depends(limited_body)],
) -> ReceiptOut:
    """Store a batch of observations whole, or refuse it naming each bad row and field."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type in ("text/csv", "application/csv"):
        rows = csv_rows_from_bytes(body)
    elif media_type == "application/json":
        rows = json_rows_from_bytes(body)
    else:
        raise UnsupportedMediaType(
            f"content type '{media_type or 'none'}' is not accepted; "
            "send application/json or text/csv"
        )
    payload = Payload(body, media_type, source="api")
    with session.begin():
        receipt = store_observations(
            session,
            rows,
            payload,
            agency_id=caller.agency_id,
            max_rows=app_settings(request).max_rows_per_write,
            writer=caller,
        )
        audit.record(
            session,
            "observations.write",
            by=actor_of(request, caller),
            object_type="submission",
            object_id=receipt.submission_id,
            summary=f"{receipt.rows} rows: {receipt.stored} stored, "
            f"{receipt.unchanged} unchanged, {receipt.series_created} new series",
        )
    return ReceiptOut(**receipt.as_dict())  # type: ignore[arg-type]


@router.get("/submissions/{submission_id}", response_model=ReceiptOut)
def read_submission(submission_id: RowId, session: DbSession, caller: DataReader) -> ReceiptOut:
    """The receipt of an earlier submission."""
    submission = session.get(Submission, submission_id)
    if submission is None or not submission.receipt:
        raise NotFound(f"submission {submission_id} does not exist")
    receipt = json.loads(submission.receipt)
    return ReceiptOut(**receipt)


@router.get("/coverage", response_model=CoverageOut)
def read_coverage(
    request: Request,
    session: DbSession,
    caller: DataReader,
    date: Annotated[str | None, Query(description="Default today")] = None,
) -> CoverageOut:
    """Indicators with data for their latest due period, by group, against targets."""
    timezone = ZoneInfo(app_settings(request).timezone)
    day = parse_date(date, field="date") or datetime.now(timezone).date()
    groups = coverage_report(session, day)
    # Counts take in every indicator, as the programme's targets do; names only those the
    # caller may see.
    visible = {i.code for i in find_indicators(session, visible_to=caller, limit=100_000)}
    return CoverageOut(
        date=day.isoformat(),
        groups=[
            GroupCoverageOut(
                code=g.code,
                name_vi=g.name_vi,
                name_en=g.name_en,
                indicators=len(g.indicators),
                covered=g.covered,
                share=float(g.share),
                target=None if g.target is None else float(g.target),
                meets_target=g.meets_target,
                missing=[
                    IndicatorCoverageOut(**vars(i))
                    for i in g.indicators
                    if not i.covered and i.code in visible
                ],
            )
            for g in groups
        ],
    )
