"""The scorecard route of the tasks API: counts, rates and ranks per agency or directive,
the trend by month, each line with its drill-down to the tasks; as JSON, CSV or XLSX."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request, Response
from sqlalchemy.orm import Session

from govops.core.api import FORMATS, choose_format, parse_date
from govops.core.errors import InvalidRequest
from govops.security.permissions import Principal
from govops.tasks import service
from govops.tasks.export import SCORECARD_COLUMNS, score_cells, table_csv, table_xlsx
from govops.tasks.routes import DbSession, Reader, directive_id_of, router
from govops.tasks.schemas import ScorecardOut, ScoreLineOut
from govops.tasks.scorecard import (
    Scorecard,
    ScoreLine,
    compute_scorecard,
    monthly_trend,
    scorecard_with_trend,
)
from govops.tasks.status import TaskStatus, vietnam_today


@router.get(
    "/tasks-scorecard",
    response_model=ScorecardOut,
    responses={200: {"content": {FORMATS["csv"]: {}, FORMATS["xlsx"]: {}}}},
)
def read_scorecard(
    request: Request,
    session: DbSession,
    caller: Reader,
    start: Annotated[str | None, Query(description="First deadline day counted")] = None,
    end: Annotated[str | None, Query(description="Last deadline day counted")] = None,
    group_by: Annotated[str, Query(pattern="^(agency|directive)$")] = "agency",
    directive: Annotated[str | None, Query(description="Only this directive's tasks")] = None,
    agency: Annotated[str | None, Query(description="Trend of this agency only")] = None,
    as_of: str | None = None,
    format: Annotated[str | None, Query(description="json, csv or xlsx")] = None,
) -> ScorecardOut | Response:
    """Counts by status, rates and ranks per agency or directive, and the trend by month;
    as CSV or XLSX, the lines and the overall total."""
    today = parse_date(as_of, field="as_of") or vietnam_today()
    first = parse_date(start, field="start") or date(today.year, 1, 1)
    last = parse_date(end, field="end") or today
    if last < first:
        raise InvalidRequest(f"end {last} is before start {first}", field="end")
    directive_id = directive_id_of(session, directive)
    agency_id = service.agency_by_code(session, agency, "agency").id if agency else None
    card, trend = _card_and_trend(
        session, caller, today, (first, last), group_by, directive_id, agency_id
    )
    chosen = choose_format(request, format)
    if chosen != "json":
        rows = [score_cells(line) for line in [*card.lines, card.overall]]
        content = (
            table_csv(SCORECARD_COLUMNS, rows)
            if chosen == "csv"
            else table_xlsx(SCORECARD_COLUMNS, rows, title="scorecard")
        )
        disposition = f'attachment; filename="scorecard.{chosen}"'
        return Response(
            content, media_type=FORMATS[chosen], headers={"Content-Disposition": disposition}
        )
    window = {"due_from": first.isoformat(), "due_to": last.isoformat(), "as_of": today}
    return ScorecardOut(
        group_by=group_by,
        as_of=today,
        start=first,
        end=last,
        overall=_line_out(card.overall, {}, window),
        lines=[_line_out(line, {group_by: line.key}, window) for line in card.lines],
        trend=[_line_out(line, {}, window) for line in trend.values()],
    )


def _card_and_trend(
    session: Session,
    caller: Principal,
    today: date,
    window: tuple[date, date],
    group_by: str,
    directive_id: int | None,
    agency_id: int | None,
) -> tuple[Scorecard, dict[str, ScoreLine]]:
    """The card and the trend; in one reading when they count the same deliverables."""
    first, last = window
    if group_by == "agency" and directive_id is None and agency_id is None:
        return scorecard_with_trend(session, today=today, reader=caller, start=first, end=last)
    card = compute_scorecard(
        session,
        today=today,
        reader=caller,
        start=first,
        end=last,
        group_by=group_by,
        directive_id=directive_id,
    )
    trend = monthly_trend(
        session, today=today, reader=caller, start=first, end=last, agency_id=agency_id
    )
    return card, trend


def _line_out(line: ScoreLine, narrow: dict[str, str], window: dict[str, object]) -> ScoreLineOut:
    c = line.counts
    query = urlencode({**narrow, **window})
    return ScoreLineOut(
        key=line.key,
        name=line.name,
        rank=line.rank,
        total=line.total,
        completed_on_time=c[TaskStatus.COMPLETED_ON_TIME],
        completed_late=c[TaskStatus.COMPLETED_LATE],
        in_progress=c[TaskStatus.IN_PROGRESS],
        overdue=c[TaskStatus.OVERDUE],
        not_started=c[TaskStatus.NOT_STARTED],
        on_time_rate=None if line.on_time_rate is None else float(line.on_time_rate),
        completion_rate=None if line.completion_rate is None else float(line.completion_rate),
        drill_down=f"/api/v1/tasks?{query}",
    )
