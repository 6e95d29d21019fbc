"""Builders for the exchange tests: flows, agencies' keys, and real HTTP servers on loopback
standing in for agencies' systems and subscribers."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import select

from conftest import Store
from govops.catalog.models import Agency
from govops.core.db import now_utc, transaction
from govops.exchange.registry import FlowSpec, MemberSpec, save_flow, save_member
from govops.security import audit
from govops.security.keys import KeyRequest, create_api_key
from govops.security.permissions import Clearance, Permission
from govops.web.app import create_app

CSV = {"Content-Type": "text/csv"}
BUDGET_FLOW: dict[str, Any] = {
    "code": "MOF-BUDGET",
    "name_vi": "Thu, chi ngân sách nhà nước hằng tháng",
    "name_en": "Monthly state budget revenue and expenditure",
    "provider": "MOF",
    "direction": "both",
    "indicators": ["BUDGET_REVENUE", "BUDGET_SPENDING"],
    "schedule": "M",
    "freshness_minutes": 45 * 24 * 60,
    "transport": "push",
    "format": "csv",
    "validation_mode": "strict",
    "classification": "public",
    "consumers": [{"agency": "NA_OFFICE", "max_classification": "public"}],
}


def flow_spec(**changes: Any) -> FlowSpec:
    return FlowSpec.model_validate({**BUDGET_FLOW, **changes})


def register_flow(store: Store, **changes: Any) -> str:
    spec = flow_spec(**changes)
    with transaction(store.sessions) as session:
        save_member(session, MemberSpec(agency=spec.provider))
        save_flow(session, spec)
    return spec.code


def agency_key(
    store: Store,
    agency: str,
    scopes: frozenset[Permission] = frozenset({Permission.DATA_WRITE}),
    clearance: Clearance = Clearance.PUBLIC,
) -> str:
    """A new API key of the agency's system."""
    with transaction(store.sessions) as session:
        agency_id = session.scalars(select(Agency.id).where(Agency.code == agency)).one()
        request = KeyRequest(f"{agency} system", scopes, now_utc() + timedelta(days=1), clearance)
        issued = create_api_key(session, request, agency_id=agency_id, by=audit.COMMAND_LINE)
        return issued.secret


def budget_csv(*lines: str) -> bytes:
    return ("indicator,area,period,value\n" + "\n".join(lines) + "\n").encode()


# --- a stand-in for an agency's or a subscriber's HTTP server --------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class Loopback:
    """A real HTTP server on 127.0.0.1; ``answer`` decides each reply, every request is kept."""

    def __init__(self, port: int = 0) -> None:
        self.received: list[Received] = []
        self.answer: Callable[[Received], Answer] = lambda request: Answer()
        self.arrived = threading.Condition()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Received(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time()
                )
                reply = owner.answer(request)
                with owner.arrived:
                    owner.received.append(request)
                    owner.arrived.notify_all()
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(reply.body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller stopped waiting; that is what a slow answer tests

            do_GET = do_POST = _handle  # noqa: N815 (the names http.server calls)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Loopback:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.arrived.wait(left)
            return list(self.received)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(store: Store, **state: Any) -> Iterator[str]:
    """The app on a real uvicorn server on loopback, in this process; answers its URL."""
    app = create_app(store.settings())
    for name, value in state.items():
        setattr(app.state, name, value)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        app.state.engine.dispose()


def server_process(store: Store, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`uvicorn` serving the app on ``store`` in a process of its own."""
    code = (
        "import uvicorn\n"
        "from govops.core.settings import Settings\n"
        "from govops.web.app import create_app\n"
        f"app = create_app(Settings(database_url={store.url!r}))\n"
        f"uvicorn.run(app, host='127.0.0.1', port={port}, log_level='warning')\n"
    )
    with log.open("ab") as handle:
        process = subprocess.Popen([sys.executable, "-c", code], stdout=handle, stderr=handle)
    # Generous: on a busy shared machine importing the application alone can take long.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"the server did not start: {log.read_text()[-2000:]}")


def cloud_events(received: list[Received]) -> list[dict[str, Any]]:
    return [json.loads(request.body) for request in received]
