"""Importing a 10,000-row spreadsheet of tasks: time and peak memory.

Writes a workbook in the import template's columns (every row valid, agencies and
deadlines varied), then imports it into a store of its own in a child process, which
reports the elapsed time and its peak resident memory. Run with a larger ``--rows`` to
see that memory stays flat as the file grows (openpyxl's read-only mode, two passes).

    python3 bench/tasks_import.py                          # both databases, 10,000 rows
    python3 bench/tasks_import.py --rows 50000 --backend sqlite
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ADMIN_URL,
    BACKENDS,
    _new_database,
    console,
    describe_code,
    machine_load,
    mib,
    new_workdir,
)
from govops.catalog.reference import load_reference
from govops.core.db import create_db_engine, session_factory, transaction
from govops.core.migrate import upgrade
from govops.security import audit
from govops.tasks.spreadsheet import COLUMNS, import_tasks

LEADS = ["MOF", "MOC", "MOIT", "MOH", "MOET", "MPS", "MAE", "SBV", "UBND-01", "UBND-79"]


def write_workbook(path: Path, rows: int) -> None:
    generator = random.Random(11)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("tasks")
    sheet.append(COLUMNS)
    for number in range(rows):
        assigned = date(2025, 1, 1) + timedelta(days=generator.randint(0, 300))
        monthly = generator.random() < 0.05
        values = {
            "title": f"Nhiệm vụ số {number + 1}: đẩy nhanh tiến độ thực hiện",
            "lead_agency": generator.choice(LEADS),
            "coordinating_agencies": "MOF" if generator.random() < 0.3 else "",
            "assigned_on": assigned,
            "deadline_kind": "monthly" if monthly else "date",
            "due_on": None if monthly else assigned + timedelta(days=generator.randint(10, 200)),
            "due_day": 20 if monthly else None,
            "recurs_until": date(2026, 6, 30) if monthly else None,
            "priority": generator.choice(["high", "normal", "low"]),
        }
        if values["lead_agency"] == "MOF":
            values["coordinating_agencies"] = ""
        sheet.append([values.get(name) for name in COLUMNS])
    book.save(path)


def import_in_child(url: str, path: str, answers: multiprocessing.Queue) -> None:
    engine = create_db_engine(url)
    started = time.perf_counter()
    with transaction(session_factory(engine)) as session:
        report = import_tasks(session, Path(path), by=audit.COMMAND_LINE)
    elapsed = time.perf_counter() - started
    engine.dispose()
    answers.put((report.created, elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def baseline_in_child(answers: multiprocessing.Queue) -> None:
    answers.put(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def run_child(target: object, *args: object) -> object:
    answers: multiprocessing.Queue = multiprocessing.Queue()
    child = multiprocessing.Process(target=target, args=(*args, answers))
    child.start()
    answer = answers.get()
    child.join()
    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--workdir")
    arguments = parser.parse_args()

    console.print(describe_code())
    workdir = new_workdir(arguments.workdir)
    path = workdir / f"tasks_{arguments.rows}.xlsx"
    write_workbook(path, arguments.rows)
    console.print(f"workbook: {path} ({path.stat().st_size / 1024:,.0f} KiB)")
    baseline = run_child(baseline_in_child)
    backends = BACKENDS if arguments.backend == "both" else (arguments.backend,)
    table = Table("backend", "rows", "tasks", "seconds", "rows/s", "peak RSS MiB", "idle MiB")
    for backend in backends:
        url, drop = _new_database(backend, workdir, arguments.admin_url)
        try:
            engine = create_db_engine(url)
            upgrade(engine)
            with transaction(session_factory(engine)) as session:
                load_reference(session, include_communes=False)
            engine.dispose()
            console.print(f"{backend}: importing; {machine_load()}")
            created, seconds, peak = run_child(import_in_child, url, str(path))  # type: ignore[misc]
            table.add_row(
                backend,
                f"{arguments.rows:,}",
                f"{created:,}",
                f"{seconds:,.1f}",
                f"{arguments.rows / seconds:,.0f}",
                mib(peak),
                mib(baseline),  # type: ignore[arg-type]
            )
        finally:
            drop()
    console.print(table)


if __name__ == "__main__":
    main()
