"""The calendar routes of the tasks API: secret iCalendar addresses, made, listed, revoked,
and the feeds themselves (RFC 5545), reached by their address alone."""

from __future__ import annotations

from fastapi import Request, Response
from sqlalchemy.orm import Session

from govops.catalog.models import Agency
from govops.core.api import PROBLEM_RESPONSES, WRITE_PROBLEM_RESPONSES, RowId
from govops.security.web import actor_of
from govops.tasks import calendar, service
from govops.tasks.models import CalendarFeed
from govops.tasks.routes import DbSession, Reader, router
from govops.tasks.schemas import CalendarIn, CalendarOut
from govops.tasks.status import vietnam_today


@router.post(
    "/task-calendars",
    status_code=201,
    response_model=CalendarOut,
    responses=WRITE_PROBLEM_RESPONSES,
)
def create_calendar(
    request: Request, body: CalendarIn, session: DbSession, caller: Reader
) -> CalendarOut:
    """A new secret calendar address for an agency's deadlines, or for your own."""
    with session.begin():
        agency = service.agency_by_code(session, body.agency, "agency") if body.agency else None
        feed, secret = calendar.create_feed(
            session, agency_id=agency.id if agency else None, by=actor_of(request, caller)
        )
        answer = _calendar_out(session, feed)
    answer.address = str(request.url_for("read_calendar", secret=secret))
    return answer


@router.get("/task-calendars", response_model=list[CalendarOut])
def list_calendars(session: DbSession, caller: Reader) -> list[CalendarOut]:
    """Your calendar addresses (without their secrets)."""
    return [_calendar_out(session, feed) for feed in calendar.feeds_of(session, caller)]


@router.delete(
    "/task-calendars/{feed_id}", response_model=CalendarOut, responses=WRITE_PROBLEM_RESPONSES
)
def revoke_calendar(
    request: Request, feed_id: RowId, session: DbSession, caller: Reader
) -> CalendarOut:
    """Revoke a calendar address: calendar programs using it get 410 from then on."""
    with session.begin():
        feed = calendar.revoke_feed(session, feed_id, by=actor_of(request, caller))
        answer = _calendar_out(session, feed)
    return answer


@router.get(
    "/task-calendars/{secret}.ics",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}},
        400: PROBLEM_RESPONSES[400],
        404: PROBLEM_RESPONSES[404],
        410: {"description": "A revoked calendar address"},
    },
)
def read_calendar(secret: str, session: DbSession) -> Response:
    """An iCalendar feed (RFC 5545), reached by its secret address alone."""
    content = calendar.render_feed(session, secret, today=vietnam_today())
    return Response(
        content,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


def _calendar_out(session: Session, feed: CalendarFeed) -> CalendarOut:
    agency = session.get(Agency, feed.agency_id) if feed.agency_id else None
    return CalendarOut(
        id=feed.id,
        agency=agency.code if agency else None,
        personal=feed.user_id is not None,
        created_at=feed.created_at,
        revoked_at=feed.revoked_at,
    )
