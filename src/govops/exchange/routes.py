"""The exchange API under ``/api/v1/exchange``: registry, deliveries, feed, webhooks,
live stream and flow health."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import ClientDisconnect

from govops.catalog.models import Agency
from govops.core.api import PROBLEM_RESPONSES, WRITE_PROBLEM_RESPONSES, RowId, db_session, problem
from govops.core.errors import InvalidRequest, NotFound, PayloadTooLarge
from govops.exchange import addresses, events, health, inbound, registry, webhooks
from govops.exchange.formats import format_of
from govops.exchange.models import ExchangeFlow, Inbound
from govops.security import audit
from govops.security.errors import PermissionDenied
from govops.security.permissions import Permission, Principal, Scope
from govops.security.web import actor_of, require

router = APIRouter(prefix="/api/v1/exchange", tags=["exchange"], responses=PROBLEM_RESPONSES)
DbSession = Annotated[Session, Depends(db_session)]
Reader = Annotated[Principal, require(Permission.EXCHANGE_READ)]
Manager = Annotated[Principal, require(Permission.EXCHANGE_MANAGE)]
Subscriber = Annotated[Principal, require(Permission.EXCHANGE_SUBSCRIBE)]
Provider = Annotated[Principal, require(Permission.DATA_WRITE)]

# Bodies above this are refused with 413 as soon as they pass it. Deliveries of millions
# of rows fit (a million CSV rows is about 30 MB); larger files go through
# `govops data load`. ``app.state.exchange_max_body`` overrides it.
MAX_BODY_BYTES = 48 * 1024 * 1024
STREAM_POLL_SECONDS = 0.25
STREAM_HEARTBEAT_SECONDS = 15.0


# --- registry -------------------------------------------------------------------------


def _agency_codes(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Agency.id, Agency.code)).all())


def flow_view(session: Session, flow: ExchangeFlow, codes: dict[int, str]) -> dict[str, Any]:
    return {
        "code": flow.code,
        "name_vi": flow.name_vi,
        "name_en": flow.name_en,
        "provider": codes.get(flow.provider_agency_id),
        "provider_system": flow.provider_system,
        "direction": flow.direction,
        "indicators": json.loads(flow.indicators),
        "dimensions": json.loads(flow.dimensions),
        "schedule": flow.schedule,
        "freshness_minutes": flow.freshness_minutes,
        "transport": flow.transport,
        "format": flow.format,
        "validation_mode": flow.validation_mode,
        "classification": flow.classification,
        "consumers": [
            {
                "agency": codes.get(rule.consumer_agency_id),
                "max_classification": rule.max_classification,
            }
            for rule in registry.consumers_of(session, flow.id)
        ],
        "rules": json.loads(flow.rules or "{}"),
        # The pull credentials are never shown, only whether there are some.
        "pull_url": flow.pull_url,
        "pull_has_credentials": bool(flow.pull_secret_header),
        "updated_at": flow.updated_at.isoformat(),
    }


@router.get("/flows")
def read_flows(session: DbSession, caller: Reader) -> dict[str, Any]:
    """Every flow of the registry."""
    codes = _agency_codes(session)
    return {"flows": [flow_view(session, f, codes) for f in registry.list_flows(session)]}


@router.get("/flows/{code}")
def read_flow(code: str, session: DbSession, caller: Reader) -> dict[str, Any]:
    """One flow, with its consumers and rules."""
    return flow_view(session, registry.get_flow(session, code), _agency_codes(session))


@router.put("/flows/{code}", responses=WRITE_PROBLEM_RESPONSES)
def write_flow(
    code: str, spec: registry.FlowSpec, request: Request, session: DbSession, caller: Manager
) -> dict[str, Any]:
    """Create or change a flow; sending the same description again changes nothing."""
    if spec.code != code:
        raise InvalidRequest(f"the body's code {spec.code} differs from {code}", field="code")
    flow, changed = registry.save_flow(session, spec)
    if changed:
        audit.record(
            session,
            "exchange.flow.save",
            by=actor_of(request, caller),
            object_type="flow",
            object_id=flow.code,
            summary=f"flow {flow.code} from {spec.provider}, {spec.transport.value}, "
            f"{spec.validation_mode.value}",
        )
    session.commit()
    return {**flow_view(session, flow, _agency_codes(session)), "changed": changed}


@router.get("/members")
def read_members(session: DbSession, caller: Reader) -> dict[str, Any]:
    """Agencies taking part in the exchange, with their systems."""
    codes = _agency_codes(session)
    return {
        "members": [
            {
                "agency": codes.get(m.agency_id),
                "systems": json.loads(m.systems),
                "contact": m.contact,
            }
            for m in registry.list_members(session)
        ]
    }


@router.put("/members/{agency}", responses=WRITE_PROBLEM_RESPONSES)
def write_member(
    agency: str, spec: registry.MemberSpec, request: Request, session: DbSession, caller: Manager
) -> dict[str, Any]:
    """Make an agency a member, or change its systems."""
    if spec.agency != agency:
        raise InvalidRequest(f"the body's agency {spec.agency} differs from {agency}")
    member, changed = registry.save_member(session, spec)
    if changed:
        audit.record(
            session,
            "exchange.member.save",
            by=actor_of(request, caller),
            object_type="agency",
            object_id=agency,
            summary=f"exchange member {agency}: {len(spec.systems)} systems",
        )
    session.commit()
    return {"agency": agency, "systems": json.loads(member.systems), "changed": changed}


# --- deliveries -----------------------------------------------------------------------


async def _read_body(request: Request) -> inbound.Body:
    """The body as it arrives, spilled to a temporary file past the bulk size, so a large
    delivery never sits whole in the server's memory."""
    limit = getattr(request.app.state, "exchange_max_body", MAX_BODY_BYTES)
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"the body is {declared} bytes; a delivery may be at most {limit} bytes "
            "(split it, or load the file with `govops data load`)",
            limit=limit,
        )
    body = inbound.Body()
    try:
        await _receive_into(request, body, limit)
        if declared is not None and declared.isdigit() and body.size != int(declared):
            raise InvalidRequest(
                f"the body has {body.size} bytes but Content-Length says {declared}; "
                "nothing was kept, send it again"
            )
    except BaseException:
        body.close()
        raise
    return body


async def _receive_into(request: Request, body: inbound.Body, limit: int) -> None:
    try:
        async for chunk in request.stream():
            body.write(chunk)
            if body.size > limit:
                raise PayloadTooLarge(f"the body passed the limit of {limit} bytes", limit=limit)
    except ClientDisconnect:
        raise InvalidRequest(
            "the upload was cut short before its end; nothing was kept, send it again"
        ) from None


def _receive_and_process(
    sessions: sessionmaker[Session],
    code: str,
    body: inbound.Body,
    fmt: str,
    caller: Principal,
    idempotency_key: str | None,
) -> tuple[inbound.Received, Inbound]:
    """Keep the delivery, then process it from the bytes in hand: one trip to a worker
    thread, and the kept payload is not read back."""
    received = inbound.receive(
        sessions, code, body, fmt, sender=caller, idempotency_key=idempotency_key
    )
    content = body.content() if body.size <= inbound.BULK_BYTES else None
    return received, inbound.process(sessions, received.inbound_id, content)


@router.post(
    "/flows/{code}/deliveries",
    status_code=201,
    responses={
        **WRITE_PROBLEM_RESPONSES,
        200: {"description": "A retry with the same Idempotency-Key and body: first receipt"},
        422: {"description": "Every row refused (strict flows: any row), or key reused"},
    },
)
async def deliver(
    code: str,
    request: Request,
    caller: Provider,
    idempotency_key: Annotated[
        str | None,
        Header(max_length=200, description="Makes retries safe: same key, same receipt"),
    ] = None,
) -> JSONResponse:
    """Deliver data into a flow, as CSV, JSON or XLSX, with the provider's key.

    The payload is kept as received before anything else; the receipt lists every refused
    row with its field and reason, and every warning.
    """
    fmt = format_of(request.headers.get("content-type"))
    body = await _read_body(request)
    sessions = request.app.state.sessions
    try:
        received, delivery = await run_in_threadpool(
            _receive_and_process, sessions, code, body, fmt, caller, idempotency_key
        )
    finally:
        body.close()
    receipt = inbound.receipt_of(delivery)
    headers = {"Location": f"/api/v1/exchange/deliveries/{delivery.id}"}
    if not received.new:
        headers["Idempotent-Replayed"] = "true"
    if delivery.status == "rejected":
        first = (receipt.get("refused_rows") or [{}])[0]
        response = problem(
            422,
            "delivery-rejected",
            "Delivery refused; nothing of it was stored",
            f"{receipt.get('error_count', 0)} error(s); first at row {first.get('row')}, "
            f"field '{first.get('field')}': {first.get('reason')}",
            instance=request.url.path,
            errors=receipt.get("refused_rows", []),
            receipt=receipt,
        )
        response.headers.update(headers)
        return response
    status = 201 if received.new else 200
    return JSONResponse(receipt, status_code=status, headers=headers)


@router.get("/deliveries/{delivery_id}")
def read_delivery(delivery_id: RowId, session: DbSession, caller: Provider) -> dict[str, Any]:
    """A delivery's receipt (``pending`` until it is processed)."""
    delivery = inbound.get_delivery(session, delivery_id)
    if caller.scope is not Scope.EVERY_AGENCY and caller.agency_id != delivery.agency_id:
        raise NotFound(f"no delivery {delivery_id}", field="delivery")
    return inbound.receipt_of(delivery)


# --- feed, stream, subscriptions ------------------------------------------------------


@router.get("/feed", responses={410: {"description": "Cursor too old; resynchronise"}})
def read_feed(
    session: DbSession,
    caller: Subscriber,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=events.MAX_FEED_PAGE)] = events.FEED_PAGE,
    flow: Annotated[list[str] | None, Query(description="Only these flows")] = None,
) -> dict[str, Any]:
    """Changes of the flows the caller may receive, oldest first, as CloudEvents."""
    page = events.read_feed(
        session, caller, cursor=cursor, limit=limit, flows=frozenset(flow or [])
    )
    return {"events": page.events, "next_cursor": page.next_cursor}


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(
    request: Request,
    caller: Reader,
    last_event_id: Annotated[str | None, Header(description="Resume after this event")] = None,
) -> StreamingResponse:
    """Server-Sent Events: each change the caller may receive, as it is stored."""
    sessions = request.app.state.sessions
    after = await run_in_threadpool(stream_start, sessions, last_event_id)
    return StreamingResponse(
        event_stream(request, caller, after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def stream_start(sessions: Any, last_event_id: str | None) -> int:
    if last_event_id:
        return events.parse_cursor(last_event_id.removeprefix("govops-"))
    with sessions() as session:
        return events.newest_event_id(session)


async def event_stream(request: Request, caller: Principal, after: int) -> AsyncIterator[str]:
    sessions = request.app.state.sessions
    yield "retry: 2000\n\n"
    quiet = 0.0
    while not await request.is_disconnected():
        batch, after = await run_in_threadpool(_next_events, sessions, caller, after)
        for event in batch:
            yield f"id: {event['id']}\nevent: {event['type']}\ndata: {json.dumps(event)}\n\n"
        if batch:
            quiet = 0.0
            continue
        await asyncio.sleep(STREAM_POLL_SECONDS)
        quiet += STREAM_POLL_SECONDS
        if quiet >= STREAM_HEARTBEAT_SECONDS:
            quiet = 0.0
            yield ": still here\n\n"


def _next_events(sessions: Any, caller: Principal, after: int) -> tuple[list[dict[str, Any]], int]:
    with sessions() as session:
        rows = events.events_after(session, after, 100)
        if not rows:
            return [], after
        audience = events.audience_of(session, caller)
        return [events.cloud_event(r) for r in rows if audience.admits(r)], rows[-1].id


class SubscriptionIn(BaseModel):
    url: str = Field(description="Where to post each change (http or https)")
    flows: list[str] = Field(default=[], description="Flow codes; empty for every flow")
    agency: str | None = Field(
        default=None, description="Consumer agency; administrators only, default the caller's"
    )
    from_now: bool = True


@router.post("/subscriptions", status_code=201, responses=WRITE_PROBLEM_RESPONSES)
def create_subscription(
    body: SubscriptionIn, request: Request, session: DbSession, caller: Subscriber
) -> dict[str, Any]:
    """A webhook; its signing secret is in this answer only."""
    agency_id = _consumer_agency(session, caller, body.agency)
    for code in body.flows:
        registry.get_flow(session, code)
    made = webhooks.subscribe(
        session,
        consumer_agency_id=agency_id,
        url=body.url,
        flows=body.flows,
        from_now=body.from_now,
    )
    audit.record(
        session,
        "exchange.subscription.create",
        by=actor_of(request, caller),
        object_type="subscription",
        object_id=made.subscription.id,
        agency_id=agency_id,
        summary=f"webhook to {body.url} for {', '.join(body.flows) or 'every flow'}",
    )
    session.commit()
    return {
        "id": made.subscription.id,
        "url": body.url,
        "flows": body.flows,
        "secret": made.secret,
    }


def _consumer_agency(session: Session, caller: Principal, code: str | None) -> int:
    if code is None:
        if caller.agency_id is None:
            raise InvalidRequest("name the consumer agency", field="agency")
        return caller.agency_id
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise InvalidRequest(f"agency '{code}' is not in the catalogue", field="agency")
    if caller.scope is not Scope.EVERY_AGENCY and agency.id != caller.agency_id:
        raise PermissionDenied("a subscription is made for the caller's own agency")
    return agency.id


@router.get("/subscriptions")
def read_subscriptions(session: DbSession, caller: Subscriber) -> dict[str, Any]:
    """The caller's agency's webhooks (every agency's for administrators)."""
    agency = None if caller.scope is Scope.EVERY_AGENCY else caller.agency_id
    return {
        "subscriptions": [
            {"id": s.id, "url": s.url, "flows": json.loads(s.flows), "active": s.active}
            for s in webhooks.list_subscriptions(session, agency)
        ]
    }


@router.get("/dead-letters")
def read_dead_letters(session: DbSession, caller: Subscriber) -> dict[str, Any]:
    """Webhook deliveries that failed every retry."""
    agency = None if caller.scope is Scope.EVERY_AGENCY else caller.agency_id
    return {
        "deliveries": [webhooks.delivery_view(d) for d in webhooks.dead_letters(session, agency)]
    }


class ReplayIn(BaseModel):
    subscription: int | None = None
    deliveries: list[int] = []


@router.post("/dead-letters/replay")
def replay_dead_letters(body: ReplayIn, session: DbSession, caller: Subscriber) -> dict[str, int]:
    """Send dead deliveries again, with a fresh retry schedule."""
    if body.subscription is not None:
        subscription = webhooks.get_subscription(session, body.subscription)
        if caller.scope is not Scope.EVERY_AGENCY and (
            subscription.consumer_agency_id != caller.agency_id
        ):
            raise NotFound(f"no subscription {body.subscription}", field="subscription")
    elif caller.scope is not Scope.EVERY_AGENCY:
        raise InvalidRequest("name the subscription to replay", field="subscription")
    count = webhooks.replay_dead(
        session, subscription_id=body.subscription, delivery_ids=body.deliveries
    )
    session.commit()
    return {"replayed": count}


# --- health and outbound addresses ----------------------------------------------------


@router.get("/health")
def read_health(session: DbSession, caller: Reader) -> dict[str, Any]:
    """Each flow's state, lag and refused-row rate; live two-way flows against 40."""
    found = health.flow_health(session)
    return {
        "flows": [item.as_dict() for item in found],
        "programme": health.programme_count(found),
    }


@router.get("/flows/{code}/health")
def read_flow_health(code: str, session: DbSession, caller: Reader) -> dict[str, Any]:
    """A flow's state now and its recorded history, newest first."""
    flow = registry.get_flow(session, code)
    now = next(item for item in health.flow_health(session) if item.flow == code)
    return {**now.as_dict(), "history": health.flow_history(session, flow.id)}


class AddressIn(BaseModel):
    pattern: str = Field(description="Host name, IP address or CIDR network")
    note: str | None = None


def _administrator(caller: Principal) -> None:
    if caller.scope is not Scope.EVERY_AGENCY:
        raise PermissionDenied("the outbound allowlist is kept by administrators")


@router.get("/outbound-addresses")
def read_addresses(session: DbSession, caller: Manager) -> dict[str, Any]:
    """Private addresses that pulls and webhooks may reach."""
    return {
        "addresses": [
            {"pattern": a.pattern, "note": a.note} for a in addresses.list_addresses(session)
        ]
    }


@router.post("/outbound-addresses", status_code=201)
def add_address(
    body: AddressIn, request: Request, session: DbSession, caller: Manager
) -> dict[str, Any]:
    """Allow pulls and webhooks to reach a private host or network."""
    _administrator(caller)
    entry = addresses.allow_address(session, body.pattern, body.note)
    audit.record(
        session,
        "exchange.address.allow",
        by=actor_of(request, caller),
        object_type="address",
        object_id=entry.pattern,
        summary=f"outbound address {entry.pattern} allowed: {body.note or ''}",
    )
    session.commit()
    return {"pattern": entry.pattern, "note": entry.note}


@router.delete("/outbound-addresses/{pattern:path}", status_code=204)
def remove_address(
    pattern: str, request: Request, session: DbSession, caller: Manager
) -> Response:
    """Stop allowing a private host or network."""
    _administrator(caller)
    addresses.remove_address(session, pattern)
    audit.record(
        session,
        "exchange.address.remove",
        by=actor_of(request, caller),
        object_type="address",
        object_id=pattern,
        summary=f"outbound address {pattern} no longer allowed",
    )
    session.commit()
    return Response(status_code=204)
