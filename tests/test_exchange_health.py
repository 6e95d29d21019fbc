"""Flow health: live, late, failing, not started; history; the programme's count of 40."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from api_helpers import open_client
from conftest import Store
from govops.core.db import now_utc, transaction
from govops.datastore.models import OutboxEvent
from govops.exchange.health import FlowState, flow_health, flow_history, record_health
from govops.exchange.inbound import process, receive
from govops.exchange.registry import get_flow
from test_exchange_support import budget_csv, register_flow


def deliver(store: Store, flow: str, line: str) -> str:
    received = receive(store.sessions, flow, budget_csv(line), "csv", sender=None)
    return process(store.sessions, received.inbound_id).status


def states(store: Store, **kwargs: object) -> dict[str, FlowState]:
    with store.session() as session:
        return {h.flow: h.state for h in flow_health(session, **kwargs)}  # type: ignore[arg-type]


def test_each_flow_is_live_late_failing_or_not_started(store: Store) -> None:
    register_flow(store, code="LIVE", freshness_minutes=60)
    register_flow(store, code="IDLE")
    register_flow(store, code="BROKEN")
    deliver(store, "LIVE", "BUDGET_REVENUE,VN,2025-M03,180500")
    for _ in range(3):
        assert deliver(store, "BROKEN", "BUDGET_REVENUE,VN,2025-M03,lots") == "rejected"

    now = states(store)
    later = states(store, now=now_utc() + timedelta(hours=2))

    assert now == {
        "BROKEN": FlowState.FAILING,
        "IDLE": FlowState.NOT_STARTED,
        "LIVE": FlowState.LIVE,
    }
    assert later["LIVE"] is FlowState.LATE


def test_a_first_delivery_still_being_checked_neither_starts_the_flow_nor_makes_it_late(
    store: Store,
) -> None:
    register_flow(store, code="FIRST")
    receive(
        store.sessions, "FIRST", budget_csv("BUDGET_REVENUE,VN,2025-M03,1"), "csv", sender=None
    )

    with transaction(store.sessions) as session:
        worsened = record_health(session)

    assert states(store)["FIRST"] is FlowState.NOT_STARTED
    assert worsened == []


def test_the_health_api_shows_lag_refusals_and_the_count_of_live_two_way_flows(
    store: Store,
) -> None:
    register_flow(store, code="BOTH-WAYS", validation_mode="lenient")
    register_flow(store, code="ONE-WAY", direction="in")
    deliver(store, "ONE-WAY", "BUDGET_REVENUE,VN,2025-M03,180500")
    received = receive(
        store.sessions,
        "BOTH-WAYS",
        budget_csv("BUDGET_REVENUE,VN,2025-M03,180500", "BUDGET_REVENUE,02,2025-M08,1"),
        "csv",
        sender=None,
    )
    process(store.sessions, received.inbound_id)
    with open_client(store) as client:
        answer = client.get("/api/v1/exchange/health").json()

    flows = {item["flow"]: item for item in answer["flows"]}
    assert flows["BOTH-WAYS"]["state"] == "live"
    assert flows["BOTH-WAYS"]["refused_row_rate"] == 0.5
    assert flows["BOTH-WAYS"]["lag_minutes"] == 0
    assert answer["programme"] == {"live_two_way": 1, "target": 40, "flows": 2, "live": 2}


def test_a_flow_going_late_is_recorded_in_its_history_and_announced(store: Store) -> None:
    register_flow(store, code="LIVE", freshness_minutes=60)
    deliver(store, "LIVE", "BUDGET_REVENUE,VN,2025-M03,180500")
    with transaction(store.sessions) as session:
        record_health(session)
        worsened = record_health(session, now=now_utc() + timedelta(hours=2))
        again = record_health(session, now=now_utc() + timedelta(hours=2, minutes=1))

    with store.session() as session:
        history = flow_history(session, get_flow(session, "LIVE").id)
        announced = session.scalars(
            select(OutboxEvent.type).where(OutboxEvent.type == "exchange.flow.late")
        ).all()
    assert worsened == ["LIVE"] and again == []
    assert [h["state"] for h in history] == ["late", "live"]
    assert announced == ["exchange.flow.late"]
