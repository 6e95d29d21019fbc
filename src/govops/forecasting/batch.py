"""A forecast run over many series: serially, or on a Dask cluster when one is named.

The database is read and written only here, in the calling process; the engine's work
per series (``jobs.run_job``) is shipped to Dask workers with ``Client.map`` when a
scheduler address (or a ``distributed.Client``) is given. The jobs are pure functions of
their values, so a run gives the same forecasts either way.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.areas import NATION_CODE, areas_on
from govops.catalog.models import Area, Indicator
from govops.catalog.rules import AreaRule
from govops.core.db import today_utc
from govops.core.errors import GovopsError
from govops.datastore.formula import Formula
from govops.datastore.models import Series
from govops.forecasting.accuracy import measure_realised_errors
from govops.forecasting.engine import EngineOptions
from govops.forecasting.inputs import SeriesSource, read_series
from govops.forecasting.jobs import JobOutcome, run_job
from govops.forecasting.models import ForecastRun
from govops.forecasting.reconcile import reconcile_sum
from govops.forecasting.records import finish_run, record_outcome, start_run

log = logging.getLogger(__name__)

# Called with (what is being done, done so far, total).
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SeriesRef:
    indicator: str
    area: str


def series_to_forecast(
    session: Session, *, indicators: Sequence[str] | None = None
) -> list[SeriesRef]:
    """Every (indicator, current area) with stored values; derived indicators included.

    Series of areas that no longer exist are read through their successors, and the
    nation of an additive indicator is included (it is summed from its provinces when
    it has no value of its own).
    """
    today = today_utc()
    current = {area.code for area in areas_on(session, today)}
    catalogue = {i.code: i for i in session.scalars(select(Indicator))}
    wanted = set(indicators) if indicators else set(catalogue)
    unknown = sorted(wanted - set(catalogue))
    if unknown:
        raise GovopsError(f"indicator(s) not in the catalogue: {', '.join(unknown)}")
    stored: dict[str, set[str]] = defaultdict(set)
    rows = session.execute(
        select(Indicator.code, Area.code)
        .join(Series, Series.indicator_id == Indicator.id)
        .join(Area, Area.id == Series.area_id)
        .distinct()
    )
    for indicator_code, area_code in rows:
        stored[indicator_code].add(area_code)
    refs: set[SeriesRef] = set()
    for code in wanted:
        indicator = catalogue[code]
        areas = set(stored.get(code, set()))
        if indicator.formula:
            areas = set(stored.get(Formula(indicator.formula).inputs[0], set()))
        if areas and indicator.area_rule == AreaRule.SUM:
            areas.add(NATION_CODE)
        refs.update(SeriesRef(code, area) for area in areas if area in current)
    return sorted(refs, key=lambda ref: (ref.indicator, ref.area != NATION_CODE, ref.area))


def run_forecasts(
    session: Session,
    refs: Sequence[SeriesRef],
    *,
    trigger: str,
    scheduler: str | Any | None = None,
    as_of: datetime | None = None,
    options: EngineOptions | None = None,
    progress: Progress | None = None,
) -> ForecastRun:
    """Forecast every series in ``refs`` as one stored run; reconcile additive ones.

    Earlier forecasts of these indicators are first measured against any actuals that
    arrived since, so the accuracy record grows with every run.
    """
    report = progress or (lambda _what, _done, _total: None)
    measure_realised_errors(session, indicators={ref.indicator for ref in refs})
    run = start_run(session, trigger=trigger, executor=_executor_name(scheduler))

    sources = []
    for done, ref in enumerate(refs, start=1):
        sources.append(
            read_series(
                session, indicator=ref.indicator, area=ref.area, as_of=as_of, options=options
            )
        )
        report("reading series", done, len(refs))

    outcomes = execute([source.job for source in sources], scheduler, report)
    _reconcile(session, sources, outcomes)

    for done, (source, outcome) in enumerate(zip(sources, outcomes, strict=True), start=1):
        record_outcome(session, run, source, outcome, as_of=as_of)
        report("storing forecasts", done, len(refs))
    finish_run(session, run)
    return run


def execute(jobs: list[Any], scheduler: str | Any | None, report: Progress) -> list[JobOutcome]:
    """Run the jobs in order here, or on the Dask scheduler; answers in the jobs' order."""
    if scheduler is None:
        outcomes = []
        for done, job in enumerate(jobs, start=1):
            outcomes.append(run_job(job))
            report("forecasting", done, len(jobs))
        return outcomes
    from distributed import Client, as_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        futures = client.map(run_job, jobs, pure=False)
        for done, _future in enumerate(as_completed(futures), start=1):
            report("forecasting", done, len(jobs))
        return list(client.gather(futures))
    finally:
        if client is not scheduler:
            client.close()


def _reconcile(session: Session, sources: list[SeriesSource], outcomes: list[JobOutcome]) -> None:
    children = {area.code for area in areas_on(session, today_utc(), level="province")}
    by_indicator: dict[int, list[tuple[SeriesSource, JobOutcome]]] = defaultdict(list)
    for source, outcome in zip(sources, outcomes, strict=True):
        if source.indicator.area_rule == AreaRule.SUM and source.indicator.formula is None:
            by_indicator[source.indicator.id].append((source, outcome))
    for members in by_indicator.values():
        nation = [o for s, o in members if s.area.level == "nation"]
        provinces = {s.area.code: o for s, o in members if s.area.level == "province"}
        if len(nation) != 1 or not provinces:
            continue
        if set(provinces) != children:
            log.info(
                "%s not reconciled: %s of %s provinces have forecasts",
                nation[0].key,
                len(provinces),
                len(children),
            )
            continue
        reconcile_sum(nation[0], [provinces[code] for code in sorted(provinces)])


def _executor_name(scheduler: str | Any | None) -> str:
    if scheduler is None:
        return "serial"
    if isinstance(scheduler, str):
        return scheduler
    info: dict[str, Any] = scheduler.scheduler_info()
    return str(info.get("address", "dask"))
