"""Read API: latency of GET /api/v1/data for all provinces over ten years of months.

    python3 bench/read_api.py --rows 1000000 --backend both
    python3 bench/read_api.py --database-url postgresql://postgres@127.0.0.1:5432/NAME

The real server (``govops serve``) runs in a process of its own on a free loopback port,
with GOVOPS_DATABASE_URL pointing at the store. Without ``--database-url`` a store is
prepared first: a fresh database, the reference set-up, and a generated file of ``--rows``
rows loaded with ``load_csv_file`` (see bulk_load.py for what the file holds).

One indicator is asked for all 34 provinces over 2016-M01 to 2025-M12. Before July 2025
most of the 34 did not exist: their values are assembled from the 63 old provinces, the
path a real query takes. The same query is then asked ``as_of`` a past instant, when only
first estimates of 2025 and revised values of earlier years were known. Each is asked
``--warmup`` times untimed, then ``--requests`` times one after the other on one
keep-alive connection; p50 and p95 are of the client's wall-clock time per answer. The
server's RSS is read from /proc after the runs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.table import Table
from sqlalchemy import text

from common import (
    ADMIN_URL,
    BACKENDS,
    DEFAULT_ROWS,
    READ_INDICATOR,
    BenchStore,
    backend_of,
    bench_progress,
    console,
    create_store,
    describe_code,
    free_port,
    load_in_child,
    machine_load,
    mib,
    new_workdir,
    observation_count,
    open_store,
    prepare_file,
    proc_status_kib,
    start_py_spy,
    wait_until_ready,
)

FIRST_PERIOD = "2016-M01"
LAST_PERIOD = "2025-M12"
# First estimates of 2025 up to August and the revised values of 2016-2024 were known.
PAST_INSTANT = "2025-09-30T23:59:59+07:00"
TARGET_P95_MS = {"latest": 50.0, "as_of": 100.0}
TARGET_RSS_BYTES = 300 * 10**6
KEY_AGENCY = "VPCP"


@dataclass
class Timing:
    label: str
    latencies_ms: list[float]
    answer: dict[str, Any]

    def percentile(self, share: int) -> float:
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[share - 1]


@dataclass
class BackendResult:
    backend: str
    observations: int
    timings: list[Timing] = field(default_factory=list)
    rss_kib: int = 0
    peak_rss_kib: int = 0
    failure: str | None = None


# Settings of the measured server beyond its database.
# One client asks as fast as it can: the per-key rate limit would measure itself.
SERVER_SETTINGS: dict[str, str] = {
    "GOVOPS_API_REQUESTS_PER_MINUTE": "1000000",
    "GOVOPS_API_REQUEST_BURST": "1000000",
}


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.no_answer_cache:
        SERVER_SETTINGS["GOVOPS_ANSWER_CACHE_BYTES"] = "0"
    workdir = new_workdir(args.workdir)
    console.print(describe_code())
    console.print(f"work folder {workdir}")

    if args.database_url:
        backends: tuple[str, ...] = (backend_of(args.database_url),)
    else:
        backends = BACKENDS if args.backend == "both" else (args.backend,)
    results = [_run_backend(backend, args, workdir) for backend in backends]

    _print_results(results, args)
    if args.workdir is None and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(result.failure is None for result in results) else 1


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows to prepare")
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument(
        "--database-url", help="use this loaded store (from bulk_load.py --keep) as it is"
    )
    parser.add_argument("--admin-url", default=ADMIN_URL, help="PostgreSQL admin URL")
    parser.add_argument("--workdir", help="folder for the file, SQLite stores, server logs")
    parser.add_argument("--keep", action="store_true", help="keep the prepared stores")
    parser.add_argument("--indicator", default=READ_INDICATOR)
    parser.add_argument("--start", default=FIRST_PERIOD)
    parser.add_argument("--end", default=LAST_PERIOD)
    parser.add_argument("--as-of", default=PAST_INSTANT, help="the past instant asked for")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per query")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first")
    parser.add_argument("--stall-seconds", type=float, default=120.0)
    parser.add_argument(
        "--no-answer-cache",
        action="store_true",
        help="serve with the answer cache off (GOVOPS_ANSWER_CACHE_BYTES=0): every request "
        "reads and assembles its answer",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="record the server with py-spy into this file (.svg flame graph, else "
        "collapsed stacks); one file per backend",
    )
    return parser.parse_args(argv)


def _run_backend(backend: str, args: argparse.Namespace, workdir: Path) -> BackendResult:
    console.rule(f"[bold]{backend}")
    store = (
        open_store(args.database_url) if args.database_url else _prepare(backend, args, workdir)
    )
    if isinstance(store, str):
        return BackendResult(backend, 0, failure=store)
    result = BackendResult(backend, observation_count(store))
    console.print(f"store {store.url} holds {result.observations:,} observations")
    _settle(store)
    try:
        profile = _profile_path(args.profile, backend)
        with running_server(store.url, workdir, profile) as (pid, client):
            for label, extra in (("latest", {}), ("as_of", {"as_of": args.as_of})):
                params = {
                    "indicator": args.indicator,
                    "area": "provinces",
                    "start": args.start,
                    "end": args.end,
                    **extra,
                }
                result.timings.append(_measure(client, label, params, args))
            result.rss_kib = proc_status_kib(pid, "VmRSS")
            result.peak_rss_kib = proc_status_kib(pid, "VmHWM")
    except (httpx.HTTPError, RuntimeError) as error:
        result.failure = f"{type(error).__name__}: {error}"
    finally:
        store.close(keep=args.keep)
        if args.keep and store.owned:
            console.print(f"kept store: [bold]{store.url}[/bold]")
    return result


def _settle(store: BenchStore) -> None:
    """Vacuum and analyse as the database's own maintenance would after a load.

    Right after a bulk load PostgreSQL has no statistics and no visibility map for the new
    rows, and autovacuum may start in the middle of the timed requests; doing its work
    first makes runs comparable.
    """
    started = time.perf_counter()
    with store.engine.connect() as connection:
        if store.backend == "postgres":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.execute(text("VACUUM (ANALYZE) observation, series, area"))
        else:
            connection.execute(text("ANALYZE"))
            connection.commit()
    console.print(f"vacuumed and analysed in {time.perf_counter() - started:.1f} s")


def _prepare(backend: str, args: argparse.Namespace, workdir: Path) -> BenchStore | str:
    """A fresh store loaded with the generated file; the reason instead when it fails."""
    store = create_store(backend, workdir, args.admin_url)
    facts = prepare_file(store, workdir, args.rows)
    outcome = load_in_child(store.url, facts.path, stall_seconds=args.stall_seconds)
    facts.path.unlink()
    if outcome.failure:
        store.close(keep=False)
        return f"the store could not be prepared: {outcome.failure}"
    console.print(f"loaded {outcome.rows:,} rows in {outcome.seconds:,.1f} s")
    return store


def _profile_path(given: Path | None, backend: str) -> Path | None:
    if given is None:
        return None
    return given.with_name(f"{given.stem}-{backend}{given.suffix}")


@contextmanager
def running_server(
    url: str, workdir: Path, profile: Path | None = None
) -> Iterator[tuple[int, httpx.Client]]:
    """`govops serve` on a free loopback port; its pid and a client, stopped afterwards."""
    port = free_port()
    log_path = workdir / f"server-{port}.log"
    command = [sys.executable, "-m", "govops.cli", "serve", "--host", "127.0.0.1"]
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [*command, "--port", str(port)],
            env={**os.environ, "GOVOPS_DATABASE_URL": url, **SERVER_SETTINGS},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    spy = None
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            wait_until_ready(client, server, log_path)
            _authenticate(client, url)
            spy = start_py_spy(server.pid, profile) if profile else None
            yield server.pid, client
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if spy is not None:
            spy.wait(timeout=60)


def _authenticate(client: httpx.Client, url: str) -> None:
    """Send an API key when the server asks for one, made with `govops keys create`.

    The key belongs to the Government Office and may only read data, as a dashboard's
    would; checking it is part of every measured request.
    """
    if client.get("/api/v1/data", params={"indicator": READ_INDICATOR}).status_code != 401:
        return
    command = [sys.executable, "-m", "govops.cli", "keys", "create", "read benchmark"]
    created = subprocess.run(
        [*command, "--agency", KEY_AGENCY, "--scope", "data:read", "--days", "1"],
        env={**os.environ, "GOVOPS_DATABASE_URL": url, "COLUMNS": "200"},
        capture_output=True,
        text=True,
    )
    secret = re.search(r"gov_[A-Za-z0-9_-]+", created.stdout)
    if created.returncode != 0 or secret is None:
        raise RuntimeError(f"no API key could be made: {created.stderr or created.stdout}")
    client.headers["Authorization"] = f"Bearer {secret.group(0)}"
    console.print("the API asks for a key: using a new data:read key of " + KEY_AGENCY)


def _measure(
    client: httpx.Client, label: str, params: dict[str, str], args: argparse.Namespace
) -> Timing:
    first = client.get("/api/v1/data", params=params)
    if first.status_code != 200:
        raise RuntimeError(f"{label}: status {first.status_code}: {first.text[:500]}")
    answer = _describe(first.json(), len(first.content))
    for _ in range(max(0, args.warmup - 1)):
        client.get("/api/v1/data", params=params)

    latencies = []
    console.print(f"before the {label} requests: {machine_load()}")
    with bench_progress() as progress:
        task = progress.add_task(f"GET /api/v1/data ({label})", total=args.requests)
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get("/api/v1/data", params=params)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{label}: status {response.status_code}")
            progress.advance(task)
    return Timing(label, latencies, answer)


def _describe(body: dict[str, Any], size: int) -> dict[str, Any]:
    """What the answer holds, to show the query took the path it was meant to."""
    series = body["series"]
    statuses = Counter(point["status"] for s in series for point in s["points"])
    assembled = sum(any("predecessors" in note for note in s["notes"]) for s in series)
    return {
        "areas": len(series),
        "values": sum(len(s["points"]) for s in series),
        "assembled": assembled,
        "statuses": " ".join(f"{code}:{count}" for code, count in sorted(statuses.items())),
        "kib": size / 1024,
    }


def _print_results(results: list[BackendResult], args: argparse.Namespace) -> None:
    title = (
        f"GET /api/v1/data?indicator={args.indicator}&area=provinces&start={args.start}"
        f"&end={args.end}, {args.requests} requests after {args.warmup} warm-up, "
        f"answer cache {'off' if args.no_answer_cache else 'on'}"
    )
    table = Table(title=title)
    columns = (
        "backend",
        "observations",
        "query",
        "p50 ms",
        "p95 ms",
        "max ms",
        "target p95",
        "areas",
        "values",
        "assembled",
        "statuses",
        "answer KiB",
    )
    for name in columns:
        table.add_column(name, justify="right")
    for result in results:
        for timing in result.timings:
            p95 = timing.percentile(95)
            target = TARGET_P95_MS[timing.label]
            met = "met" if p95 < target else "[red]missed[/red]"
            answer = timing.answer
            table.add_row(
                result.backend,
                f"{result.observations:,}",
                timing.label if timing.label == "latest" else f"as_of {args.as_of}",
                f"{timing.percentile(50):.1f}",
                f"{p95:.1f}",
                f"{max(timing.latencies_ms):.1f}",
                f"< {target:.0f} {met}",
                str(answer["areas"]),
                f"{answer['values']:,}",
                str(answer["assembled"]),
                answer["statuses"],
                f"{answer['kib']:,.0f}",
            )
    console.print(table)
    _print_memory(results)


def _print_memory(results: list[BackendResult]) -> None:
    table = Table(title="server process after the runs")
    for name in ("backend", "VmRSS MiB", "VmHWM MiB", "target < 300 MB"):
        table.add_column(name, justify="right")
    for result in results:
        if result.failure:
            console.print(f"[red]{result.backend}: {result.failure}[/red]")
            continue
        met = "met" if result.rss_kib * 1024 < TARGET_RSS_BYTES else "[red]missed[/red]"
        table.add_row(result.backend, mib(result.rss_kib), mib(result.peak_rss_kib), met)
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())
