"""Bulk load: govops ``load_csv_file`` against a bare load of the same resolved rows.

    python3 bench/bulk_load.py --rows 1000000 --backend both

For each backend, in one run:

1. a fresh store: a new database (or SQLite file), migrated, with the reference areas
   (communes included) and the indicator catalogue;
2. govops: ``load_csv_file`` of the generated file, timed from the call to the commit, in
   a child process whose RSS is sampled at each quarter of the file and whose peak RSS
   (``ru_maxrss``) is reported;
3. bare: the rows govops stored, already resolved to (series_id, period_start,
   recorded_at, value, status, submission_id), loaded into a table with the same columns
   and primary key and nothing else: on PostgreSQL one ``COPY ... FROM STDIN`` of their
   text, on SQLite ``executemany`` of the same tuples in one transaction.

The figures say how far the datastore's checks (catalogue, area versions, periods, values,
series look-up), its foreign keys and its submission index cost against the database's
own loading speed. The target is govops at no less than half the bare rate.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from rich.table import Table

from common import (
    ADMIN_URL,
    BACKENDS,
    DEFAULT_ROWS,
    BenchStore,
    FileFacts,
    LoadOutcome,
    bench_progress,
    checkpoint,
    console,
    create_store,
    describe_code,
    load_in_child,
    machine_load,
    mib,
    new_workdir,
    prepare_file,
    rows_rate,
    sqlite_connection,
)

TARGET_RATIO = 0.5
COLUMNS = "series_id, period_start, recorded_at, value, status, submission_id"
BARE_TABLE_POSTGRES = """
CREATE TABLE bare_observation (
    series_id INTEGER NOT NULL,
    period_start DATE NOT NULL,
    recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    value NUMERIC,
    status VARCHAR(1) NOT NULL,
    submission_id INTEGER NOT NULL,
    PRIMARY KEY (series_id, period_start, recorded_at)
)"""
# The same declared types as govops' own SQLite table (decimals are kept as text there).
BARE_TABLE_SQLITE = """
CREATE TABLE bare_observation (
    series_id INTEGER NOT NULL,
    period_start DATE NOT NULL,
    recorded_at DATETIME NOT NULL,
    value VARCHAR(60),
    status VARCHAR(1) NOT NULL,
    submission_id INTEGER NOT NULL,
    PRIMARY KEY (series_id, period_start, recorded_at)
)"""
SQLITE_BLOCK = 100_000


@dataclass
class BareOutcome:
    seconds: float = 0.0
    rows: int = 0
    failure: str | None = None


@dataclass
class BackendResult:
    backend: str
    setup_seconds: float
    govops: LoadOutcome
    bare: BareOutcome


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    workdir = new_workdir(args.workdir)
    console.print(describe_code())
    console.print(f"work folder {workdir}")

    facts: FileFacts | None = None
    results = []
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    for backend in backends:
        result, facts = _run_backend(backend, args, workdir, facts)
        results.append(result)

    _print_results(results, facts)
    if facts is not None and not args.keep:
        facts.path.unlink(missing_ok=True)
    if args.workdir is None and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(r.govops.failure is None for r in results) else 1


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows in the file")
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument(
        "--admin-url", default=ADMIN_URL, help="PostgreSQL URL that may create and drop databases"
    )
    parser.add_argument(
        "--workdir",
        help="folder for the file and SQLite stores "
        "(default: a new temporary folder, removed afterwards)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the stores and the file, for read_api.py --database-url",
    )
    parser.add_argument(
        "--stall-seconds",
        type=float,
        default=120.0,
        help="give up on a load that reads no line for this long",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="record the govops load with py-spy "
        "into this file (.svg flame graph, else collapsed stacks)",
    )
    return parser.parse_args(argv)


def _run_backend(
    backend: str, args: argparse.Namespace, workdir: Path, facts: FileFacts | None
) -> tuple[BackendResult, FileFacts]:
    console.rule(f"[bold]{backend}")
    started = time.perf_counter()
    store = create_store(backend, workdir, args.admin_url)
    setup = time.perf_counter() - started
    console.print(f"store migrated, reference areas and catalogue loaded in {setup:.1f} s")
    try:
        if facts is None:
            facts = prepare_file(store, workdir, args.rows)
        checkpoint(store)
        console.print(f"before the govops load: {machine_load()}")
        profile = _profile_path(args.profile, backend)
        govops = load_in_child(
            store.url, facts.path, stall_seconds=args.stall_seconds, profile=profile
        )
        _say_load(govops)
        if govops.failure is None:
            bare = _bare_load(store, workdir)
        else:
            bare = BareOutcome(failure="no resolved rows: the govops load did not finish")
    finally:
        store.close(keep=args.keep)
        if args.keep:
            console.print(f"kept store: [bold]{store.url}[/bold]")
    return BackendResult(backend, setup, govops, bare), facts


def _profile_path(given: Path | None, backend: str) -> Path | None:
    if given is None:
        return None
    return given.with_name(f"{given.stem}-{backend}{given.suffix}")


def _say_load(outcome: LoadOutcome) -> None:
    if outcome.failure:
        console.print(f"[red]govops load failed: {outcome.failure}[/red]")
        return
    console.print(
        f"govops: {outcome.rows:,} rows in {outcome.seconds:,.1f} s "
        f"({rows_rate(outcome.rows, outcome.seconds)} rows/s), "
        f"{outcome.series_created:,} series created, peak RSS {mib(outcome.peak_rss_kib)} MiB"
    )


def _bare_load(store: BenchStore, workdir: Path) -> BareOutcome:
    console.print(f"before the bare load: {machine_load()}")
    if store.backend == "postgres":
        outcome = _bare_postgres(store, workdir)
    else:
        outcome = _bare_sqlite(store, workdir)
    console.print(
        f"bare: {outcome.rows:,} rows in {outcome.seconds:,.1f} s "
        f"({rows_rate(outcome.rows, outcome.seconds)} rows/s)"
    )
    return outcome


def _bare_postgres(store: BenchStore, workdir: Path) -> BareOutcome:
    """COPY the stored rows out as text, then time one plain COPY of it into a bare table."""
    dump = workdir / "resolved-rows.copy"
    with psycopg.connect(store.url, autocommit=True) as connection:
        export = f"COPY (SELECT {COLUMNS} FROM observation) TO STDOUT"
        with connection.cursor() as cursor, cursor.copy(export) as copy, dump.open("wb") as out:
            for data in copy:
                out.write(data)
        connection.execute(BARE_TABLE_POSTGRES)
        connection.execute("CHECKPOINT")

    size = dump.stat().st_size
    with bench_progress(bytes_=True) as progress:
        task = progress.add_task("bare COPY FROM STDIN", total=size)
        started = time.perf_counter()
        with psycopg.connect(store.url) as connection:  # one transaction, committed on exit
            load = f"COPY bare_observation ({COLUMNS}) FROM STDIN"
            with (
                connection.cursor() as cursor,
                cursor.copy(load) as copy,
                dump.open("rb") as source,
            ):
                while block := source.read(1 << 20):
                    copy.write(block)
                    progress.advance(task, len(block))
        seconds = time.perf_counter() - started
    dump.unlink()
    with psycopg.connect(store.url) as connection:
        count = connection.execute("SELECT count(*) FROM bare_observation").fetchone()
    return BareOutcome(seconds, int(count[0]) if count else 0)


def _bare_sqlite(store: BenchStore, workdir: Path) -> BareOutcome:
    """Read the stored tuples into memory, then time executemany of them in one transaction."""
    rows = _stored_tuples(store)
    bare_path = workdir / "bare.sqlite"
    connection = sqlite_connection(bare_path)
    connection.execute(BARE_TABLE_SQLITE)
    insert = f"INSERT INTO bare_observation ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
    with bench_progress() as progress:
        task = progress.add_task("bare executemany", total=len(rows))
        started = time.perf_counter()
        connection.execute("BEGIN")
        for offset in range(0, len(rows), SQLITE_BLOCK):
            connection.executemany(insert, rows[offset : offset + SQLITE_BLOCK])
            progress.advance(task, min(SQLITE_BLOCK, len(rows) - offset))
        connection.execute("COMMIT")
        seconds = time.perf_counter() - started
    count = connection.execute("SELECT count(*) FROM bare_observation").fetchone()[0]
    connection.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{bare_path}{suffix}").unlink(missing_ok=True)
    return BareOutcome(seconds, int(count))


def _stored_tuples(store: BenchStore) -> list[tuple[object, ...]]:
    # Rows in the order govops wrote them (rowid order), period and stamp texts shared
    # between rows so ten million tuples fit in memory comfortably.
    source = sqlite_connection(store.sqlite_path)
    shared: dict[str, str] = {}
    rows: list[tuple[object, ...]] = []
    with bench_progress() as progress:
        task = progress.add_task("reading the resolved rows", total=None)
        cursor = source.execute(f"SELECT {COLUMNS} FROM observation ORDER BY rowid")
        while batch := cursor.fetchmany(SQLITE_BLOCK):
            rows.extend(
                (
                    series,
                    shared.setdefault(period, period),
                    shared.setdefault(stamp, stamp),
                    value,
                    status,
                    submission,
                )
                for series, period, stamp, value, status, submission in batch
            )
            progress.advance(task, len(batch))
    source.close()
    return rows


def _print_results(results: list[BackendResult], facts: FileFacts | None) -> None:
    rows = facts.rows if facts else 0
    table = Table(title=f"bulk load of {rows:,} observations")
    for name in (
        "backend",
        "govops s",
        "govops rows/s",
        "bare s",
        "bare rows/s",
        "govops / bare",
        f"target ≥ {TARGET_RATIO:.2f}",
        "peak RSS MiB",
    ):
        table.add_column(name, justify="right")
    for result in results:
        govops, bare = result.govops, result.bare
        ratio = govops.rows_per_second / (bare.rows / bare.seconds) if bare.seconds else 0.0
        met = "-" if not ratio else ("met" if ratio >= TARGET_RATIO else "[red]missed[/red]")
        table.add_row(
            result.backend,
            f"{govops.seconds:,.1f}" if not govops.failure else "[red]failed[/red]",
            rows_rate(govops.rows, govops.seconds),
            f"{bare.seconds:,.1f}" if bare.seconds else "-",
            rows_rate(bare.rows, bare.seconds),
            f"{ratio:.2f}" if ratio else "-",
            met,
            mib(govops.peak_rss_kib),
        )
    console.print(table)
    _print_memory(results)
    for result in results:
        for what, failure in (("govops", result.govops.failure), ("bare", result.bare.failure)):
            if failure:
                console.print(f"[red]{result.backend} {what}: {failure}[/red]")


def _print_memory(results: list[BackendResult]) -> None:
    table = Table(title="RSS of the govops load process (MiB), by share of the file read")
    for name in ("backend", "before", "25%", "50%", "75%", "100%", "peak", "setup s"):
        table.add_column(name, justify="right")
    for result in results:
        samples = result.govops.rss_samples_kib
        table.add_row(
            result.backend,
            mib(result.govops.rss_before_kib),
            *(mib(samples.get(quarter, 0)) for quarter in (1, 2, 3, 4)),
            mib(result.govops.peak_rss_kib),
            f"{result.setup_seconds:.1f}",
        )
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())
