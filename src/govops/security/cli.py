"""The command lines `govops users`, `govops keys` and `govops audit`.

Whoever runs them holds the database credentials; the audit log records their work as
done by "command line" from "local".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from govops.catalog.models import Agency
from govops.core.db import create_db_engine, now_utc, session_factory, transaction
from govops.core.errors import GovopsError, InvalidRequest
from govops.core.migrate import upgrade
from govops.core.settings import get_settings
from govops.security import accounts, audit, keys, totp
from govops.security.models import ApiKey, User
from govops.security.passwords import generate_password
from govops.security.permissions import parse_clearance, parse_permissions, parse_role
from govops.security.sessions import end_sessions_of

users_app = typer.Typer(help="People's accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys and personal access tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log: verify it, export it.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)
BY = audit.COMMAND_LINE


@contextmanager
def _database() -> Iterator[sessionmaker[Session]]:
    """Sessions on the configured database, its schema brought up to date first; the
    connections are closed when the command is done."""
    engine = create_db_engine(get_settings().resolved_database_url)
    try:
        upgrade(engine)
        yield session_factory(engine)
    finally:
        engine.dispose()


@contextmanager
def _writing() -> Iterator[Session]:
    with _database() as sessions, transaction(sessions) as session:
        yield session


@contextmanager
def _reading() -> Iterator[Session]:
    with _database() as sessions, sessions() as session:
        yield session


def _fail(error: GovopsError) -> NoReturn:
    err_console.print(f"[red]error:[/red] {error}")
    raise typer.Exit(code=1)


def _agency_id(session: Session, code: str | None) -> int | None:
    if code is None:
        return None
    agency_id = session.scalar(select(Agency.id).where(Agency.code == code))
    if agency_id is None:
        raise InvalidRequest(
            f"agency '{code}' does not exist; see its code in the catalogue", field="agency"
        )
    return agency_id


def _agency_codes(session: Session) -> dict[int, str]:
    return {agency_id: code for agency_id, code in session.execute(select(Agency.id, Agency.code))}


def _local(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d %H:%M")


# --- users ----------------------------------------------------------------------------


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="Lower-case letters, digits, . _ -")],
    name: Annotated[str, typer.Option("--name", help="The person's full name")],
    role: Annotated[
        str,
        typer.Option(
            help="administrator, leader, analyst, agency_officer, "
            "integration_engineer, auditor or viewer"
        ),
    ],
    agency: Annotated[
        str | None, typer.Option(help="Agency code; none for the Government Office")
    ] = None,
    email: Annotated[str | None, typer.Option()] = None,
    clearance: Annotated[str, typer.Option(help="public, internal or restricted")] = "public",
    demo: Annotated[bool, typer.Option("--demo", help="A demo account (demo mode only)")] = False,
) -> None:
    """Create an account with a random password, shown once, to be changed at first use."""
    password = generate_password()
    try:
        with _writing() as session:
            new = accounts.NewUser(
                username=username,
                display_name=name,
                role=parse_role(role),
                email=email,
                agency_id=_agency_id(session, agency),
                clearance=parse_clearance(clearance),
                is_demo=demo,
            )
            accounts.create_user(session, new, password, by=BY)
    except GovopsError as error:
        _fail(error)
    console.print(
        f"created {username} ({role}); password, shown this once and to be "
        f"changed at the first sign-in: {password}"
    )


@users_app.command("list")
def users_list(agency: Annotated[str | None, typer.Option(help="Agency code")] = None) -> None:
    """List accounts with their role, agency, clearance and state."""
    try:
        with _reading() as session:
            users = accounts.list_users(session, agency_id=_agency_id(session, agency))
            codes = _agency_codes(session)
    except GovopsError as error:
        _fail(error)
    table = Table(
        "username", "name", "role", "agency", "clearance", "state", "second factor", "last sign-in"
    )
    for user in users:
        table.add_row(
            user.username,
            user.display_name,
            user.role,
            codes.get(user.agency_id or 0, "-"),
            user.clearance,
            _state(user),
            "yes" if user.has_second_factor else "no",
            _local(user.last_sign_in_at),
        )
    console.print(table)


def _state(user: User) -> str:
    states = ["disabled" if user.disabled else "active"]
    if user.is_demo:
        states.append("demo")
    if user.must_change_password:
        states.append("must change password")
    return ", ".join(states)


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Refuse the account's sign-ins and personal tokens from now on."""
    _change_user(username, accounts.disable_user, "disabled")


@users_app.command("enable")
def users_enable(username: str) -> None:
    """Let a disabled account sign in again."""
    _change_user(username, accounts.enable_user, "enabled")


def _change_user(username: str, change: Callable[..., None], done: str) -> None:
    try:
        with _writing() as session:
            change(session, accounts.get_user(session, username), by=BY)
    except GovopsError as error:
        _fail(error)
    console.print(f"{username} {done}")


@users_app.command("reset-password")
def users_reset_password(username: str) -> None:
    """Give the account a random password, shown once, to be changed at the next sign-in."""
    try:
        with _writing() as session:
            password = accounts.reset_password(
                session, accounts.get_user(session, username), by=BY
            )
    except GovopsError as error:
        _fail(error)
    console.print(f"new password of {username}, shown this once: {password}")


@users_app.command("remove-second-factor")
def users_remove_second_factor(username: str) -> None:
    """Forget a lost device: the person's sessions end, and they enrol again at sign-in."""
    try:
        with _writing() as session:
            user = accounts.get_user(session, username)
            totp.remove_second_factor(session, user, by=BY)
            ended = end_sessions_of(session, user.id)
    except GovopsError as error:
        _fail(error)
    console.print(f"second factor of {username} removed; {ended} signed-in sessions ended")


@users_app.command("second-factor-policy")
def users_second_factor_policy(
    role: Annotated[str, typer.Argument(help="administrator, leader, analyst, ...")],
    required: Annotated[
        bool, typer.Option("--required/--optional", help="Whether the role must use one")
    ],
) -> None:
    """Require a second factor of everyone of a role, or make it optional for them."""
    try:
        with _writing() as session:
            totp.set_second_factor_requirement(session, parse_role(role), required, by=BY)
    except GovopsError as error:
        _fail(error)
    console.print(f"second factor {'required' if required else 'optional'} for {role}")


# --- keys -----------------------------------------------------------------------------


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="What the key is for")],
    scope: Annotated[list[str], typer.Option("--scope", help="A permission; repeat for more")],
    agency: Annotated[str | None, typer.Option(help="API key for this agency's system")] = None,
    user: Annotated[str | None, typer.Option(help="Personal token of this user")] = None,
    days: Annotated[int, typer.Option(help="Days until it expires")] = 90,
    clearance: Annotated[
        str | None,
        typer.Option(
            help="public, internal or restricted; "
            "default public for an API key, the "
            "owner's for a token"
        ),
    ] = None,
) -> None:
    """Create an API key (--agency) or a personal token (--user); the secret is shown once."""
    if (agency is None) == (user is None):
        err_console.print("[red]error:[/red] give either --agency or --user")
        raise typer.Exit(code=2)
    try:
        with _writing() as session:
            request = keys.KeyRequest(
                name,
                parse_permissions(scope),
                now_utc() + timedelta(days),
                parse_clearance(clearance) if clearance else None,
            )
            if user is not None:
                owner = accounts.get_user(session, user)
                issued = keys.create_personal_token(session, owner, request, by=BY)
            else:
                agency_id = _agency_id(session, agency)
                assert agency_id is not None
                issued = keys.create_api_key(session, request, agency_id=agency_id, by=BY)
    except GovopsError as error:
        _fail(error)
    console.print(
        f"key {issued.key.id} created, expires {_local(issued.key.expires_at)}; "
        f"its secret, shown this once:\n{issued.secret}"
    )


@keys_app.command("list")
def keys_list(agency: Annotated[str | None, typer.Option(help="Agency code")] = None) -> None:
    """List keys with their scopes, expiry, state and last use (never their secrets)."""
    try:
        with _reading() as session:
            found = keys.list_keys(session, agency_id=_agency_id(session, agency))
            codes = _agency_codes(session)
            owners = {key.id: key.user.username for key in found if key.user is not None}
    except GovopsError as error:
        _fail(error)
    table = Table("id", "prefix", "kind", "name", "for", "scopes", "expires", "state", "last used")
    for key in found:
        holder = owners.get(key.id) or codes.get(key.agency_id or 0, "-")
        table.add_row(
            str(key.id),
            key.prefix + "…",
            key.kind,
            key.name,
            holder,
            key.scopes,
            _local(key.expires_at),
            _key_state(key),
            _local(key.last_used_at),
        )
    console.print(table)


def _key_state(key: ApiKey) -> str:
    if key.revoked_at is not None:
        return "revoked"
    return "expired" if key.expires_at <= now_utc() else "active"


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="The key's id (keys list)")]) -> None:
    """Refuse the key from now on."""
    try:
        with _writing() as session:
            key = keys.get_key(session, key_id)
            keys.revoke_key(session, key, by=BY)
            prefix = key.prefix
    except GovopsError as error:
        _fail(error)
    console.print(f"key {key_id} ({prefix}…) revoked")


# --- audit ----------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify() -> None:
    """Check every entry of the log against its hash and its place in the chain."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with _reading() as session:
        total = audit.count_entries(session)
        with Progress(*columns, console=err_console) as progress:
            task = progress.add_task("verifying the audit log", total=total)
            report = audit.verify_chain(session, progress=lambda n: progress.advance(task, n))
    broken = report.first_break
    if broken is not None:
        err_console.print(
            f"[red]the audit log is broken at entry {broken.sequence} "
            f"({broken.problem}):[/red] {broken.detail}"
        )
        err_console.print(f"entries 1 to {report.last_sequence} are intact")
        raise typer.Exit(code=1)
    console.print(
        f"{report.checked:,} entries checked; the chain is intact. Head: entry "
        f"{report.last_sequence}, hash {report.head_hash}. Keep the head to check "
        "later that no entry was removed from the end."
    )


@audit_app.command("export")
def audit_export(
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file to write")],
    user: Annotated[str | None, typer.Option(help="Username of the actor")] = None,
    agency: Annotated[str | None, typer.Option(help="Agency code")] = None,
    action: Annotated[str | None, typer.Option(help="An action, such as user.create")] = None,
    since: Annotated[
        str | None, typer.Option(help="From this day (2025-07-01) or instant (ISO 8601 with zone)")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="To this day, included, or before this instant")
    ] = None,
) -> None:
    """Write audit entries to CSV, oldest first, filtered; the export is itself recorded."""
    settings = get_settings()
    try:
        with _writing() as session:
            wanted = audit.AuditFilter(
                user_id=accounts.get_user(session, user).id if user else None,
                agency_id=_agency_id(session, agency),
                action=action,
                since=_instant(since, field="since", next_day=False),
                until=_instant(until, field="until", next_day=True),
            )
            with output.open("w", encoding="utf-8", newline="") as out:
                count = audit.export_csv(session, out, wanted, by=BY, timezone=settings.timezone)
    except GovopsError as error:
        _fail(error)
    console.print(f"wrote {count} entries to {output}")


def _instant(text: str | None, *, field: str, next_day: bool) -> datetime | None:
    """A day is read in Viet Nam's time; ``next_day`` makes a day's end exclusive."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text) + timedelta(days=1 if next_day else 0)
            zone = ZoneInfo(get_settings().timezone)
            return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(
            f"{field} '{text}' is not a day like 2025-07-01 or an ISO 8601 instant", field=field
        ) from None
    if moment.tzinfo is None:
        raise InvalidRequest(f"{field} '{text}' has no time zone; add +07:00 or Z", field=field)
    return moment.astimezone(UTC)
