"""Changes going out: the outbox's exchange events as CloudEvents 1.0, and the feed.

Every change is one row of the datastore's outbox, written in the transaction that made
it. Its CloudEvents ``id`` is derived from that row alone, so the feed, the webhooks and
the live stream carry the same id and a consumer can deduplicate across all three.
The feed's cursor is the outbox position; events older than the retention are pruned,
and a cursor from before the pruning is answered 410 with the advice to resynchronise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, bindparam, delete, func, select, text
from sqlalchemy.orm import Session

from govops.catalog.models import Agency
from govops.core.errors import GovopsError, InvalidRequest
from govops.datastore.models import OutboxEvent
from govops.datastore.writes import announce
from govops.exchange.models import AccessRule, ExchangeFlow, JobLease
from govops.exchange.registry import may_receive
from govops.security.permissions import Principal, Scope

EVENT_PREFIX = "exchange."
CLOUDEVENT_TYPE_PREFIX = "vn.gov.govops."
SOURCE = "/govops/exchange"
FEED_PAGE = 100
MAX_FEED_PAGE = 1000
HUB_OWNER_KIND = "government_office"
# Where the feed records how far it was pruned (a lease row nobody ever takes).
PRUNED_MARK = "feed-pruned-through"
# The PostgreSQL advisory lock that writers of exchange events hold until they commit.
EVENT_ORDER_LOCK = 0x65786368


class CursorExpired(GovopsError):
    status = 410
    code = "cursor-expired"
    title = "Cursor too old; resynchronise"


def event_id(event: OutboxEvent) -> str:
    return f"govops-{event.id}"


def announce_in_order(
    session: Session, event_type: str, subject: str, data: dict[str, object]
) -> None:
    """Add an exchange event to the outbox so that events commit in outbox order.

    Readers move their cursor past every position they have read. PostgreSQL draws a
    position when the row is written, not when it commits: of two deliveries stored at
    once, the later position could commit first, a reader move past the earlier one,
    and that change never be sent. Holding this lock from the write to the commit makes
    positions appear in order. SQLite has one writer at a time and needs nothing.
    """
    if session.get_bind().dialect.name == "postgresql":
        # Without flushing first: the caller's pending changes go to the database with
        # the event, in fewer statements, still after the lock.
        with session.no_autoflush:
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_ORDER_LOCK})
    announce(session, event_type, subject, data)


def cloud_event(event: OutboxEvent) -> dict[str, Any]:
    """The CloudEvents 1.0 envelope (JSON format) of an outbox event."""
    data = json.loads(event.data)
    flow = data.get("flow")
    return {
        "specversion": "1.0",
        "id": event_id(event),
        "source": f"{SOURCE}/flows/{flow}" if flow else SOURCE,
        "type": CLOUDEVENT_TYPE_PREFIX + event.type,
        "subject": event.subject,
        "time": event.created_at.isoformat(),
        "datacontenttype": "application/json",
        "data": data,
    }


@dataclass
class Audience:
    """Which flows a reader may receive, read once per page of events."""

    reader: Principal
    allowed: dict[str, bool]

    def admits(self, event: OutboxEvent, only: frozenset[str] = frozenset()) -> bool:
        flow = json.loads(event.data).get("flow")
        if flow is None:
            return False
        if only and flow not in only:
            return False
        return self.allowed.get(flow, False)


def audience_of(session: Session, reader: Principal) -> Audience:
    """The flows ``reader`` may receive. The Government Office runs the hub and its
    situation room: its people see every flow within their clearance."""
    if reader.agency_id is not None:
        kind = session.scalar(select(Agency.kind).where(Agency.id == reader.agency_id))
        if kind == HUB_OWNER_KIND:
            reader = replace(reader, scope=Scope.EVERY_AGENCY)
    rules = {
        rule.flow_id: rule
        for rule in session.scalars(
            select(AccessRule).where(AccessRule.consumer_agency_id == reader.agency_id)
        )
    }
    # The three columns needed, not whole flows: the sending job asks this at every run.
    flows = session.execute(
        select(ExchangeFlow.id, ExchangeFlow.code, ExchangeFlow.classification)
    )
    allowed = {
        code: may_receive(classification, rules.get(flow_id), reader)
        for flow_id, code, classification in flows
    }
    return Audience(reader, allowed)


@dataclass(frozen=True)
class FeedPage:
    events: list[dict[str, Any]]
    next_cursor: str


def parse_cursor(cursor: str | None) -> int:
    if cursor is None or cursor == "":
        return 0
    if not cursor.isdigit():
        raise InvalidRequest(f"cursor '{cursor}' is not one the feed gave", field="cursor")
    return int(cursor)


def read_feed(
    session: Session,
    reader: Principal,
    *,
    cursor: str | None,
    limit: int = FEED_PAGE,
    flows: frozenset[str] = frozenset(),
) -> FeedPage:
    """The reader's events after ``cursor``, oldest first, and the cursor to go on from.

    The next cursor moves past events the reader may not see as well, so a consumer
    never reads the same refused events twice.
    """
    if not 1 <= limit <= MAX_FEED_PAGE:
        raise InvalidRequest(f"limit must be between 1 and {MAX_FEED_PAGE}", field="limit")
    pruned = pruned_through(session)
    # Without a cursor a consumer starts from the oldest event kept.
    after = pruned if cursor is None else parse_cursor(cursor)
    if after < pruned:
        raise CursorExpired(
            f"cursor {after} is older than the feed keeps (events up to {pruned} were "
            "pruned); resynchronise from the data API, then resume the feed from cursor "
            f"{pruned}",
            resume_from=str(pruned),
        )
    audience = audience_of(session, reader)
    rows = list(
        session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.id > after, OutboxEvent.type.startswith(EVENT_PREFIX))
            .order_by(OutboxEvent.id)
            .limit(limit)
        )
    )
    events = [cloud_event(row) for row in rows if audience.admits(row, flows)]
    last = rows[-1].id if rows else after
    return FeedPage(events, str(last))


# Built once: the sending job asks it at every round.
_EVENTS_AFTER = (
    select(OutboxEvent)
    .where(OutboxEvent.id > bindparam("after"), OutboxEvent.type.startswith(EVENT_PREFIX))
    .order_by(OutboxEvent.id)
    .limit(bindparam("limit", type_=Integer))
)


def events_after(session: Session, after: int, limit: int) -> list[OutboxEvent]:
    return list(session.scalars(_EVENTS_AFTER, {"after": after, "limit": limit}))


def newest_event_id(session: Session) -> int:
    return session.scalar(select(func.max(OutboxEvent.id))) or 0


def pruned_through(session: Session) -> int:
    mark = session.get(JobLease, PRUNED_MARK)
    return int(mark.holder) if mark is not None and mark.holder else 0


def prune_feed(session: Session, before: datetime) -> int:
    """Delete exchange events created before ``before``; answers how many.

    Consumers whose cursor is older are told to resynchronise.
    """
    last = session.scalar(
        select(func.max(OutboxEvent.id)).where(
            OutboxEvent.type.startswith(EVENT_PREFIX), OutboxEvent.created_at < before
        )
    )
    if last is None:
        return 0
    deleted = session.execute(
        delete(OutboxEvent).where(
            OutboxEvent.type.startswith(EVENT_PREFIX), OutboxEvent.id <= last
        )
    )
    mark = session.get(JobLease, PRUNED_MARK)
    if mark is None:
        session.add(JobLease(name=PRUNED_MARK, holder=str(last)))
    else:
        mark.holder = str(max(last, int(mark.holder or 0)))
    session.flush()
    return int(deleted.rowcount)  # type: ignore[attr-defined]
