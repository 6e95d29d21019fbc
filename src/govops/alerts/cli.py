"""`govops alerts …` commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from govops.alerts.models import EarlyWarning
from govops.alerts.notify import SmtpServer, add_channel, notify
from govops.alerts.service import RuleSpec, check_steps, create_rule, list_warnings, run_checks
from govops.core.db import create_db_engine, session_factory, transaction
from govops.core.errors import GovopsError
from govops.core.migrate import upgrade
from govops.core.settings import get_settings
from govops.security import audit
from govops.tasks.status import vietnam_today

alerts_app = typer.Typer(help="Warnings.", no_args_is_help=True)
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
    raise typer.Exit(code=1)


@alerts_app.command("check")
def check(
    today: Annotated[
        str | None, typer.Option(help="Check as on this day (YYYY-MM-DD); default today")
    ] = None,
    smtp_host: Annotated[str | None, typer.Option(help="SMTP server for e-mail notices")] = None,
    smtp_port: Annotated[int, typer.Option(help="SMTP port")] = 25,
    mail_from: Annotated[str, typer.Option(help="Sender of e-mail notices")] = "govops@localhost",
) -> None:
    """Run every check once, store what it found, and notify channels of new warnings."""
    day = date.fromisoformat(today) if today else vietnam_today()
    smtp = SmtpServer(smtp_host, smtp_port, mail_from) if smtp_host else None
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with _database() as sessions, transaction(sessions) as session:
        steps = check_steps(session)
        with Progress(*columns, console=err_console) as progress:
            task = progress.add_task("checking", total=len(steps))

            def advance(label: str) -> None:
                progress.update(task, advance=1, description=label)

            report = run_checks(session, today=day, progress=advance, steps=steps)
        new = list(session.scalars(select(EarlyWarning).where(EarlyWarning.id.in_(report.raised))))
        attempts = notify(session, new, smtp=smtp)
    failed = sum(1 for attempt in attempts if not attempt.delivered)
    console.print(
        f"{len(report.raised)} new warning(s), {len(report.updated)} still open, "
        f"{len(report.closed)} closed; {len(attempts) - failed} notice(s) sent, {failed} failed"
    )


@alerts_app.command("list")
def list_command(
    kind: Annotated[str | None, typer.Option(help="Only warnings of this kind")] = None,
) -> None:
    """The warnings inbox: every warning not closed, newest first."""
    with _database() as sessions, sessions() as session:
        warnings = list_warnings(session, kind=kind)
    table = Table("id", "severity", "status", "kind", "warning")
    for warning in warnings:
        table.add_row(
            str(warning.id), warning.severity, warning.status, warning.kind, warning.title_vi
        )
    console.print(table)


@alerts_app.command("rule")
def add_rule(
    kind: Annotated[str, typer.Argument(help="threshold, sudden_change or outside_forecast")],
    indicator: Annotated[str, typer.Argument(help="Indicator code")],
    area: Annotated[str, typer.Argument(help="Area code")],
    params: Annotated[str, typer.Option(help='JSON, e.g. {"above": 120} or {"z": 3}')] = "{}",
    name: Annotated[str | None, typer.Option(help="A name people recognise")] = None,
    severity: Annotated[str, typer.Option(help="minor, moderate, severe, extreme")] = "moderate",
) -> None:
    """Add a rule on one series."""
    try:
        spec = RuleSpec(
            kind,
            name or f"{kind} {indicator} {area}",
            indicator,
            area,
            severity,
            json.loads(params),
        )
        with _database() as sessions, transaction(sessions) as session:
            rule = create_rule(session, spec, today=vietnam_today(), by=BY)
            console.print(f"rule {rule.id} added")
    except GovopsError as error:
        _fail(error)


@alerts_app.command("channel")
def add_notification_channel(
    kind: Annotated[str, typer.Argument(help="email or webhook")],
    address: Annotated[str, typer.Argument(help="E-mail address or URL")],
    min_severity: Annotated[str, typer.Option(help="Least severity to send")] = "moderate",
    secret: Annotated[str | None, typer.Option(help="Webhook signing secret")] = None,
) -> None:
    """Add a place new warnings are sent to."""
    try:
        with _database() as sessions, transaction(sessions) as session:
            channel = add_channel(
                session, kind=kind, address=address, min_severity=min_severity, secret=secret
            )
            console.print(f"channel {channel.id} added")
    except GovopsError as error:
        _fail(error)
