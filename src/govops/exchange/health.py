"""Flow health: is each flow delivering as agreed, and how many two-way flows are live.

A flow is *not started* until its first delivery; *failing* when its last deliveries were
all refused or its pull connector keeps failing; *late* when its last stored delivery is
older than its freshness agreement; *live* otherwise. The programme counts live flows
that go both ways against its target of 40.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govops.catalog.models import Agency
from govops.core.db import now_utc
from govops.exchange.events import announce_in_order
from govops.exchange.models import ExchangeFlow, FlowHealthCheck, Inbound

log = logging.getLogger(__name__)

PROGRAMME_TARGET = 40
# A flow whose last this many deliveries were all refused is failing.
FAILING_AFTER_REFUSALS = 3
# Pull failures in a row that make a pull flow failing.
FAILING_AFTER_PULL_ERRORS = 3
REFUSAL_WINDOW = timedelta(days=30)
# A state unchanged is recorded again at this interval, so the history has no gaps.
HISTORY_INTERVAL = timedelta(hours=1)


class FlowState(StrEnum):
    LIVE = "live"
    LATE = "late"
    FAILING = "failing"
    NOT_STARTED = "not started"


@dataclass(frozen=True)
class FlowHealth:
    flow: str
    name_vi: str
    name_en: str
    provider: str
    direction: str
    transport: str
    state: FlowState
    last_delivery_at: datetime | None
    last_attempt_at: datetime | None
    lag_minutes: int | None
    freshness_minutes: int
    refused_row_rate: float | None
    deliveries_30d: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "name_vi": self.name_vi,
            "name_en": self.name_en,
            "provider": self.provider,
            "direction": self.direction,
            "transport": self.transport,
            "state": self.state.value,
            "last_delivery_at": _iso(self.last_delivery_at),
            "last_attempt_at": _iso(self.last_attempt_at),
            "lag_minutes": self.lag_minutes,
            "freshness_minutes": self.freshness_minutes,
            "refused_row_rate": self.refused_row_rate,
            "deliveries_30d": self.deliveries_30d,
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def flow_health(session: Session, *, now: datetime | None = None) -> list[FlowHealth]:
    now = now or now_utc()
    flows = list(session.scalars(select(ExchangeFlow).order_by(ExchangeFlow.code)))
    providers = dict(session.execute(select(Agency.id, Agency.code)).all())
    stored = _last_stored(session)
    attempted = _last_attempts(session)
    volumes = _volumes(session, now - REFUSAL_WINDOW)
    return [
        _health_of(flow, providers, stored, attempted, volumes, session, now) for flow in flows
    ]


def _health_of(
    flow: ExchangeFlow,
    providers: dict[int, str],
    stored: dict[int, datetime],
    attempted: dict[int, datetime],
    volumes: dict[int, tuple[int, int, int]],
    session: Session,
    now: datetime,
) -> FlowHealth:
    last = stored.get(flow.id)
    lag = None if last is None else int((now - last).total_seconds() // 60)
    rows, refused, count = volumes.get(flow.id, (0, 0, 0))
    state = _state(session, flow, last, lag, attempted.get(flow.id))
    return FlowHealth(
        flow=flow.code,
        name_vi=flow.name_vi,
        name_en=flow.name_en,
        provider=providers.get(flow.provider_agency_id, "?"),
        direction=flow.direction,
        transport=flow.transport,
        state=state,
        last_delivery_at=last,
        last_attempt_at=attempted.get(flow.id),
        lag_minutes=lag,
        freshness_minutes=flow.freshness_minutes,
        refused_row_rate=round(refused / rows, 4) if rows else None,
        deliveries_30d=count,
    )


def _state(
    session: Session,
    flow: ExchangeFlow,
    last: datetime | None,
    lag: int | None,
    attempted: datetime | None,
) -> FlowState:
    if flow.transport == "pull" and flow.pull_failures >= FAILING_AFTER_PULL_ERRORS:
        return FlowState.FAILING
    if attempted is None and last is None:
        return FlowState.NOT_STARTED
    if _recent_all_refused(session, flow.id):
        return FlowState.FAILING
    if last is None or (lag is not None and lag > flow.freshness_minutes):
        return FlowState.LATE
    return FlowState.LIVE


def _recent_all_refused(session: Session, flow_id: int) -> bool:
    statuses = list(
        session.scalars(
            select(Inbound.status)
            .where(Inbound.flow_id == flow_id, Inbound.status != "pending")
            .order_by(Inbound.id.desc())
            .limit(FAILING_AFTER_REFUSALS)
        )
    )
    return len(statuses) == FAILING_AFTER_REFUSALS and all(s == "rejected" for s in statuses)


def _last_stored(session: Session) -> dict[int, datetime]:
    return dict(
        session.execute(
            select(Inbound.flow_id, func.max(Inbound.received_at))
            .where(Inbound.status.in_(("accepted", "partial")))
            .group_by(Inbound.flow_id)
        ).all()
    )


def _last_attempts(session: Session) -> dict[int, datetime]:
    # A delivery still being processed is no attempt yet: counted, the first delivery of
    # a flow would make it late (tried, nothing stored) for the moment it takes to check.
    return dict(
        session.execute(
            select(Inbound.flow_id, func.max(Inbound.received_at))
            .where(Inbound.status != "pending")
            .group_by(Inbound.flow_id)
        ).all()
    )


def _volumes(session: Session, since: datetime) -> dict[int, tuple[int, int, int]]:
    rows = session.execute(
        select(
            Inbound.flow_id,
            func.sum(Inbound.row_count),
            func.sum(Inbound.refused_count),
            func.count(),
        )
        .where(Inbound.received_at >= since, Inbound.status != "pending")
        .group_by(Inbound.flow_id)
    )
    return {flow_id: (int(r or 0), int(f or 0), int(c)) for flow_id, r, f, c in rows}


def programme_count(health: list[FlowHealth]) -> dict[str, int]:
    live_two_way = sum(
        1 for item in health if item.state is FlowState.LIVE and item.direction == "both"
    )
    return {
        "live_two_way": live_two_way,
        "target": PROGRAMME_TARGET,
        "flows": len(health),
        "live": sum(1 for item in health if item.state is FlowState.LIVE),
    }


def record_health(session: Session, *, now: datetime | None = None) -> list[str]:
    """Record each flow's state in its history; warn, through the outbox, of each flow
    that has just gone late or failing. Answers the codes of those flows."""
    now = now or now_utc()
    flows = {flow.code: flow.id for flow in session.scalars(select(ExchangeFlow))}
    worsened = []
    for item in flow_health(session, now=now):
        flow_id = flows[item.flow]
        previous = session.scalar(
            select(FlowHealthCheck)
            .where(FlowHealthCheck.flow_id == flow_id)
            .order_by(FlowHealthCheck.checked_at.desc())
            .limit(1)
        )
        changed = previous is None or previous.state != item.state.value
        if changed or now - previous.checked_at >= HISTORY_INTERVAL:  # type: ignore[union-attr]
            session.add(
                FlowHealthCheck(
                    flow_id=flow_id,
                    checked_at=now,
                    state=item.state.value,
                    lag_minutes=item.lag_minutes,
                )
            )
        if changed and item.state in (FlowState.LATE, FlowState.FAILING):
            worsened.append(item.flow)
            log.warning("flow %s is %s", item.flow, item.state.value)
            announce_in_order(
                session,
                f"exchange.flow.{item.state.value}",
                f"flow/{item.flow}",
                {"flow": item.flow, "state": item.state.value, "lag_minutes": item.lag_minutes},
            )
    session.flush()
    return worsened


def flow_history(session: Session, flow_id: int, limit: int = 200) -> list[dict[str, Any]]:
    checks = session.scalars(
        select(FlowHealthCheck)
        .where(FlowHealthCheck.flow_id == flow_id)
        .order_by(FlowHealthCheck.checked_at.desc())
        .limit(limit)
    )
    return [
        {"checked_at": c.checked_at.isoformat(), "state": c.state, "lag_minutes": c.lag_minutes}
        for c in checks
    ]
