"""Audit log verification: ``verify_chain`` over a million chained entries.

    python3 bench/audit_verify.py --entries 1000000 --backend both

For each backend, in one run:

1. a fresh database (or SQLite file), migrated, with nothing else in it;
2. append: the entries are generated and chained in Python with govops' own hashing
   (``audit.chain_hash``), and written in blocks of 50,000: ``COPY ... FROM STDIN`` on
   PostgreSQL, ``executemany`` on SQLite. Entries look like real ones: varied actions,
   actors, agencies, Vietnamese summaries, client addresses and request ids;
3. verify: ``verify_chain`` over the whole log, timed, with a progress callback as
   ``govops audit verify`` uses; the process's RSS is sampled at each batch, to show that
   memory stays flat;
4. tamper (unless ``--no-tamper``): the summary of the middle entry is changed in SQL
   and ``verify_chain`` runs again; it must name that entry.

The target is verification of one million entries in under 30 seconds.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.table import Table
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from common import (
    ADMIN_URL,
    BACKENDS,
    bench_progress,
    console,
    describe_code,
    machine_load,
    mib,
    new_workdir,
    proc_status_kib,
)
from govops.core.db import create_db_engine, session_factory, sqlite_timestamp_text
from govops.core.migrate import upgrade
from govops.security import audit

TARGET_SECONDS = 30.0
BLOCK = 50_000
COLUMNS = (*audit.CHAINED_FIELDS, "previous_hash", "entry_hash")
ACTIONS = ("data.write", "sign-in", "indicator.update", "task.update", "data.export")
SUMMARIES = (
    "{n} giá trị chỉ số giá tiêu dùng tháng được ghi",
    "đăng nhập thành công",
    "cập nhật tên chỉ tiêu: Tổng mức bán lẻ hàng hoá",
    "nhiệm vụ {n}: tiến độ 60%",
    "tải xuống {n} ô số liệu",
)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    workdir = new_workdir(args.workdir)
    console.print(describe_code())
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    outcomes = [_run(backend, args, workdir) for backend in backends]
    _print_results(outcomes, args.entries)
    return 0 if all(outcome.ok for outcome in outcomes) else 1


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="PostgreSQL admin URL")
    parser.add_argument("--workdir", help="folder for SQLite stores")
    parser.add_argument("--no-tamper", action="store_true", help="skip the tampered run")
    return parser.parse_args(argv)


@dataclass
class Outcome:
    backend: str
    append_seconds: float
    verify: Verification
    tampered: str | None  # "found", "missed", or None when not tried

    @property
    def ok(self) -> bool:
        report = self.verify.report
        return report.intact and self.verify.seconds < TARGET_SECONDS and self.tampered != "missed"


@dataclass
class Verification:
    report: audit.ChainReport
    seconds: float
    cpu_seconds: float
    server_cpu_seconds: float | None  # the PostgreSQL backend's, when it runs here
    rss_before_kib: int
    rss_peak_kib: int


def _run(backend: str, args: argparse.Namespace, workdir: Path) -> Outcome:
    console.rule(f"{backend}: {args.entries:,} entries")
    url, drop = _new_database(backend, workdir, args.admin_url)
    engine = create_db_engine(url)
    try:
        upgrade(engine)
        appended = _append(engine, args.entries)
        console.print(machine_load())
        verification = _verify(engine, args.entries)
        tampered = None if args.no_tamper else _verify_tampered(engine, args.entries)
    finally:
        engine.dispose()
        drop()
    return Outcome(backend, appended, verification, tampered)


def _new_database(backend: str, workdir: Path, admin_url: str) -> tuple[str, Callable[[], None]]:
    name = f"govops_bench_audit_{uuid.uuid4().hex[:8]}"
    if backend == "sqlite":
        path = workdir / f"{name}.sqlite"

        def remove() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

        return f"sqlite:///{path}", remove
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


# --- append ---------------------------------------------------------------------------


def _chained_entries(count: int) -> Iterator[tuple[object, ...]]:
    """Entries one second apart, chained as ``audit.record`` would chain them."""
    previous = audit.GENESIS_HASH
    start = datetime(2025, 1, 1, 1, 0, tzinfo=UTC)
    for sequence in range(1, count + 1):
        kind = sequence % len(ACTIONS)
        values = (
            sequence,
            start + timedelta(seconds=sequence, microseconds=sequence % 1_000_000),
            1 + sequence % 500,
            None if kind else 1 + sequence % 40,
            f"user{1 + sequence % 500}",
            1 + sequence % 60,
            ACTIONS[kind],
            "series",
            str(sequence % 100_000),
            SUMMARIES[kind].format(n=sequence % 977),
            f"10.{sequence % 256}.{sequence // 256 % 256}.7",
            uuid.UUID(int=sequence).hex,
        )
        entry_hash = audit.chain_hash(audit.content_from_values(values), previous)
        yield (*values, previous, entry_hash)
        previous = entry_hash


def _append(engine: Engine, count: int) -> float:
    """Write ``count`` chained entries in blocks; answer the seconds it took."""
    started = time.perf_counter()
    writer = _copy_block if engine.dialect.name == "postgresql" else _insert_block
    entries = _chained_entries(count)
    with bench_progress() as progress:
        task = progress.add_task("append (generate, chain, write)", total=count)
        while block := [entry for _, entry in zip(range(BLOCK), entries, strict=False)]:
            writer(engine, block)
            progress.advance(task, len(block))
    return time.perf_counter() - started


def _copy_block(engine: Engine, block: list[tuple[object, ...]]) -> None:
    connection = engine.raw_connection()
    try:
        with connection.cursor() as cursor:  # type: ignore[attr-defined]
            statement = f"COPY audit_entry ({', '.join(COLUMNS)}) FROM STDIN"
            with cursor.copy(statement) as copy:
                for row in block:
                    copy.write_row(row)
        connection.commit()
    finally:
        connection.close()


def _insert_block(engine: Engine, block: list[tuple[object, ...]]) -> None:
    path = str(make_url(str(engine.url)).database)
    rows = [(row[0], sqlite_timestamp_text(row[1]), *row[2:]) for row in block]  # type: ignore[arg-type]
    marks = ", ".join("?" for _ in COLUMNS)
    with sqlite3.connect(path) as connection:
        connection.executemany(
            f"INSERT INTO audit_entry ({', '.join(COLUMNS)}) VALUES ({marks})", rows
        )
    connection.close()


# --- verify ---------------------------------------------------------------------------


def _verify(engine: Engine, count: int) -> Verification:
    sessions = session_factory(engine)
    before = proc_status_kib(os.getpid(), "VmRSS")
    peak = [before]

    with bench_progress() as progress, sessions() as session:
        task = progress.add_task("verify_chain", total=count)
        backend = _backend_pid(session)
        server_started = _cpu_seconds_of(backend)

        def advance(checked: int) -> None:
            progress.advance(task, checked)
            peak[0] = max(peak[0], proc_status_kib(os.getpid(), "VmRSS"))

        started, cpu_started = time.perf_counter(), time.process_time()
        report = audit.verify_chain(session, progress=advance)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        server_ended = _cpu_seconds_of(backend)
    server = None if server_ended is None else server_ended - (server_started or 0.0)
    console.print(
        f"{report.checked:,} entries in {seconds:.1f} s ({report.checked / seconds:,.0f}/s); "
        f"intact: {report.intact}; head {report.last_sequence:,} {report.head_hash[:16]}…"
    )
    return Verification(report, seconds, cpu, server, before, peak[0])


def _backend_pid(session: Session) -> int | None:
    if session.get_bind().dialect.name != "postgresql":
        return None
    return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _cpu_seconds_of(pid: int | None) -> float | None:
    """User and system CPU time of a process of this machine (None when it is elsewhere):
    on a shared machine, CPU time says what the work costs where wall time cannot."""
    stat = Path(f"/proc/{pid}/stat")
    if pid is None or not stat.exists():
        return None
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _verify_tampered(engine: Engine, count: int) -> str:
    middle = count // 2
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_entry SET summary = 'không có gì' WHERE sequence = :n"),
            {"n": middle},
        )
    with session_factory(engine)() as session:
        started = time.perf_counter()
        broken = audit.verify_chain(session).first_break
        seconds = time.perf_counter() - started
    console.print(f"after altering entry {middle:,}: {broken} ({seconds:.1f} s)")
    found = broken is not None and (broken.sequence, broken.problem) == (middle, "altered")
    return "found" if found else "missed"


def _print_results(outcomes: list[Outcome], count: int) -> None:
    table = Table(
        "backend",
        "append s",
        "verify s",
        "CPU s",
        "server CPU s",
        "per s",
        "RSS MiB",
        "tamper",
        "< 30 s",
        title=f"verify_chain over {count:,} entries",
    )
    for outcome in outcomes:
        verify = outcome.verify
        table.add_row(
            outcome.backend,
            f"{outcome.append_seconds:.1f}",
            f"{verify.seconds:.1f}",
            f"{verify.cpu_seconds:.1f}",
            "-" if verify.server_cpu_seconds is None else f"{verify.server_cpu_seconds:.1f}",
            f"{count / verify.seconds:,.0f}",
            f"{mib(verify.rss_before_kib)} → {mib(verify.rss_peak_kib)}",
            outcome.tampered or "-",
            "met" if verify.seconds < TARGET_SECONDS else "missed",
        )
    console.print(table)
    console.print(
        "verify s: wall-clock time of verify_chain; CPU s: this process's CPU time in it; "
        "server CPU s: the PostgreSQL backend's CPU time in it (read from /proc when the "
        "server runs on this machine); RSS MiB: before verifying → highest sampled while "
        "verifying"
    )


if __name__ == "__main__":
    sys.exit(main())
