"""`govops tasks …` commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

from govops.core.db import create_db_engine, session_factory, transaction
from govops.core.errors import GovopsError, RejectedBatch
from govops.core.migrate import upgrade
from govops.core.periods import Frequency, InvalidPeriodError, Period
from govops.core.settings import get_settings
from govops.security import audit

tasks_app = typer.Typer(help="Directives and tasks.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


@contextmanager
def _writing() -> Iterator[Session]:
    engine = create_db_engine(get_settings().resolved_database_url)
    try:
        upgrade(engine)
        with transaction(session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _fail(error: GovopsError) -> NoReturn:
    err_console.print(f"[red]error:[/red] {error.detail}")
    if isinstance(error, RejectedBatch):
        for row_error in error.row_errors.errors[:50]:
            shown = f" ({row_error.value!r})" if row_error.value else ""
            err_console.print(
                f"  row {row_error.row}, {row_error.field}: {row_error.reason}{shown}"
            )
        if error.row_errors.total > 50:
            err_console.print(f"  … and {error.row_errors.total - 50} more")
    raise typer.Exit(code=1)


@tasks_app.command("template")
def write_template(path: Annotated[Path, typer.Argument(help="XLSX file to write")]) -> None:
    """Write the spreadsheet template for importing tasks."""
    from govops.tasks.spreadsheet import template

    path.write_bytes(template())
    console.print(f"wrote {path}")


@tasks_app.command("import")
def import_file(path: Annotated[Path, typer.Argument(help="XLSX workbook of tasks")]) -> None:
    """Import a workbook of tasks whole, or nothing of it, listing every bad row."""
    from govops.tasks.spreadsheet import import_tasks

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=err_console) as progress, _writing() as session:
            # Rows are checked, then stored: the bar runs through both passes.
            bar = progress.add_task(f"{path.name}: check, then store", total=None)
            report = import_tasks(
                session,
                path,
                by=audit.COMMAND_LINE,
                progress=lambda n: progress.advance(bar, n),
            )
    except GovopsError as error:
        _fail(error)
    console.print(f"imported {report.created} tasks from {report.rows} rows")


@tasks_app.command("publish")
def publish(
    first: Annotated[str, typer.Argument(help="First month, e.g. 2025-M01")],
    last: Annotated[str, typer.Argument(help="Last month, e.g. 2025-M12")],
) -> None:
    """Publish each agency's task scorecard for these months into the datastore."""
    from govops.tasks.publish import publish_scorecards

    try:
        months = Period.span(
            Period.parse_for(first, Frequency.MONTHLY), Period.parse_for(last, Frequency.MONTHLY)
        )
        with _writing() as session:
            done = publish_scorecards(session, months)
    except InvalidPeriodError as error:
        err_console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(code=1) from None
    except GovopsError as error:
        _fail(error)
    console.print(
        f"published {done.months} months for {done.agencies} agencies: "
        f"{done.receipt.stored} new values (submission {done.receipt.submission_id})"
    )


@tasks_app.command("remind")
def remind(
    days: Annotated[str, typer.Option(help="Days before a deadline to remind")] = "7,3,1",
    smtp_host: Annotated[str, typer.Option(help="SMTP server for e-mail")] = "127.0.0.1",
    smtp_port: Annotated[int, typer.Option(help="SMTP port")] = 25,
    sender: Annotated[str, typer.Option(help="From address")] = "govops@localhost",
) -> None:
    """Send one pass of reminders, overdue notices and the digest; each is sent once."""
    from govops.tasks.reminders import Delivery, send_reminders
    from govops.tasks.status import vietnam_today

    try:
        chosen = [int(part) for part in days.split(",") if part.strip()]
    except ValueError:
        err_console.print(f"[red]error:[/red] --days '{days}' is not a list like 7,3,1")
        raise typer.Exit(code=1) from None
    delivery = Delivery(smtp_host=smtp_host, smtp_port=smtp_port, sender=sender)
    with _writing() as session:
        report = send_reminders(session, today=vietnam_today(), delivery=delivery, days=chosen)
    console.print(
        f"sent {report.sent} notices and {report.digests} digests; {report.failed} failed "
        "(tried again at the next pass)"
    )


@tasks_app.command("contact")
def add_contact(
    address: Annotated[str, typer.Argument(help="E-mail address or http(s) webhook URL")],
    agency: Annotated[
        str | None, typer.Option(help="Agency code whose reminders go there; none: digest only")
    ] = None,
    digest: Annotated[bool, typer.Option(help="Also send the leaders' daily digest")] = False,
) -> None:
    """Register where an agency's reminders (or the daily digest) are sent."""
    from govops.tasks.reminders import add_contact as register
    from govops.tasks.service import agency_by_code

    channel = "webhook" if address.startswith(("http://", "https://")) else "e-mail"
    try:
        with _writing() as session:
            agency_id = agency_by_code(session, agency, "agency").id if agency else None
            if agency_id is None and not digest:
                err_console.print(
                    "[red]error:[/red] name an --agency, or --digest for a leader's address"
                )
                raise typer.Exit(code=1)
            contact = register(
                session,
                agency_id=agency_id,
                channel=channel,
                address=address,
                receives_digest=digest,
                by=audit.COMMAND_LINE,
            )
            console.print(f"contact {contact.id}: {channel} {address}")
    except GovopsError as error:
        _fail(error)


@tasks_app.command("contacts")
def list_contacts() -> None:
    """List where reminders and digests are sent."""
    from sqlalchemy import select

    from govops.catalog.models import Agency
    from govops.tasks.models import Contact

    with _writing() as session:
        rows = session.execute(
            select(Contact, Agency.code)
            .outerjoin(Agency, Agency.id == Contact.agency_id)
            .order_by(Contact.id)
        ).all()
        for contact, code in rows:
            digest = " (digest)" if contact.receives_digest else ""
            console.print(
                f"{contact.id}\t{code or '-'}\t{contact.channel}\t{contact.address}{digest}"
            )
