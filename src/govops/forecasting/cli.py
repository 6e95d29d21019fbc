"""`govops forecast …` commands: run, follow new data, show a forecast, accuracy."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from govops.core.db import create_db_engine, session_factory, transaction
from govops.core.errors import GovopsError
from govops.core.migrate import upgrade
from govops.core.settings import get_settings
from govops.forecasting.accuracy import accuracy_records
from govops.forecasting.batch import Progress as ReportProgress
from govops.forecasting.batch import run_forecasts, series_to_forecast
from govops.forecasting.follow import forecast_new_data
from govops.forecasting.models import ForecastRun
from govops.forecasting.service import forecast_series

forecasting_app = typer.Typer(help="Forecasts.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)

SCHEDULER_HELP = "Address of a Dask scheduler (tcp://host:8786); serial when not given"


def _sessions() -> sessionmaker[Session]:
    engine = create_db_engine(get_settings().resolved_database_url)
    upgrade(engine)
    return session_factory(engine)


def _fail(error: GovopsError) -> NoReturn:
    err_console.print(f"[red]error:[/red] {error}")
    raise typer.Exit(code=1)


@contextmanager
def _progress_bar() -> Iterator[ReportProgress]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console) as progress:
        task = progress.add_task("starting", total=None)

        def report(what: str, done: int, total: int) -> None:
            progress.update(task, description=what, completed=done, total=total)

        yield report


def _summary(run: ForecastRun) -> str:
    return (
        f"run {run.id} on {run.executor}: {run.series_count - run.refused_count} of "
        f"{run.series_count} series forecast, {run.refused_count} refused (see "
        f"`forecast_failure`), {run.fallback_count} with a model fallback"
    )


@forecasting_app.command("run")
def run_command(
    indicator: Annotated[
        list[str] | None, typer.Option("--indicator", "-i", help="Indicator code; repeatable")
    ] = None,
    scheduler: Annotated[str | None, typer.Option(help=SCHEDULER_HELP)] = None,
) -> None:
    """Forecast every series with data (or those of the given indicators), as one run."""
    try:
        with transaction(_sessions()) as session:
            refs = series_to_forecast(session, indicators=indicator)
            with _progress_bar() as report:
                run = run_forecasts(
                    session, refs, trigger="command", scheduler=scheduler, progress=report
                )
            console.print(_summary(run))
    except GovopsError as error:
        _fail(error)


@forecasting_app.command("follow")
def follow_command(
    once: Annotated[bool, typer.Option(help="Look once and stop")] = False,
    every: Annotated[int, typer.Option(help="Seconds between looks", min=1)] = 60,
    scheduler: Annotated[str | None, typer.Option(help=SCHEDULER_HELP)] = None,
) -> None:
    """Forecast the indicators that receive new data, as it arrives."""
    sessions = _sessions()
    while True:
        with transaction(sessions) as session, _progress_bar() as report:
            run = forecast_new_data(session, scheduler=scheduler, progress=report)
        console.print(_summary(run) if run is not None else "no new data")
        if once:
            return
        time.sleep(every)


@forecasting_app.command("show")
def show_command(
    indicator: Annotated[str, typer.Argument(help="Indicator code, e.g. CPI")],
    area: Annotated[str, typer.Argument(help="Area code, e.g. VN or 01")] = "VN",
    horizon: Annotated[int | None, typer.Option(help="Periods ahead")] = None,
) -> None:
    """Show the forecast of one series (made now if the data changed since the last)."""
    try:
        with transaction(_sessions()) as session:
            result = forecast_series(session, indicator=indicator, area=area, horizon=horizon)
    except GovopsError as error:
        _fail(error)
    console.print(f"{result.indicator} {result.area}: {result.reason}")
    for note in result.notes:
        console.print(f"  note: {note}")
    table = Table("period", "reach", "95% low", "80% low", "mean", "80% high", "95% high")
    for p in result.points:
        table.add_row(
            p.period.code,
            str(p.reach),
            *(f"{value:,.2f}" for value in (p.lo95, p.lo80, p.mean, p.hi80, p.hi95)),
        )
    console.print(table)


@forecasting_app.command("accuracy")
def accuracy_command(
    indicator: Annotated[str | None, typer.Option(help="Only this indicator")] = None,
) -> None:
    """Realised accuracy of past forecasts, by indicator and model."""
    with _sessions()() as session:
        records = accuracy_records(session, indicator=indicator)
    table = Table(
        "indicator", "model", "forecasts", "points", "MASE", "sMAPE %", "in 80%", "in 95%"
    )
    for r in records:
        table.add_row(
            r.indicator,
            r.model,
            str(r.forecasts),
            str(r.points),
            f"{r.mase:.2f}",
            "–" if r.smape is None else f"{r.smape:.1f}",
            f"{r.coverage80:.0%}",
            f"{r.coverage95:.0%}",
        )
    console.print(table if records else "no forecast has met its actuals yet")
