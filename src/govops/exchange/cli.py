"""`govops exchange …` commands: load the registry, replay deliveries, keep the allowlist,
show flow health."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from govops.core.db import create_db_engine, session_factory, transaction
from govops.core.errors import GovopsError
from govops.core.migrate import upgrade
from govops.core.settings import get_settings

exchange_app = typer.Typer(help="The exchange hub.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


@contextmanager
def open_sessions() -> Iterator[sessionmaker[Session]]:
    engine = create_db_engine(get_settings().resolved_database_url)
    try:
        upgrade(engine)
        yield session_factory(engine)
    finally:
        engine.dispose()


@exchange_app.command("load")
def load(path: Annotated[Path, typer.Argument(help="YAML file with members and flows")]) -> None:
    """Create or update members and flows from a file; each entry stands alone."""
    from govops.exchange.registry import load_registry_file

    try:
        with open_sessions() as sessions, transaction(sessions) as session:
            report = load_registry_file(session, path)
    except GovopsError as error:
        err_console.print(f"[red]error:[/red] {error.detail}")
        raise typer.Exit(1) from error
    console.print(
        f"{len(report.created_or_changed)} saved, {len(report.unchanged)} unchanged, "
        f"{len(report.errors)} refused"
    )
    for entry in report.created_or_changed:
        console.print(f"  saved {entry}")
    for refused in report.errors:
        err_console.print(
            f"  [red]{refused['entry']}[/red], {refused['field']}: {refused['reason']}"
        )
    if report.errors:
        raise typer.Exit(1)


@exchange_app.command("replay")
def replay(
    flow: Annotated[str | None, typer.Option(help="Only deliveries of this flow")] = None,
    delivery: Annotated[
        list[int] | None, typer.Option("--delivery", help="Only these deliveries")
    ] = None,
    all_deliveries: Annotated[
        bool, typer.Option("--all", help="Every delivery, not only refused ones")
    ] = False,
) -> None:
    """Process stored payloads again (after a fix in the catalogue or a flow's rules)."""
    from govops.exchange.inbound import replay as replay_deliveries

    with open_sessions() as sessions, Progress(console=err_console, transient=True) as progress:
        progress.add_task("replaying deliveries", total=None)
        try:
            done = replay_deliveries(
                sessions,
                flow_code=flow,
                delivery_ids=delivery or [],
                only_refused=not all_deliveries,
            )
        except GovopsError as error:
            err_console.print(f"[red]error:[/red] {error.detail}")
            raise typer.Exit(1) from error
    table = Table("delivery", "status", "rows", "accepted", "refused")
    for item in done:
        table.add_row(
            str(item.id),
            item.status,
            str(item.row_count),
            str(item.accepted_count),
            str(item.refused_count),
        )
    console.print(table)
    console.print(f"{len(done)} deliveries replayed")


@exchange_app.command("allow-address")
def allow_address(
    pattern: Annotated[str, typer.Argument(help="Host name, IP address or CIDR network")],
    note: Annotated[str | None, typer.Option(help="Why it is allowed")] = None,
) -> None:
    """Let pulls and webhooks reach a private address (refused by default)."""
    from govops.exchange.addresses import allow_address as allow

    with open_sessions() as sessions, transaction(sessions) as session:
        allow(session, pattern, note)
    console.print(f"outbound address {pattern} allowed")


@exchange_app.command("health")
def show_health() -> None:
    """Each flow's state, and live two-way flows against the target."""
    from govops.exchange.health import flow_health, programme_count

    with open_sessions() as sessions, sessions() as session:
        found = flow_health(session)
    table = Table("flow", "provider", "state", "last delivery", "lag (min)", "refused")
    for item in found:
        table.add_row(
            item.flow,
            item.provider,
            item.state.value,
            item.last_delivery_at.isoformat(timespec="minutes") if item.last_delivery_at else "",
            "" if item.lag_minutes is None else str(item.lag_minutes),
            "" if item.refused_row_rate is None else f"{item.refused_row_rate:.1%}",
        )
    console.print(table)
    count = programme_count(found)
    console.print(f"live two-way flows: {count['live_two_way']} of {count['target']}")
