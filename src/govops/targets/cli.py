"""`govops targets …` commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from govops.core.db import create_db_engine, session_factory, transaction
from govops.core.errors import GovopsError, RejectedBatch
from govops.core.migrate import upgrade
from govops.core.settings import get_settings
from govops.security import audit
from govops.targets.assessment import Assessment, assess_target
from govops.targets.files import national_targets, read_targets_file
from govops.targets.service import (
    LoadReport,
    describe_goal,
    get_thresholds,
    goal_of,
    list_targets,
    load_targets,
    set_thresholds,
)

targets_app = typer.Typer(help="Plan targets.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)
BY = audit.COMMAND_LINE


@contextmanager
def _database() -> Iterator[sessionmaker[Session]]:
    engine = create_db_engine(get_settings().resolved_database_url)
    try:
        upgrade(engine)
        yield session_factory(engine)
    finally:
        engine.dispose()


def _fail(error: GovopsError) -> NoReturn:
    err_console.print(f"[red]error:[/red] {error.detail}")
    if isinstance(error, RejectedBatch):
        for row_error in error.row_errors.errors[:50]:
            err_console.print(f"  row {row_error.row}, {row_error.field}: {row_error.reason}")
    raise typer.Exit(code=1)


@targets_app.command("load")
def load(
    path: Annotated[Path, typer.Argument(help="CSV or YAML file of targets", exists=True)],
) -> None:
    """Load targets from a file; nothing is stored when any row is wrong."""
    try:
        specs = read_targets_file(path)
        with _database() as sessions, transaction(sessions) as session:
            report = load_targets(session, specs, by=BY)
    except GovopsError as error:
        _fail(error)
    _print_load(report)


@targets_app.command("national")
def national() -> None:
    """Load the National Assembly's 2025 and 2026 targets shipped with govops."""
    try:
        with _database() as sessions, transaction(sessions) as session:
            report = load_targets(session, national_targets(), by=BY)
    except GovopsError as error:
        _fail(error)
    _print_load(report)


def _print_load(report: LoadReport) -> None:
    console.print(f"{len(report.created)} target(s) created, {report.unchanged} unchanged")


@targets_app.command("list")
def list_command(
    year: Annotated[int | None, typer.Option(help="Only targets of this year")] = None,
    indicator: Annotated[str | None, typer.Option(help="Indicator code")] = None,
    area: Annotated[str | None, typer.Option(help="Area code")] = None,
) -> None:
    """Targets with their status and the probability of meeting them."""
    with _database() as sessions, sessions() as session:
        try:
            targets = list_targets(session, indicator=indicator, area=area, year=year)
        except GovopsError as error:
            _fail(error)
        columns = (TextColumn("assessing targets"), BarColumn(), MofNCompleteColumn())
        assessments = []
        with Progress(*columns, console=err_console, transient=True) as progress:
            for target in progress.track(targets):
                assessments.append(assess_target(session, target))
        console.print(_table(assessments))


def _table(assessments: list[Assessment]) -> Table:
    table = Table("id", "indicator", "area", "period", "target", "status", "probability")
    for item in assessments:
        probability = "" if item.probability is None else f"{item.probability:.0%}"
        table.add_row(
            str(item.target.id),
            item.indicator.code,
            item.area.code,
            item.period.code,
            describe_goal(goal_of(item.target)),
            item.status.label_en,
            probability,
        )
    return table


@targets_app.command("thresholds")
def thresholds(
    on_track_from: Annotated[
        float | None, typer.Option(help="Probability from which a target is on track")
    ] = None,
    off_track_below: Annotated[
        float | None, typer.Option(help="Probability below which a target is off track")
    ] = None,
) -> None:
    """Show, or set, the probabilities that separate on track, at risk and off track."""
    with _database() as sessions, transaction(sessions) as session:
        current = get_thresholds(session)
        if on_track_from is not None or off_track_below is not None:
            try:
                current = set_thresholds(
                    session,
                    on_track_from=_decimal(on_track_from, current.on_track_from),
                    off_track_below=_decimal(off_track_below, current.off_track_below),
                    by=BY,
                )
            except GovopsError as error:
                _fail(error)
    console.print(
        f"on track from {current.on_track_from}, off track below {current.off_track_below}, "
        "at risk between"
    )


def _decimal(value: float | None, default: Decimal) -> Decimal:
    return default if value is None else Decimal(str(value))
