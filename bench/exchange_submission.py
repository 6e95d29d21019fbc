"""A large CSV delivery pushed to a flow: rows per second end to end, and server memory.

A real server (uvicorn, in a process of its own) holds one flow carrying the catalogue's
monthly indicators; its provider posts one CSV file of commune figures (every monthly
indicator for each of the 3,321 communes, month after month from 2025-M07) with its API
key, streamed from disk. Timed from the start of the POST to the receipt, so the time
includes keeping the raw payload, checking every row and storing it. The server is started
afresh for each size, and its peak resident memory (VmHWM) read after the receipt, so the
sizes can be compared: the target is a peak that does not grow with the file.

    python3 bench/exchange_submission.py --rows 100000 --rows 1000000
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from common import (
    ADMIN_URL,
    BenchStore,
    create_store,
    describe_code,
    machine_load,
    mib,
    new_workdir,
    proc_status_kib,
    read_area_codes,
    rows_rate,
    stored_monthly_indicators,
)
from exchange_latency import start_server
from govops.core.db import now_utc, transaction
from govops.exchange.registry import FlowSpec, MemberSpec, save_flow, save_member
from govops.security import audit
from govops.security.keys import KeyRequest, create_api_key
from govops.security.permissions import Permission

console = Console(width=150)
FLOW = "NSO-COMMUNES"
PROVIDER = "NSO"


def prepare(store: BenchStore) -> tuple[str, list[str], list[str]]:
    """The flow, its provider's key; answers the key, the indicators and the communes."""
    with store.sessions() as session:
        indicators = stored_monthly_indicators(session)
        communes = read_area_codes(session).communes
    spec = FlowSpec(
        code=FLOW,
        name_vi="Số liệu cấp xã hằng tháng",
        name_en="Monthly commune figures",
        provider=PROVIDER,
        indicators=indicators,
        schedule="M",
        freshness_minutes=45 * 1440,
    )
    with transaction(store.sessions) as session:
        save_member(session, MemberSpec(agency=PROVIDER))
        flow, _ = save_flow(session, spec)
        request = KeyRequest(
            "benchmark", frozenset({Permission.DATA_WRITE}), now_utc() + timedelta(days=1)
        )
        key = create_api_key(
            session, request, agency_id=flow.provider_agency_id, by=audit.COMMAND_LINE
        ).secret
    return key, indicators, communes


def commune_lines(indicators: list[str], communes: list[str], first_month: int) -> Iterator[str]:
    """Rows month after month from 2025-M07 + ``first_month``; every row is valid."""
    for offset in itertools.count(first_month):
        year, month = divmod(2025 * 12 + 6 + offset, 12)
        period = f"{year}-M{month + 1:02d}"
        for number, commune in enumerate(communes):
            for position, indicator in enumerate(indicators):
                value = 100 + (number * 7 + position * 13 + offset) % 9000
                yield f"{indicator},{commune},{period},{value}.5\n"


def write_file(path: Path, rows: int, lines: Iterator[str]) -> int:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("indicator,area,period,value\n")
        for chunk in iter(lambda: list(itertools.islice(lines, 100_000)), []):
            handle.write("".join(chunk))
            rows -= len(chunk)
            if rows <= 0:
                break
    return path.stat().st_size


def months_of(rows: int, per_month: int) -> int:
    return -(-rows // per_month)


def post_file(port: int, key: str, path: Path) -> tuple[float, httpx.Response]:
    def chunks() -> Iterator[bytes]:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                yield block

    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "text/csv",
        "Content-Length": str(path.stat().st_size),
    }
    started = time.perf_counter()
    response = httpx.post(
        f"http://127.0.0.1:{port}/api/v1/exchange/flows/{FLOW}/deliveries",
        content=chunks(),
        headers=headers,
        timeout=None,
    )
    return time.perf_counter() - started, response


def stop(server: subprocess.Popen[bytes]) -> None:
    """End the server; its jobs get a minute to finish, then it is killed."""
    server.terminate()
    try:
        server.wait(60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument(
        "--rows", type=int, action="append", help="Rows of a delivery (repeatable)"
    )
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--workdir")
    parser.add_argument("--port", type=int, default=8732)
    args = parser.parse_args()
    sizes = args.rows or [1_000_000]

    console.print(describe_code())
    workdir = new_workdir(args.workdir)
    console.print(f"preparing a {args.backend} store; {machine_load()}")
    store = create_store(args.backend, workdir, args.admin_url)
    table = Table(
        "rows",
        "MiB",
        "seconds",
        "rows/s",
        "status",
        "server RSS before MiB",
        "server peak MiB",
        "machine",
        title=f"one CSV delivery, {args.backend}",
    )
    try:
        key, indicators, communes = prepare(store)
        per_month = len(indicators) * len(communes)
        first_month = 0
        for rows in sizes:
            path = workdir / f"delivery-{rows}.csv"
            size = write_file(path, rows, commune_lines(indicators, communes, first_month))
            first_month += months_of(rows, per_month)
            server = start_server(store.url, args.port, workdir / "server.log")
            try:
                before = proc_status_kib(server.pid, "VmRSS")
                load = machine_load()
                console.print(f"posting {rows:,} rows ({size / 2**20:,.1f} MiB); {load}")
                seconds, response = post_file(args.port, key, path)
                peak = proc_status_kib(server.pid, "VmHWM")
            finally:
                stop(server)
            receipt = response.json() if response.content else {}
            status = f"{response.status_code} {receipt.get('status', receipt.get('title'))}"
            table.add_row(
                f"{rows:,}",
                f"{size / 2**20:,.1f}",
                f"{seconds:,.1f}",
                rows_rate(rows, seconds),
                status,
                mib(before),
                mib(peak),
                load,
            )
            path.unlink()
    finally:
        store.close(keep=False)
    console.print(table)


if __name__ == "__main__":
    main()
