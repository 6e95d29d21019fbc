"""iCalendar feeds (RFC 5545) of deadlines, per agency and per person, at secret addresses.

Calendar programs cannot send a bearer token, so a feed is reached by an address holding a
long random secret; only the secret's SHA-256 is stored. Revoking the address ends it for
good; a person's feed also ends when their account is disabled. The feed shows what its
owner may see: an agency's feed its led and co-ordinated tasks, a person's feed the tasks
their role lets them read.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.models import Agency
from govops.core.db import now_utc
from govops.core.errors import GovopsError, InvalidRequest, NotFound
from govops.security import audit
from govops.security.accounts import principal_of
from govops.security.errors import PermissionDenied
from govops.security.models import User
from govops.security.permissions import Clearance, Principal, Role, Scope, principal_for
from govops.tasks.access import sees_every_task, visible_condition
from govops.tasks.models import CalendarFeed, Occurrence, Task
from govops.tasks.status import occurrence_status

SECRET_PREFIX = "cal_"
# Deadlines this far back and ahead are in a feed; calendars need no older history.
PAST_DAYS = 365
AHEAD_DAYS = 730
MAX_EVENTS = 5000


class CalendarRevoked(GovopsError):
    status = 410
    code = "calendar-revoked"
    title = "Calendar address revoked"


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_feed(
    session: Session, *, agency_id: int | None, by: audit.Actor
) -> tuple[CalendarFeed, str]:
    """A new feed address: the agency's when ``agency_id`` is given, else the caller's own.

    Answers the feed and its secret, which is shown once and never stored.
    """
    principal = by.principal
    if agency_id is not None:
        _check_agency_feed(session, principal, agency_id)
    elif principal.user_id is None:
        raise InvalidRequest(
            "a personal calendar belongs to a person; name an agency for a system key",
            field="agency",
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    feed = CalendarFeed(
        secret_hash=secret_hash(secret),
        agency_id=agency_id,
        user_id=None if agency_id is not None else principal.user_id,
        created_by=principal.name[:200],
        created_at=now_utc(),
    )
    session.add(feed)
    session.flush()
    audit.record(
        session,
        "task.calendar.create",
        by=by,
        object_type="calendar",
        object_id=feed.id,
        summary="agency feed" if agency_id is not None else "personal feed",
    )
    return feed, secret


def revoke_feed(session: Session, feed_id: int, *, by: audit.Actor) -> CalendarFeed:
    feed = session.get(CalendarFeed, feed_id)
    if feed is None or not _owns(by.principal, feed):
        raise NotFound(f"calendar {feed_id} does not exist or is not yours")
    if feed.revoked_at is None:
        feed.revoked_at = now_utc()
        audit.record(
            session,
            "task.calendar.revoke",
            by=by,
            object_type="calendar",
            object_id=feed.id,
            summary="address revoked",
        )
    return feed


def feeds_of(session: Session, principal: Principal) -> list[CalendarFeed]:
    found = session.scalars(select(CalendarFeed).order_by(CalendarFeed.id))
    return [feed for feed in found if _owns(principal, feed)]


def render_feed(session: Session, secret: str, *, today: date) -> bytes:
    """The calendar at a secret address, or CalendarRevoked / NotFound."""
    feed = session.scalar(
        select(CalendarFeed).where(CalendarFeed.secret_hash == secret_hash(secret))
    )
    if feed is None:
        raise NotFound("no calendar has this address; ask for a new one in govops")
    if feed.revoked_at is not None:
        raise CalendarRevoked(
            f"this calendar address was revoked on {feed.revoked_at:%Y-%m-%d}; "
            "ask for a new one in govops"
        )
    reader, name = _reader(session, feed)
    return _calendar(session, reader, name, today).to_ical()


def _calendar(session: Session, reader: Principal, name: str, today: date) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//govops//tasks//VI")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = now_utc()
    rows = session.execute(
        select(Occurrence, Task, Agency.code)
        .join(Task, Task.id == Occurrence.task_id)
        .join(Agency, Agency.id == Task.lead_agency_id)
        .where(visible_condition(reader))
        .where(
            Occurrence.due_on.between(today - timedelta(PAST_DAYS), today + timedelta(AHEAD_DAYS))
        )
        .order_by(Occurrence.due_on, Occurrence.id)
        .limit(MAX_EVENTS)
    )
    for occurrence, task, lead in rows:
        calendar.add_component(_event(occurrence, task, lead, today, stamp))
    return calendar


def _event(occurrence: Occurrence, task: Task, lead: str, today: date, stamp: object) -> Event:
    assert occurrence.due_on is not None
    status = occurrence_status(occurrence, today)
    event = Event()
    event.add("uid", f"task-{task.id}-{occurrence.sequence}@govops")
    event.add("dtstamp", stamp)
    event.add("dtstart", occurrence.due_on)
    event.add("dtend", occurrence.due_on + timedelta(days=1))
    period = f" ({occurrence.period})" if occurrence.period else ""
    event.add("summary", f"[{lead}] {task.title}{period}")
    event.add(
        "description",
        f"Nhiệm vụ số {task.id}. Cơ quan chủ trì: {lead}. Tình trạng: {status.label_vi}.",
    )
    event.add("status", "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    return event


def _reader(session: Session, feed: CalendarFeed) -> tuple[Principal, str]:
    if feed.agency_id is not None:
        agency = session.get(Agency, feed.agency_id)
        assert agency is not None
        principal = principal_for(
            name=f"calendar of {agency.code}",
            role=Role.AGENCY_OFFICER,
            clearance=Clearance.PUBLIC,
            agency_id=agency.id,
        )
        return principal, f"Nhiệm vụ - {agency.name_vi}"
    user = session.get(User, feed.user_id)
    if user is None or user.disabled:
        raise CalendarRevoked("the account this calendar belongs to is disabled")
    return principal_of(user), f"Nhiệm vụ - {user.display_name}"


def _check_agency_feed(session: Session, principal: Principal, agency_id: int) -> None:
    if session.get(Agency, agency_id) is None:
        raise InvalidRequest(f"agency {agency_id} is not in the catalogue", field="agency")
    if sees_every_task(principal) or principal.agency_id == agency_id:
        return
    raise PermissionDenied(f"{principal.name} may make a calendar only for their own agency")


def _owns(principal: Principal, feed: CalendarFeed) -> bool:
    if principal.scope is Scope.EVERY_AGENCY:
        return True
    if feed.user_id is not None:
        return feed.user_id == principal.user_id
    return feed.agency_id == principal.agency_id or sees_every_task(principal)
