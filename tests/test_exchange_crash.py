"""A server killed in the middle of a large delivery: after a restart it is whole, never half."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from conftest import Store
from govops.catalog.models import Agency
from govops.core.db import transaction
from govops.datastore.models import Observation
from govops.exchange.addresses import allow_address
from govops.exchange.models import Inbound
from govops.exchange.webhooks import subscribe, verify
from test_exchange_support import (
    CSV,
    Loopback,
    agency_key,
    cloud_events,
    free_port,
    register_flow,
    server_process,
)


def large_delivery() -> tuple[bytes, int]:
    """Monthly revenue and spending of every old province code, 2018 to mid-2025 (~17,000
    rows; codes that were never provinces are refused rows of a lenient flow)."""
    provinces = [f"{code:02d}" for code in range(1, 97)]
    lines = ["indicator,area,period,value"]
    for year in range(2018, 2026):
        for month in range(1, 13 if year < 2025 else 7):
            for area in provinces:
                for indicator in ("BUDGET_REVENUE", "BUDGET_SPENDING"):
                    lines.append(f"{indicator},{area},{year}-M{month:02d},{year * 10 + month}")
    return ("\n".join(lines) + "\n").encode(), len(lines) - 1


def state(store: Store) -> tuple[str | None, int]:
    with store.session() as session:
        status = session.scalar(select(Inbound.status).order_by(Inbound.id.desc()).limit(1))
        count = session.scalar(select(func.count()).select_from(Observation)) or 0
    return status, int(count)


def test_a_delivery_cut_by_kill_9_is_finished_after_restart_and_its_webhook_sent(
    store: Store, tmp_path: Path
) -> None:
    register_flow(store, validation_mode="lenient")
    key = agency_key(store, "MOF")
    body, _ = large_delivery()
    with Loopback() as subscriber:
        with transaction(store.sessions) as session:
            allow_address(session, "127.0.0.1")
            consumer = session.scalars(select(Agency.id).where(Agency.code == "NA_OFFICE")).one()
            secret = subscribe(
                session, consumer_agency_id=consumer, url=subscriber.url, flows=[]
            ).secret
        port = free_port()
        log = tmp_path / "server.log"
        server = server_process(store, port, log)
        url = f"http://127.0.0.1:{port}/api/v1/exchange/flows/MOF-BUDGET/deliveries"

        def send() -> None:
            # The server is killed while the client waits.
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(
                    url,
                    content=body,
                    headers={**CSV, "Authorization": f"Bearer {key}"},
                    timeout=60,
                )

        sender = threading.Thread(target=send)
        sender.start()
        deadline = time.monotonic() + 60
        while state(store)[0] is None and time.monotonic() < deadline:
            time.sleep(0.01)
        server.send_signal(signal.SIGKILL)
        server.wait()
        sender.join()
        status_after_kill, stored_after_kill = state(store)

        assert status_after_kill in ("pending", "accepted", "partial")
        if status_after_kill == "pending":
            assert stored_after_kill == 0  # nothing of it half-stored

        restarted = server_process(store, port, log)
        try:
            deadline = time.monotonic() + 120
            while state(store)[0] == "pending" and time.monotonic() < deadline:
                time.sleep(0.2)
            received = subscriber.wait_for(1, timeout=60)
        finally:
            restarted.terminate()
            restarted.wait(30)

    status, stored = state(store)
    with store.session() as session:
        delivery = session.scalars(select(Inbound)).one()
    assert status in ("accepted", "partial"), log.read_text()[-3000:]
    assert stored == delivery.accepted_count > 0
    [event] = cloud_events(received[:1])
    assert event["data"]["delivery"] == delivery.id
    assert verify(secret, received[0].headers, received[0].body)
