"""The demo's exchange: 40 realistic flows with a live health page, and simulated agencies."""

from __future__ import annotations

import io
import threading
import time
from collections import Counter
from datetime import UTC, datetime

from rich.console import Console
from rich.progress import Progress
from sqlalchemy import select

from conftest import Store
from govops.core.db import transaction
from govops.datastore.rows import IncomingRow
from govops.datastore.writes import Payload, store_observations
from govops.exchange.demo import build_exchange_demo, simulate_agencies
from govops.exchange.health import flow_health, programme_count
from govops.exchange.models import Inbound
from govops.exchange.registry import get_flow, list_flows
from test_exchange_support import served

AS_OF = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


def build(store: Store) -> None:
    with (
        transaction(store.sessions) as session,
        Progress(console=Console(file=io.StringIO())) as p,
    ):
        build_exchange_demo(session, AS_OF, p)


def test_the_demo_registers_the_programmes_40_flows_with_a_live_health_page(
    store: Store,
) -> None:
    build(store)

    with store.session() as session:
        flows = list_flows(session)
        health = flow_health(session, now=AS_OF)
        budget = get_flow(session, "MOF-BUDGET")
        provider = budget.provider_agency_id
    states = Counter(item.state.value for item in health)
    assert len(flows) == 40
    assert states == {"live": 36, "late": 2, "failing": 1, "not started": 1}
    assert programme_count(health)["live_two_way"] == 35
    assert {h.provider for h in health} >= {"MOF", "SBV", "MOIT", "EVN", "NPSP", "UBND-79"}
    assert provider is not None


def test_simulated_agencies_push_their_flows_through_the_api(store: Store) -> None:
    build(store)
    with transaction(store.sessions) as session:
        row = IncomingRow(1, "BUDGET_REVENUE", "VN", "2026-M02", "150000")
        store_observations(session, [row], Payload(b"seed", "text/csv", "test"))
    with store.session() as session:
        budget_id = get_flow(session, "MOF-BUDGET").id
    stop = threading.Event()
    with served(store) as url:
        simulate_agencies(store.sessions, url, stop)
        deadline = time.monotonic() + 30
        pushed: list[Inbound] = []
        while not pushed and time.monotonic() < deadline:
            time.sleep(0.5)
            with store.session() as session:
                pushed = list(
                    session.scalars(
                        select(Inbound).where(
                            Inbound.key_id.is_not(None), Inbound.status != "pending"
                        )
                    )
                )
        stop.set()
        time.sleep(1.5)

    [delivery] = pushed
    assert delivery.flow_id == budget_id
    assert delivery.status == "accepted"
    assert delivery.row_count == 1
