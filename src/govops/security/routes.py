"""Identity and access API: accounts, API keys, and the audit log with its CSV export.

Every change goes through the services of this package, which record it in the audit
log in the same transaction. Callers whose role acts for their own agency only (an
integration engineer, an agency's auditor) manage and read their agency's alone.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.models import Agency
from govops.core.api import (
    MAX_ROW_ID,
    PROBLEM_RESPONSES,
    Problem,
    app_settings,
    db_session,
    parse_instant,
)
from govops.core.errors import InvalidRequest, NotFound
from govops.security import audit
from govops.security.accounts import (
    AccessChange,
    NewUser,
    change_access,
    create_user,
    disable_user,
    enable_user,
    get_user,
    list_users,
)
from govops.security.errors import PermissionDenied
from govops.security.keys import KeyRequest, create_api_key, get_key, list_keys, revoke_key
from govops.security.models import User
from govops.security.passwords import generate_password
from govops.security.permissions import (
    Clearance,
    Permission,
    Principal,
    Scope,
    can_write_for_agency,
)
from govops.security.schemas import (
    PRINTABLE,
    AccessIn,
    AuditEntryOut,
    AuditPage,
    KeyIn,
    KeyOut,
    NewKeyOut,
    NewUserOut,
    UserIn,
    UserOut,
)
from govops.security.web import actor_of, require


def _problem(description: str) -> dict[str, Any]:
    return {
        "model": Problem,
        "description": description,
        "content": {"application/problem+json": {}},
    }


RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    409: _problem("A change that contradicts what is stored"),
    429: _problem("Over the request rate; Retry-After says when to come back"),
}
router = APIRouter(prefix="/api/v1", tags=["identity and access"], responses=RESPONSES)
DbSession = Annotated[Session, Depends(db_session)]
UserManager = Annotated[Principal, require(Permission.USERS_MANAGE)]
KeyManager = Annotated[Principal, require(Permission.KEYS_MANAGE)]
AuditReader = Annotated[Principal, require(Permission.AUDIT_READ)]
AuditExporter = Annotated[Principal, require(Permission.AUDIT_EXPORT)]

Username = Annotated[str, Path(max_length=80, pattern=PRINTABLE)]
AgencyFilter = Annotated[
    str | None, Query(max_length=40, pattern=PRINTABLE, description="Agency code, e.g. BTC")
]
MAX_ID = MAX_ROW_ID


# --- accounts --------------------------------------------------------------------------


@router.post("/users", status_code=201, response_model=NewUserOut)
def create_account(
    body: UserIn, request: Request, session: DbSession, caller: UserManager
) -> NewUserOut:
    """Create an account with a random first password, shown once, to change at first
    sign-in."""
    agency_id = _agency_id(session, body.agency)
    _check_reach(caller, agency_id, Permission.USERS_MANAGE)
    _check_clearance_grant(caller, body.clearance)

    password = generate_password()
    new = NewUser(
        username=body.username,
        display_name=body.display_name,
        role=body.role,
        email=body.email,
        agency_id=agency_id,
        clearance=body.clearance,
    )
    user = create_user(session, new, password, by=actor_of(request, caller))
    session.commit()
    return NewUserOut(user=UserOut.of(user, _agencies(session)), password=password)


@router.get("/users", response_model=list[UserOut])
def list_accounts(
    session: DbSession, caller: UserManager, agency: AgencyFilter = None
) -> list[UserOut]:
    """Accounts in username order, of one agency or of all."""
    agency_id = _agency_id(session, agency)
    agencies = _agencies(session)
    return [UserOut.of(user, agencies) for user in list_users(session, agency_id=agency_id)]


@router.get("/users/{username}", response_model=UserOut)
def read_account(username: Username, session: DbSession, caller: UserManager) -> UserOut:
    """One account: role, agency, clearance, and whether it is usable."""
    user = get_user(session, username)
    return UserOut.of(user, _agencies(session))


@router.patch("/users/{username}", response_model=UserOut)
def change_account_access(
    username: Username, body: AccessIn, request: Request, session: DbSession, caller: UserManager
) -> UserOut:
    """Change the role, clearance or agency of an account; fields left out stay as they are."""
    user = _reachable_user(session, username, caller)
    change = AccessChange(role=body.role, clearance=body.clearance)
    if "agency" in body.model_fields_set:
        agency_id = _agency_id(session, body.agency)
        _check_reach(caller, agency_id, Permission.USERS_MANAGE)
        change = AccessChange(body.role, body.clearance, change_agency=True, agency_id=agency_id)
    if body.clearance is not None:
        _check_clearance_grant(caller, body.clearance)

    change_access(session, user, change, by=actor_of(request, caller))
    session.commit()
    return UserOut.of(user, _agencies(session))


@router.post("/users/{username}/disable", response_model=UserOut)
def disable_account(
    username: Username, request: Request, session: DbSession, caller: UserManager
) -> UserOut:
    """Refuse the account's sign-ins and personal tokens from now on."""
    user = _reachable_user(session, username, caller)
    disable_user(session, user, by=actor_of(request, caller))
    session.commit()
    return UserOut.of(user, _agencies(session))


@router.post("/users/{username}/enable", response_model=UserOut)
def enable_account(
    username: Username, request: Request, session: DbSession, caller: UserManager
) -> UserOut:
    """Let a disabled account sign in again."""
    user = _reachable_user(session, username, caller)
    enable_user(session, user, by=actor_of(request, caller))
    session.commit()
    return UserOut.of(user, _agencies(session))


def _reachable_user(session: Session, username: str, caller: Principal) -> User:
    user = get_user(session, username)
    _check_reach(caller, user.agency_id, Permission.USERS_MANAGE)
    return user


def _check_clearance_grant(caller: Principal, clearance: Clearance) -> None:
    if clearance.rank > caller.clearance.rank:
        raise PermissionDenied(
            f"clearance {clearance.value} exceeds {caller.name}'s own ({caller.clearance.value})",
            field="clearance",
        )


# --- API keys --------------------------------------------------------------------------


@router.post("/keys", status_code=201, response_model=NewKeyOut)
def issue_key(body: KeyIn, request: Request, session: DbSession, caller: KeyManager) -> NewKeyOut:
    """Issue an API key for an agency's system; its secret is in this answer only."""
    agency_id = _known_agency_id(session, body.agency)
    wanted = KeyRequest(
        name=body.name,
        scopes=frozenset(body.scopes),
        expires_at=body.expires_at,
        clearance=body.clearance,
    )
    issued = create_api_key(session, wanted, agency_id=agency_id, by=actor_of(request, caller))
    session.commit()
    return NewKeyOut(key=KeyOut.of(issued.key, _agencies(session)), secret=issued.secret)


@router.get("/keys", response_model=list[KeyOut])
def list_agency_keys(
    session: DbSession, caller: KeyManager, agency: AgencyFilter = None
) -> list[KeyOut]:
    """Keys and personal tokens (never their secrets), of the caller's agency when the
    caller acts for one agency only."""
    agency_id = _scoped_agency(session, caller, agency)
    agencies = _agencies(session)
    return [KeyOut.of(key, agencies) for key in list_keys(session, agency_id=agency_id)]


@router.post("/keys/{key_id}/revoke", response_model=KeyOut)
def revoke_agency_key(
    key_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    request: Request,
    session: DbSession,
    caller: KeyManager,
) -> KeyOut:
    """Refuse the key from now on; revoking a revoked key changes nothing."""
    key = get_key(session, key_id)
    revoke_key(session, key, by=actor_of(request, caller))
    session.commit()
    return KeyOut.of(key, _agencies(session))


# --- audit log -------------------------------------------------------------------------


ActionFilter = Annotated[
    str | None, Query(max_length=60, pattern=PRINTABLE, description="e.g. sign-in.refused")
]
UserFilter = Annotated[
    str | None, Query(max_length=80, pattern=PRINTABLE, description="The actor's username")
]
SinceFilter = Annotated[
    str | None,
    Query(max_length=40, description="From this instant on (ISO 8601; a date: its start)"),
]
UntilFilter = Annotated[
    str | None,
    Query(max_length=40, description="Before this instant (ISO 8601; a date: its end)"),
]


@router.get("/audit", response_model=AuditPage)
def read_audit_log(
    request: Request,
    session: DbSession,
    caller: AuditReader,
    user: UserFilter = None,
    agency: AgencyFilter = None,
    action: ActionFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
    before: Annotated[int | None, Query(ge=1, le=2**62, description="next_before")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    """Entries of the audit log, newest first, filtered by actor, agency, action, time."""
    wanted = _audit_filter(request, session, caller, user, agency, action, since, until)
    found = audit.list_entries(session, wanted, limit=limit + 1, before=before)
    agencies = _agencies(session)
    page = found[:limit]
    return AuditPage(
        entries=[AuditEntryOut.of(entry, agencies) for entry in page],
        next_before=page[-1].sequence if len(found) > limit else None,
    )


@router.get(
    "/audit/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_audit_log(
    request: Request,
    session: DbSession,
    caller: AuditExporter,
    user: UserFilter = None,
    agency: AgencyFilter = None,
    action: ActionFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
) -> Response:
    """The matching entries as CSV, oldest first; the export itself is recorded.

    Known shortcoming: the file is built in memory; for millions of entries use
    `govops audit export` on the server.
    """
    wanted = _audit_filter(request, session, caller, user, agency, action, since, until)
    out = io.StringIO()
    settings = app_settings(request)
    audit.export_csv(
        session, out, wanted, by=actor_of(request, caller), timezone=settings.timezone
    )
    session.commit()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="govops-audit-{stamp}.csv"'},
    )


def _audit_filter(
    request: Request,
    session: Session,
    caller: Principal,
    username: str | None,
    agency: str | None,
    action: str | None,
    since: str | None,
    until: str | None,
) -> audit.AuditFilter:
    zone = ZoneInfo(app_settings(request).timezone)
    return audit.AuditFilter(
        user_id=get_user(session, username).id if username else None,
        agency_id=_scoped_agency(session, caller, agency),
        action=action or None,
        since=_instant(since, field="since", zone=zone, end_of_day=False),
        until=_instant(until, field="until", zone=zone, end_of_day=True),
    )


def _instant(text: str | None, *, field: str, zone: ZoneInfo, end_of_day: bool) -> datetime | None:
    """An instant; a bare date is the start of that day in Viet Nam, or for the end of a
    range the start of the next, so ``until=2025-06-30`` includes the 30th."""
    if text and len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            message = f"{field} '{text}' is not a date like 2025-06-30"
            raise InvalidRequest(message, field=field) from None
        if end_of_day:
            day += timedelta(days=1)
        return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
    return parse_instant(text, field=field)


# --- agencies --------------------------------------------------------------------------


def _agencies(session: Session) -> dict[int, str]:
    return {row.id: row.code for row in session.execute(select(Agency.id, Agency.code))}


def _agency_id(session: Session, code: str | None) -> int | None:
    return None if code is None else _known_agency_id(session, code)


def _known_agency_id(session: Session, code: str) -> int:
    found = session.scalar(select(Agency.id).where(Agency.code == code.strip()))
    if found is None:
        raise NotFound(f"no agency '{code}'; GET /api/v1/agencies lists them", field="agency")
    return found


def _check_reach(caller: Principal, agency_id: int | None, permission: Permission) -> None:
    if not can_write_for_agency(caller, agency_id, permission):
        raise PermissionDenied(f"{caller.name} acts for their own agency only", field="agency")


def _scoped_agency(session: Session, caller: Principal, code: str | None) -> int | None:
    """The agency asked for; a caller bound to one agency gets theirs and no other."""
    asked = _agency_id(session, code)
    if caller.scope is Scope.EVERY_AGENCY or caller.agency_id is None:
        return asked
    if asked is not None and asked != caller.agency_id:
        raise PermissionDenied(f"{caller.name} reads their own agency's only", field="agency")
    return caller.agency_id
