"""From a provider's POST to a subscriber's webhook: 40 flows pushing at once on loopback.

The real server (``govops serve --workers 2``: two processes, each with its embedded
scheduler, taking the exchange's jobs in turn) holds the demo's 40 flows. Forty provider
threads, one per flow, each post ``--rounds`` small deliveries with the flow's own API
key, a pause of 0.2 to 1 s before each, after one untimed delivery per flow that
warms the server as use would; a subscriber on loopback receives every change by
signed webhook. The time from just before each POST to the webhook's arrival is measured.
Target: p95 under 500 ms on the two-core machine.

    python3 bench/exchange_latency.py --backend postgres --rounds 10
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parent))
from common import (
    ADMIN_URL,
    BenchStore,
    create_store,
    describe_code,
    machine_load,
    new_workdir,
)
from govops.catalog.models import Agency, Indicator
from govops.core.db import now_utc, transaction
from govops.core.periods import Frequency, Period
from govops.exchange.addresses import allow_address
from govops.exchange.demo import build_exchange_demo
from govops.exchange.registry import flow_indicators, list_flows
from govops.exchange.webhooks import subscribe
from govops.security import audit
from govops.security.keys import KeyRequest, create_api_key
from govops.security.permissions import Permission

console = Console()
# The longest the providers wait for each other's untimed first delivery.
WARM_UP_SECONDS = 120


class Subscriber:
    """Records when each delivery's webhook arrives."""

    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                at = time.perf_counter()
                delivery = json.loads(body)["data"].get("delivery")
                with owner.lock:
                    owner.arrived.setdefault(delivery, at)
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def prepare(store: BenchStore, subscriber_url: str) -> list[tuple[str, str, str, list[str]]]:
    """The demo's flows, a key per provider, and a webhook of the Party Central Committee's
    office (cleared for every flow). Answers (flow, key, area, indicators) per push flow."""
    with (
        transaction(store.sessions) as session,
        Progress(console=Console(file=io.StringIO())) as p,
    ):
        build_exchange_demo(session, now_utc(), p)
    with transaction(store.sessions) as session:
        allow_address(session, "127.0.0.1", "benchmark subscriber")
        party = session.scalars(select(Agency.id).where(Agency.code == "PCC_OFFICE")).one()
        subscribe(session, consumer_agency_id=party, url=subscriber_url, flows=[])
        keys: dict[int, str] = {}
        flows = []
        for flow in list_flows(session):
            if flow.provider_agency_id not in keys:
                request = KeyRequest(
                    "benchmark", frozenset({Permission.DATA_WRITE}), now_utc() + timedelta(days=30)
                )
                keys[flow.provider_agency_id] = create_api_key(
                    session, request, agency_id=flow.provider_agency_id, by=audit.COMMAND_LINE
                ).secret
            agency = session.get(Agency, flow.provider_agency_id)
            assert agency is not None
            area = agency.code.removeprefix("UBND-") if agency.code.startswith("UBND-") else "VN"
            flows.append((flow.code, keys[flow.provider_agency_id], area, flow_indicators(flow)))
    return flows


def frequencies(store: BenchStore) -> dict[str, tuple[Frequency, bool]]:
    """Each indicator's frequency, and whether it is broken down by sex (sent as total)."""
    with store.sessions() as session:
        return {
            indicator.code: (Frequency(indicator.frequency), bool(indicator.dimensions))
            for indicator in session.scalars(select(Indicator))
        }


def start_server(url: str, port: int, log: Path, workers: int = 1) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "govops.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    with log.open("ab") as handle:
        server = subprocess.Popen(
            command,
            env={**os.environ, "GOVOPS_DATABASE_URL": url},
            stdout=handle,
            stderr=handle,
        )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"the server did not start; see {log}")


@dataclass
class Pushing:
    """What the provider threads share: where to post, what to time, what went wrong."""

    base: str
    kinds: dict[str, tuple[Frequency, bool]]
    rounds: int
    warmed: threading.Barrier
    sent: dict[int, float] = field(default_factory=dict)
    answered: dict[int, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    failures: list[str] = field(default_factory=list)


def push_flow(pushing: Pushing, flow: tuple[str, str, str, list[str]]) -> None:
    chance = random.Random(flow[0])
    with httpx.Client(base_url=pushing.base, timeout=30) as client:
        # One delivery per flow first, untimed, as a server in use has had: its first
        # look-ups of the flow, its series and its key are not what is measured.
        _post(client, pushing, flow, -1, chance)
        pushing.warmed.wait(timeout=WARM_UP_SECONDS)
        for number in range(pushing.rounds):
            time.sleep(chance.uniform(0.2, 1.0))
            started = time.perf_counter()
            delivery = _post(client, pushing, flow, number, chance)
            if delivery is not None:
                with pushing.lock:
                    pushing.sent[delivery] = started
                    pushing.answered[delivery] = time.perf_counter()


def _post(
    client: httpx.Client,
    pushing: Pushing,
    flow: tuple[str, str, str, list[str]],
    number: int,
    chance: random.Random,
) -> int | None:
    code, key, area, indicators = flow
    lines = ["indicator,area,period,value,SEX"]
    for indicator in indicators:
        frequency, by_sex = pushing.kinds[indicator]
        period = Period.containing(frequency, date(2026, 1, 1)).shift(-number)
        value = chance.uniform(10, 1000)
        sex = "_T" if by_sex else ""
        lines.append(f"{indicator},{area},{period.code},{value:.1f},{sex}")
    response = client.post(
        f"/api/v1/exchange/flows/{code}/deliveries",
        content=("\n".join(lines) + "\n").encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "text/csv"},
    )
    if response.status_code != 201:
        pushing.failures.append(f"{code}: {response.status_code} {response.text[:200]}")
        return None
    return int(response.json()["delivery"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--rounds", type=int, default=10, help="Deliveries per flow")
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--workdir")
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="server processes (govops serve --workers); one per core, as deployed",
    )
    args = parser.parse_args()

    console.print(describe_code())
    workdir = new_workdir(args.workdir)
    console.print(f"preparing a {args.backend} store; {machine_load()}")
    store = create_store(args.backend, workdir, args.admin_url)
    subscriber = Subscriber()
    flows = prepare(store, subscriber.url)
    kinds = frequencies(store)
    server = start_server(store.url, args.port, workdir / "server.log", args.workers)
    pushing = Pushing(
        f"http://127.0.0.1:{args.port}", kinds, args.rounds, threading.Barrier(len(flows))
    )
    try:
        console.print(
            f"{len(flows)} flows pushing {args.rounds} deliveries each to {args.workers} "
            f"server processes; {machine_load()}"
        )
        pushers = [threading.Thread(target=push_flow, args=(pushing, flow)) for flow in flows]
        started = time.perf_counter()
        for pusher in pushers:
            pusher.start()
        for pusher in pushers:
            pusher.join()
        deadline = time.perf_counter() + 60
        waiting = pushing.sent.keys()
        while time.perf_counter() < deadline and not waiting <= subscriber.arrived.keys():
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(30)
        store.close(keep=False)

    sent, arrived = pushing.sent, subscriber.arrived
    latencies = sorted((arrived[d] - t) * 1000 for d, t in sent.items() if d in arrived)
    receipts = sorted((pushing.answered[d] - t) * 1000 for d, t in sent.items())
    table = Table("figure", "value", title=f"POST to webhook, {args.backend}")
    table.add_row("deliveries posted (201)", str(len(sent)))
    table.add_row("webhooks received", str(len(latencies)))
    table.add_row("refused posts", str(len(pushing.failures)))
    if latencies:
        table.add_row("p50 ms", f"{statistics.median(latencies):.0f}")
        table.add_row("p95 ms", f"{latencies[int(len(latencies) * 0.95) - 1]:.0f}")
        table.add_row("max ms", f"{latencies[-1]:.0f}")
        table.add_row("POST to receipt p50 ms", f"{statistics.median(receipts):.0f}")
        table.add_row("POST to receipt p95 ms", f"{receipts[int(len(receipts) * 0.95) - 1]:.0f}")
    table.add_row("wall time s", f"{elapsed:.1f}")
    table.add_row("machine", machine_load())
    console.print(table)
    for failure in pushing.failures[:5]:
        console.print(f"[red]{failure}[/red]")


if __name__ == "__main__":
    main()
