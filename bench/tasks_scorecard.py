"""Scorecard of all agencies over 100,000 tasks: server time, p50 and p95 (target p95 < 200 ms).

Fills a store of its own with tasks spread over every agency and two years of deadlines
(nine in ten dated, one in ten a monthly duty of twelve deliverables), with a realistic
mix of completions, then times:

- the service: ``scorecard_with_trend``, the card for all agencies and the monthly trend in one
  reading (whole months from the maintained tallies, today's month and ragged ends from the
  deliverables), as the scorecard's page and API call it;
- the request: ``GET /api/v1/tasks-scorecard`` through the application (authentication,
  query, answer), in process, so the figure is the server's time without a network.

    python3 bench/tasks_scorecard.py                       # both databases, 100,000 tasks
    python3 bench/tasks_scorecard.py --backend sqlite --tasks 20000
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rich.table import Table
from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ADMIN_URL,
    BACKENDS,
    _new_database,
    bench_progress,
    console,
    describe_code,
    machine_load,
    new_workdir,
)
from govops.catalog.models import Agency
from govops.catalog.reference import load_reference
from govops.core.db import create_db_engine, session_factory, transaction
from govops.core.migrate import upgrade
from govops.core.settings import Settings
from govops.security import audit
from govops.security.accounts import NewUser, create_user
from govops.security.keys import KeyRequest, create_personal_token
from govops.security.permissions import (
    EVERY_PERMISSION,
    OPERATOR,
    Clearance,
    Role,
)
from govops.tasks.models import Occurrence, Task
from govops.tasks.scorecard import scorecard_with_trend
from govops.tasks.tallies import rebuild_tallies
from govops.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TODAY = date(2026, 3, 10)
CHUNK = 5000


def fill(url: str, tasks: int) -> int:
    """Insert the tasks and their deliverables; answer the number of deliverables."""
    engine = create_db_engine(url)
    sessions = session_factory(engine)
    generator = random.Random(7)
    with transaction(sessions) as session:
        agencies = list(session.scalars(select(Agency.id)))
    made = 0
    with bench_progress() as progress:
        bar = progress.add_task("tasks", total=tasks)
        for first in range(1, tasks + 1, CHUNK):
            ids = range(first, min(first + CHUNK, tasks + 1))
            task_rows, occurrence_rows = [], []
            for task_id in ids:
                lead = generator.choice(agencies)
                assigned = TODAY - timedelta(days=generator.randint(0, 730))
                monthly = generator.random() < 0.1
                task_rows.append(_task(task_id, lead, assigned, monthly))
                occurrence_rows.extend(_deliverables(generator, task_id, lead, assigned, monthly))
            with transaction(sessions) as session:
                session.execute(insert(Task), task_rows)
                session.execute(insert(Occurrence), occurrence_rows)
            made += len(occurrence_rows)
            progress.advance(bar, len(ids))
    with transaction(sessions) as session:
        # Rows inserted around the ORM: count the scorecard tallies once, as a bulk load does.
        rebuild_tallies(session)
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return made


def _task(task_id: int, lead: int, assigned: date, monthly: bool) -> dict[str, object]:
    stamp = datetime.now(UTC)
    return {
        "id": task_id,
        "position": "",
        "title": f"Nhiệm vụ {task_id}",
        "description": "",
        "lead_agency_id": lead,
        "assigned_on": assigned,
        "deadline_kind": "monthly" if monthly else "date",
        "priority": "normal",
        "source": "bench",
        "search_text": f"nhiem vu {task_id}",
        "current_occurrence_id": task_id * 100 + 1,
        "created_at": stamp,
        "updated_at": stamp,
    }


def _deliverables(
    generator: random.Random, task_id: int, lead: int, assigned: date, monthly: bool
) -> list[dict[str, object]]:
    dues = (
        [assigned + timedelta(days=30 * (n + 1)) for n in range(12)]
        if monthly
        else [assigned + timedelta(days=generator.choice([15, 30, 60, 90, 180]))]
    )
    rows = []
    for number, due in enumerate(dues, start=1):
        outcome = generator.random()
        done = None
        if due < TODAY and outcome < 0.85:
            done = due - timedelta(days=3) if outcome < 0.7 else due + timedelta(days=9)
        rows.append(
            {
                "id": task_id * 100 + number,
                "task_id": task_id,
                "sequence": number,
                "lead_agency_id": lead,
                "directive_id": None,
                "period": "",
                "original_due_on": due,
                "due_on": due,
                "started": outcome < 0.9,
                "percent": 50,
                "completed_on": done if done is None or done <= TODAY else None,
            }
        )
    return rows


def admin_token(url: str) -> str:
    engine = create_db_engine(url)
    with transaction(session_factory(engine)) as session:
        new = NewUser("bench.admin", "Bench", Role.ADMINISTRATOR, clearance=Clearance.RESTRICTED)
        user = create_user(
            session,
            new,
            "harbour-lotus-kettle-58",
            by=audit.COMMAND_LINE,
            must_change_password=False,
        )
        request = KeyRequest("bench", EVERY_PERMISSION, datetime.now(UTC) + timedelta(days=1))
        secret = create_personal_token(session, user, request, by=audit.COMMAND_LINE).secret
    engine.dispose()
    return secret


def time_service(url: str, repeats: int) -> list[float]:
    engine = create_db_engine(url)
    sessions = session_factory(engine)
    timings = []
    for _ in range(repeats):
        with sessions() as session:
            started = time.perf_counter()
            scorecard_with_trend(
                session, today=TODAY, reader=OPERATOR, start=TODAY - timedelta(days=730), end=TODAY
            )
            timings.append(time.perf_counter() - started)
    engine.dispose()
    return timings


def time_requests(url: str, repeats: int) -> list[float]:
    token = admin_token(url)
    app = create_app(Settings(database_url=url))
    params = {
        "start": (TODAY - timedelta(days=730)).isoformat(),
        "end": TODAY.isoformat(),
        "as_of": TODAY.isoformat(),
    }
    timings = []
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        client.get("/api/v1/tasks-scorecard", params=params)  # warm the pools
        for _ in range(repeats):
            started = time.perf_counter()
            response = client.get("/api/v1/tasks-scorecard", params=params)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
    app.state.engine.dispose()
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--workdir")
    arguments = parser.parse_args()

    console.print(describe_code())
    workdir = new_workdir(arguments.workdir)
    backends = BACKENDS if arguments.backend == "both" else (arguments.backend,)
    table = Table("backend", "tasks", "deliverables", "what", "p50 ms", "p95 ms", "target")
    for backend in backends:
        url, drop = _new_database(backend, workdir, arguments.admin_url)
        try:
            engine = create_db_engine(url)
            upgrade(engine)
            with transaction(session_factory(engine)) as session:
                load_reference(session, include_communes=False)
            engine.dispose()
            deliverables = fill(url, arguments.tasks)
            console.print(f"{backend}: timing; {machine_load()}")
            for what, timings in (
                ("service", time_service(url, arguments.repeats)),
                ("GET /tasks-scorecard", time_requests(url, arguments.repeats)),
            ):
                p95 = percentile(timings, 0.95) * 1000
                table.add_row(
                    backend,
                    f"{arguments.tasks:,}",
                    f"{deliverables:,}",
                    what,
                    f"{statistics.median(timings) * 1000:,.1f}",
                    f"{p95:,.1f}",
                    "p95 < 200 ms " + ("met" if p95 < 200 else "MISSED"),
                )
        finally:
            drop()
    console.print(table)


if __name__ == "__main__":
    main()
