"""Authentication and authorisation overhead per API request.

    python3 bench/auth_overhead.py --requests 2000 --backend both

For each backend, in one run, on one app:

1. a fresh store (migrated, reference catalogue) and an administrator's personal token;
2. the same data read, ``GET /api/v1/data?indicator=CPI``, sent in alternation
   - with the token, through ``security.web.authenticated_caller`` (token lookup,
     rate limit, permission check), and
   - with that dependency replaced by one answering the same principal at once (the
     "check bypassed" build), so both share every other cost;
3. the dependency alone: ``authenticated_caller`` called directly, many times, each in
   a session that already holds its connection, as a request's does.

The target is at most 2 ms added to the median request. Requests go in process through
Starlette's test client, whose own cost is the same on both sides of the comparison.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.security import HTTPAuthorizationCredentials, SecurityScopes
from rich.table import Table
from starlette.requests import Request

from common import (
    ADMIN_URL,
    BACKENDS,
    BenchStore,
    bench_progress,
    console,
    create_store,
    describe_code,
    machine_load,
    new_workdir,
)
from govops.core.db import now_utc, transaction
from govops.core.settings import Settings
from govops.security import audit
from govops.security.accounts import NewUser, create_user
from govops.security.keys import KeyRequest, authenticate_token, create_personal_token
from govops.security.permissions import EVERY_PERMISSION, Clearance, Permission, Principal, Role
from govops.security.web import authenticated_caller
from govops.web.app import create_app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

READ = "/api/v1/data?indicator=CPI"
TARGET_MS = 2.0


@dataclass(frozen=True)
class Outcome:
    backend: str
    with_auth: list[float]
    bypassed: list[float]
    dependency: list[float]

    @property
    def overhead_ms(self) -> float:
        return statistics.median(self.with_auth) - statistics.median(self.bypassed)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    console.print(describe_code())
    workdir = new_workdir(args.workdir)
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    outcomes = [_run(backend, args, workdir) for backend in backends]
    _report(outcomes)
    return 0 if all(outcome.overhead_ms <= TARGET_MS for outcome in outcomes) else 1


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="per side")
    parser.add_argument("--calls", type=int, default=5000, help="direct dependency calls")
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="PostgreSQL admin URL")
    parser.add_argument("--workdir", help="folder for SQLite stores")
    return parser.parse_args(argv)


def _run(backend: str, args: argparse.Namespace, workdir: Path) -> Outcome:
    console.print(f"[bold]{backend}[/bold]: preparing the store")
    store = create_store(backend, workdir, args.admin_url)
    try:
        token = _administrator_token(store)
        app = create_app(_settings(store))
        with TestClient(app) as client:
            principal = _principal_of(store, token)
            with_auth, bypassed = _alternate(app, client, token, principal, args.requests)
            dependency = _dependency_alone(app, token, args.calls)
        app.state.engine.dispose()
    finally:
        store.close(keep=False)
    return Outcome(backend, with_auth, bypassed, dependency)


def _settings(store: BenchStore) -> Settings:
    # The rate limit is part of what is measured, but must not refuse the benchmark.
    return Settings(database_url=store.url, api_request_burst=10_000_000)


def _administrator_token(store: BenchStore) -> str:
    with transaction(store.sessions) as session:
        new = NewUser(
            "bench.admin", "Benchmark", Role.ADMINISTRATOR, clearance=Clearance.RESTRICTED
        )
        user = create_user(
            session,
            new,
            "harbour-lotus-kettle-58",
            by=audit.COMMAND_LINE,
            must_change_password=False,
        )
        wanted = KeyRequest("benchmark", EVERY_PERMISSION, now_utc() + timedelta(days=1))
        return create_personal_token(session, user, wanted, by=audit.COMMAND_LINE).secret


def _principal_of(store: BenchStore, token: str) -> Principal:
    with transaction(store.sessions) as session:
        return authenticate_token(session, token)


def _alternate(
    app: Any, client: TestClient, token: str, principal: Principal, requests: int
) -> tuple[list[float], list[float]]:
    """Both sides in alternation, so a change in machine load touches both alike."""
    headers = {"Authorization": f"Bearer {token}"}
    with_auth: list[float] = []
    bypassed: list[float] = []
    console.print(machine_load())
    with bench_progress() as progress:
        task = progress.add_task("requests", total=requests * 2)
        for _ in range(requests):
            with_auth.append(_timed(lambda: _ok(client.get(READ, headers=headers))))
            app.dependency_overrides[authenticated_caller] = lambda: principal
            bypassed.append(_timed(lambda: _ok(client.get(READ))))
            app.dependency_overrides.clear()
            progress.advance(task, 2)
    return with_auth, bypassed


def _dependency_alone(app: Any, token: str, calls: int) -> list[float]:
    credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
    needed = SecurityScopes(scopes=[Permission.DATA_READ.value])
    scope = {
        "type": "http",
        "app": app,
        "method": "GET",
        "path": "/api/v1/data",
        "headers": [(b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 50000),
    }
    timings: list[float] = []
    console.print(machine_load())
    with bench_progress() as progress:
        task = progress.add_task("dependency calls", total=calls)
        for _ in range(calls):
            # A request's session has its connection before the check runs (the route
            # needs it too): only the check itself is timed.
            with app.state.sessions() as session:
                session.connection()
                request = Request(scope)
                started = time.perf_counter()
                authenticated_caller(request, needed, credentials, session)
                timings.append((time.perf_counter() - started) * 1000)
            progress.advance(task)
    return timings


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def _ok(response: Any) -> None:
    if response.status_code != 200:
        raise SystemExit(f"the read failed: {response.status_code} {response.text}")


def _report(outcomes: list[Outcome]) -> None:
    table = Table(title=f"authentication and authorisation per request (target {TARGET_MS} ms)")
    for column in ("backend", "measure", "median ms", "p95 ms", "n"):
        table.add_column(column, justify="right")
    for outcome in outcomes:
        for name, values in (
            ("with the check", outcome.with_auth),
            ("check bypassed", outcome.bypassed),
            ("dependency alone", outcome.dependency),
        ):
            table.add_row(
                outcome.backend,
                name,
                _ms(statistics.median(values)),
                _p95(values),
                str(len(values)),
            )
        verdict = "met" if outcome.overhead_ms <= TARGET_MS else "MISSED"
        table.add_row(outcome.backend, "overhead (median)", _ms(outcome.overhead_ms), "", verdict)
    console.print(table)


def _p95(values: list[float]) -> str:
    return _ms(statistics.quantiles(values, n=20)[-1])


def _ms(value: float) -> str:
    return f"{value:.3f}"


if __name__ == "__main__":
    sys.exit(main())
