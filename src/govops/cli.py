"""The command line: `govops init`, `serve`, `demo`, `catalog`, `data`, `db`."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from govops.alerts.cli import alerts_app
from govops.core.db import create_db_engine, session_factory, transaction
from govops.core.errors import GovopsError, RejectedBatch
from govops.core.logging import configure_logging
from govops.core.migrate import upgrade
from govops.core.periods import PeriodError
from govops.core.settings import Mode, Settings, get_settings
from govops.exchange.cli import exchange_app
from govops.forecasting.cli import forecasting_app
from govops.security.cli import audit_app, keys_app, users_app
from govops.targets.cli import targets_app
from govops.tasks.cli import tasks_app

app = typer.Typer(
    help="govops: indicators, targets and tasks for data-based governing.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
catalog_app = typer.Typer(help="Load or export the indicator catalogue.", no_args_is_help=True)
data_app = typer.Typer(help="Load or export observations.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
app.add_typer(data_app, name="data")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(tasks_app, name="tasks")
app.add_typer(targets_app, name="targets")
app.add_typer(forecasting_app, name="forecast")
app.add_typer(alerts_app, name="alerts")
app.add_typer(exchange_app, name="exchange")
console = Console()
err_console = Console(stderr=True)


def _sessions(settings: Settings | None = None) -> sessionmaker[Session]:
    settings = settings or get_settings()
    engine = create_db_engine(settings.resolved_database_url)
    upgrade(engine)
    return session_factory(engine)


def _fail(error: GovopsError | PeriodError) -> None:
    err_console.print(f"[red]error:[/red] {error}")
    if isinstance(error, RejectedBatch):
        for row_error in error.row_errors.errors[:20]:
            err_console.print(
                f"  row {row_error.row}, {row_error.field}: {row_error.reason}"
                + (f" ({row_error.value!r})" if row_error.value else "")
            )
        if error.row_errors.total > 20:
            err_console.print(f"  … and {error.row_errors.total - 20} more")
    raise typer.Exit(code=1)


@app.callback()
def _configure(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log business events")] = False,
) -> None:
    settings = get_settings()
    production = settings.mode == Mode.PRODUCTION
    level = logging.INFO if verbose or production else logging.WARNING
    configure_logging(as_json=production, level=level)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the current version (creates it when empty)."""
    settings = get_settings()
    upgrade(create_db_engine(settings.resolved_database_url))
    console.print(f"schema up to date at {_safe_url(settings)}")


@db_app.command("check")
def db_check() -> None:
    """Check that every observation's series and submission exist (exit 1 if not)."""
    from govops.datastore.integrity import check_observation_references

    sessions = _sessions()
    with sessions() as session:
        found = check_observation_references(session)
    console.print(
        f"{found.observations:,} observations: {found.without_series:,} without their series, "
        f"{found.without_submission:,} without their submission"
    )
    if not found.sound:
        raise typer.Exit(code=1)


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


@app.command()
def init(
    communes: Annotated[bool, typer.Option(help="Also load the 3,321 communes")] = True,
) -> None:
    """Create the database and load Viet Nam's areas, lineage and indicator catalogue."""
    from govops.catalog.reference import load_reference

    with transaction(_sessions()) as session:
        report = load_reference(session, include_communes=communes)
    console.print(
        f"areas: {report.areas.created} created, {report.areas.updated} updated, "
        f"{report.areas.unchanged} unchanged; lineage edges added "
        f"{report.areas.lineage_created}"
    )
    _print_catalogue_report(report.catalogue)
    console.print(f"provincial People's Committees added: {report.provincial_agencies_created}")
    _first_administrator()


def _first_administrator() -> None:
    from govops.security.accounts import create_first_administrator

    with transaction(_sessions()) as session:
        created = create_first_administrator(session)
    if created is None:
        return
    username, password = created
    console.print(
        f"first administrator: [bold]{username}[/bold], password "
        f"[bold]{password}[/bold] (shown once; it must be changed at first sign-in)"
    )


@catalog_app.command("load")
def catalog_load(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="YAML catalogue file; default the reference catalogue shipped with govops"
        ),
    ] = None,
) -> None:
    """Load a catalogue file; loading again changes nothing and says so."""
    from govops.catalog.catalogue_file import (
        load_catalogue,
        read_catalogue_file,
        read_reference_catalogue,
    )

    try:
        document = read_catalogue_file(path) if path else read_reference_catalogue()
        with transaction(_sessions()) as session:
            report = load_catalogue(session, document)
    except GovopsError as error:
        _fail(error)
    _print_catalogue_report(report)


def _print_catalogue_report(report: object) -> None:
    table = Table("kind", "created", "updated", "unchanged", title="catalogue")
    for kind, counts in report.kinds.items():  # type: ignore[attr-defined]
        table.add_row(
            kind, str(len(counts.created)), str(len(counts.updated)), str(counts.unchanged)
        )
    console.print(table)
    for kind, counts in report.kinds.items():  # type: ignore[attr-defined]
        if counts.updated:
            console.print(f"updated {kind}: {', '.join(counts.updated)}")
    if report.not_in_file:  # type: ignore[attr-defined]
        console.print("in the store but not in the file (kept): " + ", ".join(report.not_in_file))  # type: ignore[attr-defined]


@catalog_app.command("export")
def catalog_export(path: Annotated[Path, typer.Argument(help="YAML file to write")]) -> None:
    """Write the catalogue in the store to a YAML file that loads back unchanged."""
    from govops.catalog.catalogue_file import dump_catalogue, export_catalogue

    with _sessions()() as session:
        path.write_text(dump_catalogue(export_catalogue(session)), encoding="utf-8")
    console.print(f"wrote {path}")


@data_app.command("load")
def data_load(
    path: Annotated[
        Path,
        typer.Argument(
            help="CSV with columns indicator,area,period,value[,status][,recorded_at][,DIM…]"
        ),
    ],
) -> None:
    """Load a CSV file of observations whole, or nothing of it, with a progress bar.

    A recorded_at column (ISO 8601 with zone) backfills past vintages; without it every row
    is stamped with the time of the load.
    """
    from govops.datastore.bulk import load_csv_file

    sessions = _sessions()
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, console=err_console) as progress:
            task = progress.add_task(path.name, total=path.stat().st_size)
            with transaction(sessions) as session:
                report = load_csv_file(session, path, progress=lambda n: progress.advance(task, n))
    except (GovopsError, PeriodError) as error:
        _fail(error)
    console.print(
        f"stored {report.rows} rows as submission {report.submission_id} "
        f"({report.series_created} new series)"
    )


@data_app.command("export")
def data_export(
    indicator: Annotated[str, typer.Argument(help="Indicator code")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File (.csv or .xlsx)")],
    area: Annotated[list[str] | None, typer.Option(help="Area code(s); 'provinces'")] = None,
    start: Annotated[str | None, typer.Option(help="First period")] = None,
    end: Annotated[str | None, typer.Option(help="Last period")] = None,
    as_of: Annotated[str | None, typer.Option(help="ISO 8601 instant")] = None,
    transform: Annotated[str, typer.Option(help="none, pop, yoy, ytd, ytd_yoy, share")] = "none",
) -> None:
    """Write one indicator's values to CSV or XLSX, as the API would answer."""
    from govops.core.api import parse_instant
    from govops.datastore.analytics import DataQuery, run_query
    from govops.datastore.export import answer_csv, answer_xlsx
    from govops.datastore.transforms import Transform

    try:
        query = DataQuery(
            indicator=indicator,
            areas=tuple(area or ()),
            first=start,
            last=end,
            as_of=parse_instant(as_of, field="as_of"),
            transform=Transform(transform),
        )
        with _sessions()() as session:
            answer = run_query(session, query)
    except (GovopsError, PeriodError) as error:
        _fail(error)
    if output.suffix.lower() == ".xlsx":
        output.write_bytes(answer_xlsx(answer))
    else:
        output.write_text(answer_csv(answer), encoding="utf-8")
    console.print(f"wrote {answer.cell_count} values to {output}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default GOVOPS_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Default GOVOPS_PORT")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Server processes sharing the port: one per core answers more at once. "
            "Each keeps its own answer cache and runs the exchange's jobs in turn with the "
            "others",
        ),
    ] = 1,
) -> None:
    """Run the web server (the schema is brought up to date first)."""
    settings = get_settings()
    _sessions(settings)
    _run_server(settings, host or settings.host, port or settings.port, workers)


@app.command()
def worker(
    tick: Annotated[float, typer.Option(help="Seconds between looks for due jobs")] = 1.0,
    forecasts: Annotated[
        bool, typer.Option(help="Forecast the indicators that receive new data, as it arrives")
    ] = True,
    forecast_every: Annotated[
        float, typer.Option(help="Seconds between looks for new data to forecast", min=1)
    ] = 60.0,
) -> None:
    """Run the background jobs: pulls, webhooks, health checks and new forecasts.

    As many workers as wanted may run; each job runs on one of them at a time. Forecasts
    of newly arrived data are made here, so the web server never loads the forecasting
    libraries.
    """
    from govops.exchange.scheduler import run_worker
    from govops.forecasting.follow import Follower

    sessions = _sessions()
    follower = Follower(sessions, every=forecast_every) if forecasts else None
    if follower is not None:
        follower.start()
    console.print("exchange worker running; Ctrl-C to stop")
    try:
        run_worker(sessions, tick_seconds=tick)
    finally:
        if follower is not None:
            follower.stop()


def _run_server(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    from govops.web.app import create_served_app

    console.print(
        f"govops on http://{host}:{port}/  (API documentation: http://{host}:{port}/api/v1/docs)"
    )
    if workers > 1:
        # Each process builds its own application from the environment's settings.
        uvicorn.run(
            "govops.web.app:create_served_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="warning",
        )
        return
    application = create_served_app(settings)
    uvicorn.run(application, host=host, port=port, log_level="warning")


@app.command()
def demo(
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the demo when it is ready")
    ] = True,
    fresh: Annotated[bool, typer.Option(help="Delete the demo store and build it anew")] = False,
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    simulate_agencies: Annotated[
        bool, typer.Option(help="Agencies' systems push data on their flows' schedules")
    ] = False,
) -> None:
    """Build the demo store (published and generated figures, clearly marked) and serve it."""
    from govops.demo.build import build_demo, demo_is_loaded

    # The demo's accounts have published passwords; they work in demo mode alone.
    settings = get_settings().model_copy(update={"mode": Mode.DEMO})
    if fresh and settings.database_url is None:
        for suffix in ("", "-wal", "-shm"):
            Path(str(settings.data_dir / "govops.sqlite") + suffix).unlink(missing_ok=True)
    sessions = _sessions(settings)
    started = datetime.now()
    with sessions() as session:
        loaded = demo_is_loaded(session)
    if loaded:
        console.print("the demo data is already loaded (use --fresh to rebuild it)")
    else:
        build_demo(sessions, console=err_console)
        console.print(f"demo ready in {(datetime.now() - started).total_seconds():.0f} s")
    _show_demo_access(sessions)
    if serve_after:
        if simulate_agencies:
            from govops.exchange.demo import simulate_agencies as simulate

            simulate(sessions, f"http://{host or settings.host}:{port or settings.port}")
        _run_server(settings, host or settings.host, port or settings.port)


def _show_demo_access(sessions: sessionmaker[Session]) -> None:
    from govops.demo.users import DEMO_PASSWORD, create_demo_users, issue_demo_keys

    with transaction(sessions) as session:
        users = create_demo_users(session)
        keys = issue_demo_keys(session, users)
    names = ", ".join(user.username for user in users)
    console.print(f"demo accounts (password {DEMO_PASSWORD}): {names}")
    for username, secret in keys.items():
        console.print(f"demo API key of {username} (shown once): {secret}")


if __name__ == "__main__":
    app()
