"""What the benchmarks share: stores, the generated observation file, the load, memory.

A benchmark store is a database of its own (a PostgreSQL database created for the run, or
a SQLite file in the work folder), migrated and loaded with the reference areas including
the 3,321 communes, so the rows of the generated file are checked against real areas and
real catalogue indicators.
"""

from __future__ import annotations

import faulthandler
import itertools
import multiprocessing
import os
import queue
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

import govops
from govops.catalog.areas import MERGER_2025, areas_on
from govops.catalog.models import Indicator
from govops.catalog.reference import load_reference
from govops.core.db import create_db_engine, session_factory, transaction
from govops.core.migrate import upgrade
from govops.datastore.bulk import load_csv_file

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_ROWS = 10_000_000
BACKENDS = ("postgres", "sqlite")

# The indicator the read benchmark asks for; its province history is written first, so
# even a small file covers the whole read window.
READ_INDICATOR = "RETAIL_SALES"

# Province history: monthly values from January 2010 to October 2026, the last month
# whose first estimate was out when this data set was designed. The 63 old provinces
# report until June 2025, the 34 provinces from July 2025.
HISTORY_FIRST_MONTH = date(2010, 1, 1)
HISTORY_LAST_MONTH = date(2026, 10, 1)

# Commune rows start when communes of the new structure exist (1 July 2025). To reach
# millions of rows they run past today: months after HISTORY_LAST_MONTH carry status F
# (forecast), which the datastore stores like any other observation.
COMMUNE_FIRST_MONTH = MERGER_2025

CSV_HEADER = "indicator,area,period,value,status,recorded_at\n"
HANOI_OFFSET = "+07:00"

console = Console()


# --- stores -------------------------------------------------------------------------


@dataclass
class BenchStore:
    """A migrated database with the reference areas (communes included) and catalogue."""

    backend: str
    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    owned: bool
    _drop: Callable[[], None] = field(repr=False, default=lambda: None)

    @property
    def sqlite_path(self) -> Path:
        return Path(str(make_url(self.url).database))

    def close(self, *, keep: bool) -> None:
        self.engine.dispose()
        if self.owned and not keep:
            self._drop()


def backend_of(url: str) -> str:
    return "sqlite" if make_url(url).drivername.startswith("sqlite") else "postgres"


def create_store(backend: str, workdir: Path, admin_url: str) -> BenchStore:
    """A fresh database, migrated, with the reference set-up loaded (communes included)."""
    url, drop = _new_database(backend, workdir, admin_url)
    engine = create_db_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        load_reference(session, include_communes=True)
    return BenchStore(backend, url, engine, sessions, owned=True, _drop=drop)


def open_store(url: str) -> BenchStore:
    """A store made earlier (by ``bulk_load.py --keep``); it is left in place afterwards."""
    engine = create_db_engine(url)
    upgrade(engine)
    return BenchStore(backend_of(url), url, engine, session_factory(engine), owned=False)


def _new_database(backend: str, workdir: Path, admin_url: str) -> tuple[str, Callable[[], None]]:
    name = f"govops_bench_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        path = workdir / f"{name}.sqlite"

        def remove_file() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

        return f"sqlite:///{path}", remove_file

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_database() -> None:
        # DROP DATABASE waits until every backend of the server has answered a signal; a
        # backend stuck elsewhere (a client gone quiet inside COPY) holds it up forever.
        statement = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        try:
            with admin.connect() as connection:
                connection.execute(text("SET statement_timeout = '60s'"))
                connection.execute(text(statement))
        except DBAPIError as error:
            console.print(
                f"[yellow]database {name} was not dropped ({type(error.orig).__name__}); "
                f"drop it later: {statement}[/yellow]"
            )
        finally:
            admin.dispose()

    return url, drop_database


def checkpoint(store: BenchStore) -> None:
    """Write dirty pages out before a timed load, so it does not pay for earlier work."""
    with store.engine.connect() as connection:
        if store.backend == "postgres":
            connection.execute(text("CHECKPOINT"))
        else:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def observation_count(store: BenchStore) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM observation")).scalar_one())


# --- the generated observation file -------------------------------------------------


@dataclass(frozen=True)
class AreaCodes:
    old_provinces: list[str]
    new_provinces: list[str]
    communes: list[str]


def read_area_codes(session: Session) -> AreaCodes:
    before = MERGER_2025 - timedelta(days=1)
    return AreaCodes(
        old_provinces=[area.code for area in areas_on(session, before, level="province")],
        new_provinces=[area.code for area in areas_on(session, MERGER_2025, level="province")],
        communes=[area.code for area in areas_on(session, MERGER_2025, level="commune")],
    )


def stored_monthly_indicators(session: Session) -> list[str]:
    """Monthly indicators of the catalogue that hold stored values (not formulas)."""
    codes = list(
        session.scalars(
            select(Indicator.code)
            .where(Indicator.frequency == "M", Indicator.formula.is_(None))
            .order_by(Indicator.code)
        )
    )
    codes.remove(READ_INDICATOR)
    return [READ_INDICATOR, *codes]


@dataclass(frozen=True)
class FileFacts:
    path: Path
    rows: int
    size: int
    province_rows: int
    commune_rows: int
    revised_rows: int
    last_commune_month: str | None


def write_observation_file(
    path: Path,
    rows: int,
    indicators: list[str],
    areas: AreaCodes,
    progress: Callable[[int], None] | None = None,
) -> FileFacts:
    """Write exactly ``rows`` rows: province history first, then commune months."""
    counts = _RowCounts()
    lines = itertools.islice(_all_lines(indicators, areas, counts), rows)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(CSV_HEADER)
        while chunk := list(itertools.islice(lines, 100_000)):
            handle.write("".join(chunk))
            written += len(chunk)
            if progress is not None:
                progress(len(chunk))
    return FileFacts(
        path=path,
        rows=written,
        size=path.stat().st_size,
        province_rows=min(written, counts.province),
        commune_rows=max(0, written - counts.province),
        revised_rows=counts.revised,
        last_commune_month=counts.last_commune_month,
    )


@dataclass
class _RowCounts:
    province: int = 0
    revised: int = 0
    last_commune_month: str | None = None


def _all_lines(indicators: list[str], areas: AreaCodes, counts: _RowCounts) -> Iterator[str]:
    for number, indicator in enumerate(indicators):
        yield from _province_history(number, indicator, areas, counts)
    yield from _commune_months(indicators, areas.communes, counts)


def _province_history(
    number: int, indicator: str, areas: AreaCodes, counts: _RowCounts
) -> Iterator[str]:
    """A backfill of one indicator: a provisional first estimate about 20 days after the
    month, and for every month of a year but the last one, a revision on 31 March of the
    following year. ``as_of`` queries therefore see different values than latest ones."""
    for index, month in enumerate(_months(HISTORY_FIRST_MONTH, HISTORY_LAST_MONTH)):
        codes = areas.old_provinces if month < MERGER_2025 else areas.new_provinces
        period = f"{month.year}-M{month.month:02d}"
        first_estimate = f"{_month_end(month) + timedelta(days=20)}T09:00:00{HANOI_OFFSET}"
        revised = month.year < HISTORY_LAST_MONTH.year
        revision = f"{month.year + 1}-03-31T09:00:00{HANOI_OFFSET}"
        for place, code in enumerate(codes):
            seed = (number * 7919 + place * 104_729 + index * 1_299_709) % 100_000
            counts.province += 1
            yield f"{indicator},{code},{period},{_value(number, seed)},P,{first_estimate}\n"
            if revised:
                later = (seed + 4321) % 100_000
                counts.province += 1
                counts.revised += 1
                yield f"{indicator},{code},{period},{_value(number, later)},A,{revision}\n"


def _commune_months(
    indicators: list[str], communes: list[str], counts: _RowCounts
) -> Iterator[str]:
    """One report a month from every commune for every indicator, stamped at load time."""
    month = COMMUNE_FIRST_MONTH
    index = 0
    while True:
        period = f"{month.year}-M{month.month:02d}"
        status = "A" if month <= HISTORY_LAST_MONTH else "F"
        counts.last_commune_month = period
        for place, code in enumerate(communes):
            for number, indicator in enumerate(indicators):
                seed = (number * 7919 + place * 104_729 + index * 1_299_709) % 100_000
                yield f"{indicator},{code},{period},{_value(number, seed)},{status},\n"
        month = _next_month(month)
        index += 1


def _value(number: int, seed: int) -> str:
    # Values with one decimal, of a size that differs between indicators.
    whole = (number + 1) * 1000 + seed // 10
    return f"{whole}.{seed % 10}"


def _months(first: date, last: date) -> Iterator[date]:
    month = first
    while month <= last:
        yield month
        month = _next_month(month)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _month_end(month: date) -> date:
    return _next_month(month) - timedelta(days=1)


def province_history_rows(indicator_count: int, areas: AreaCodes) -> int:
    """Rows the province history takes, so a reader knows what a row count covers."""
    rows = 0
    for month in _months(HISTORY_FIRST_MONTH, HISTORY_LAST_MONTH):
        codes = areas.old_provinces if month < MERGER_2025 else areas.new_provinces
        rows += len(codes) * (2 if month.year < HISTORY_LAST_MONTH.year else 1)
    return rows * indicator_count


def prepare_file(store: BenchStore, workdir: Path, rows: int) -> FileFacts:
    """Generate the observation file of ``rows`` rows, with a progress bar."""
    with store.sessions() as session:
        indicators = stored_monthly_indicators(session)
        areas = read_area_codes(session)
    path = workdir / f"observations-{rows}.csv"
    with bench_progress() as progress:
        task = progress.add_task(f"writing {path.name}", total=rows)
        facts = write_observation_file(
            path, rows, indicators, areas, lambda n: progress.advance(task, n)
        )
    history = province_history_rows(len(indicators), areas)
    console.print(
        f"{facts.rows:,} rows ({facts.size / 2**20:,.0f} MiB): {len(indicators)} monthly "
        f"indicators; province history {HISTORY_FIRST_MONTH:%Y-M%m} to "
        f"{HISTORY_LAST_MONTH:%Y-M%m} ({min(facts.rows, history):,} of {history:,} rows, "
        f"{facts.revised_rows:,} of them revisions); {len(areas.communes):,} communes from "
        f"{COMMUNE_FIRST_MONTH:%Y-M%m} to {facts.last_commune_month or '-'} "
        f"({facts.commune_rows:,} rows)"
    )
    return facts


# --- loading in a child process, watched ----------------------------------------------


@dataclass
class LoadOutcome:
    """What one ``load_csv_file`` run in a child process did, or why it did not finish."""

    seconds: float = 0.0
    rows: int = 0
    series_created: int = 0
    rss_before_kib: int = 0
    peak_rss_kib: int = 0
    rss_samples_kib: dict[int, int] = field(default_factory=dict)
    failure: str | None = None

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def load_in_child(
    url: str, path: Path, *, stall_seconds: float, profile: Path | None = None
) -> LoadOutcome:
    """Run ``load_csv_file`` in a process of its own, so its peak RSS is its own.

    The parent shows progress, samples the child's RSS at each quarter of the file, and
    gives up when no line has been read for ``stall_seconds`` (printing the child's
    stack first, so a hang can be told from slowness).
    """
    context = multiprocessing.get_context("spawn")
    consumed = context.Value("q", 0, lock=False)
    answers = context.Queue()
    child = context.Process(target=_load_file, args=(url, str(path), consumed, answers))
    child.start()
    assert child.pid is not None
    spy = start_py_spy(child.pid, profile) if profile else None
    outcome = _watch(child, consumed, answers, path.stat().st_size, stall_seconds)
    if spy is not None:
        spy.wait(timeout=60)
    return outcome


def _watch(
    child: Any, consumed: Any, answers: Any, size: int, stall_seconds: float
) -> LoadOutcome:
    samples: dict[int, int] = {}
    last_seen, last_move = -1, time.monotonic()
    with bench_progress(bytes_=True) as progress:
        task = progress.add_task(f"govops load_csv_file ({size / 2**20:,.0f} MiB)", total=size)
        while child.is_alive() and answers.empty():
            time.sleep(0.25)
            done = consumed.value
            progress.update(task, completed=done)
            quarter = min(4, done * 4 // size)
            if quarter and quarter not in samples:
                samples[quarter] = proc_status_kib(child.pid, "VmRSS")
            # The child publishes in steps of 1 MiB, so the last step shows only at the end.
            reading = done + (1 << 20) < size
            if done != last_seen:
                last_seen, last_move = done, time.monotonic()
            elif reading and time.monotonic() - last_move > stall_seconds:
                return _give_up(child, done, size, stall_seconds)
    try:
        outcome: LoadOutcome = answers.get(timeout=30)
    except queue.Empty:
        outcome = LoadOutcome(
            failure=f"the load process ended with exit code {child.exitcode} and no answer"
        )
    child.join(timeout=30)
    outcome.rss_samples_kib = samples
    return outcome


def _give_up(child: Any, done: int, size: int, stall_seconds: float) -> LoadOutcome:
    console.print(
        f"[red]no progress for {stall_seconds:.0f} s at byte {done:,} of {size:,}; "
        "the load's stack follows[/red]"
    )
    os.kill(child.pid, signal.SIGUSR1)
    time.sleep(2)
    child.terminate()
    child.join(timeout=30)
    return LoadOutcome(
        failure=f"stalled: no line read for {stall_seconds:.0f} s after {done:,} bytes"
    )


def _load_file(url: str, path: str, consumed: Any, answers: Any) -> None:
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    outcome = LoadOutcome(rss_before_kib=proc_status_kib(os.getpid(), "VmRSS"))
    pending = 0

    def advance(read_bytes: int) -> None:
        # Published in steps of 1 MiB: a shared counter is slower than a local one.
        nonlocal pending
        pending += read_bytes
        if pending >= 1 << 20:
            consumed.value += pending
            pending = 0

    engine = create_db_engine(url)
    try:
        started = time.perf_counter()
        with transaction(session_factory(engine)) as session:
            report = load_csv_file(session, Path(path), progress=advance)
        outcome.seconds = time.perf_counter() - started
        outcome.rows, outcome.series_created = report.rows, report.series_created
    except Exception as error:  # reported by the parent with the figures
        outcome.failure = f"{type(error).__name__}: {error}"
    finally:
        engine.dispose()
    consumed.value += pending
    outcome.peak_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    answers.put(outcome)


def start_py_spy(pid: int, output: Path) -> Any:
    """py-spy recording a process until it ends, or None when py-spy is not installed."""
    if shutil.which("py-spy") is None:
        console.print("[yellow]py-spy is not installed; no profile is taken[/yellow]")
        return None
    form = "flamegraph" if output.suffix == ".svg" else "raw"
    command = ["py-spy", "record", "--pid", str(pid), "--rate", "50", "--format", form]
    return subprocess.Popen(
        [*command, "--output", str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


# --- measuring ------------------------------------------------------------------------


def proc_status_kib(pid: int, key: str) -> int:
    """A memory figure of a live process from /proc (VmRSS now, VmHWM its peak), in KiB."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except FileNotFoundError:
        return 0
    return 0


def mib(kib: int) -> str:
    return f"{kib / 1024:,.0f}" if kib else "-"


def bench_progress(*, bytes_: bool = False) -> Progress:
    count: Any = DownloadColumn() if bytes_ else MofNCompleteColumn()
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        count,
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def machine_load() -> str:
    """The load average, to tell a slow run from a busy machine (2 cores are shared)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def describe_code() -> str:
    """Where the measured govops comes from, so figures say what code they measure."""
    package = Path(govops.__file__).parent
    described = f"govops {govops.__version__} from {package}"
    try:
        commit = subprocess.run(
            ["git", "log", "-1", "--format=%h %ci"],
            cwd=package,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "."],
            cwd=package,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return described
    return f"{described} at commit {commit}" + (" with local changes" if changed else "")


def sqlite_connection(path: Path) -> sqlite3.Connection:
    """A plain connection with the pragmas govops sets on its own SQLite engine."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
        connection.execute(f"PRAGMA {pragma}")
    return connection


def rows_rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f}" if seconds else "-"


def new_workdir(given: str | None) -> Path:
    path = Path(given) if given else Path(tempfile.mkdtemp(prefix="govops-bench-"))
    path.mkdir(parents=True, exist_ok=True)
    return path


SERVER_READY_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_ready(client: httpx.Client, server: subprocess.Popen[bytes], log: Path) -> None:
    """Until the server started as ``server`` answers ``/ready``; its log is named if not."""
    deadline = time.monotonic() + SERVER_READY_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped (code {server.returncode}); see {log}")
        try:
            if client.get("/ready").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server was not ready within {SERVER_READY_SECONDS} s; see {log}")
