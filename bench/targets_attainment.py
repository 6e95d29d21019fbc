"""Time the attainment probability and one run of the warning checks.

Part one needs no database: the probability for a yearly sum of a monthly series with
five months known, from exact Gaussian paths and from 20,000 simulated paths (the method
used with a stored forecast). Goal: under 5 ms per target by simulation.

Part two, with ``--database-url`` of a built store (``govops demo --no-serve`` makes one),
assesses every target and runs every check once, as ``govops targets list`` and
``govops alerts check`` do, and rolls the check back. Goal: the demo's targets in under
two seconds.

    python3 bench/targets_attainment.py
    python3 bench/targets_attainment.py --database-url sqlite:////tmp/demo/data/govops.sqlite
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from decimal import Decimal

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from govops.catalog.rules import TimeRule
from govops.core.db import create_db_engine, session_factory, today_utc
from govops.targets.attainment import (
    Comparator,
    GaussianPaths,
    Goal,
    PeriodSoFar,
    SampledPaths,
    attainment_from_paths,
    attainment_gaussian,
)

console = Console()


def timed(action: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def pure_math(repeats: int) -> Table:
    steps = np.arange(1, 8)
    gaussian = GaussianPaths(np.full(7, 103.0), 4.0 * np.minimum.outer(steps, steps))
    sampled = SampledPaths(gaussian.sample_paths(20_000, 1))
    so_far = PeriodSoFar(known=[100, 101, 99, 102, 103], parts=12, time_rule=TimeRule.SUM)
    goal = Goal(Comparator.AT_LEAST, Decimal("1240"))

    table = Table("method", "median ms", "p95 ms")
    for name, action in (
        ("exact (Gaussian)", lambda: attainment_gaussian(goal, so_far, gaussian)),
        ("20,000 paths", lambda: attainment_from_paths(goal, so_far, sampled)),
    ):
        times = sorted(timed(action, repeats))
        p95 = times[int(0.95 * len(times))]
        table.add_row(name, f"{statistics.median(times):.3f}", f"{p95:.3f}")
    return table


def store_run(url: str) -> Table:
    from govops.alerts.service import check_steps, run_checks
    from govops.targets.assessment import assess_all
    from govops.targets.service import list_targets

    engine = create_db_engine(url)
    sessions = session_factory(engine)
    table = Table("step", "count", "seconds")
    with sessions() as session:
        targets = list_targets(session)
        started = time.perf_counter()
        assess_all(session, targets)
        elapsed = time.perf_counter() - started
        table.add_row("assess every target", str(len(targets)), f"{elapsed:.2f}")

        steps = check_steps(session)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("checks", total=len(steps))
            started = time.perf_counter()
            report = run_checks(
                session, today=today_utc(), progress=lambda _: progress.advance(task), steps=steps
            )
        elapsed = time.perf_counter() - started
        found = len(report.raised) + len(report.updated)
        table.add_row("run every check", f"{found} findings", f"{elapsed:.2f}")
        session.rollback()
    engine.dispose()
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a built store to assess and check")
    parser.add_argument("--repeats", type=int, default=200)
    arguments = parser.parse_args()

    console.print(f"load average {os.getloadavg()[0]:.2f}")
    console.print(pure_math(arguments.repeats))
    if arguments.database_url:
        console.print(store_run(arguments.database_url))


if __name__ == "__main__":
    main()
