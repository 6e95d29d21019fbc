"""Builders for the security tests: accounts and agencies with only the fields that matter."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from conftest import Store
from govops.catalog.models import Agency
from govops.security import audit
from govops.security.accounts import NewUser, create_user
from govops.security.models import User
from govops.security.permissions import Clearance, Role

# A password the policy accepts: long, not common, not anyone's username.
GOOD_PASSWORD = "lantern-river-paddy-73"
SECURITY_TABLES = [
    "recovery_code",
    "external_identity",
    "web_session",
    "api_key",
    "role_policy",
    "app_user",
    "audit_entry",
]


def left_clean(store: Store) -> Iterator[Store]:
    """The shared reference store, emptied of accounts, keys and audit entries afterwards
    (each test module yields from it in a fixture of its own)."""
    yield store
    with store.engine.begin() as connection:
        for table in SECURITY_TABLES:
            connection.execute(text(f"DELETE FROM {table}"))


def agency_id(session: Session, code: str) -> int:
    return session.scalars(select(Agency.id).where(Agency.code == code)).one()


def new_user(
    session: Session,
    username: str = "lan.nguyen",
    *,
    role: Role = Role.ANALYST,
    agency: str | None = None,
    clearance: Clearance = Clearance.PUBLIC,
    password: str = GOOD_PASSWORD,
    is_demo: bool = False,
    must_change_password: bool = False,
) -> User:
    new = NewUser(
        username=username,
        display_name="Nguyễn Thị Lan",
        role=role,
        agency_id=agency_id(session, agency) if agency else None,
        clearance=clearance,
        is_demo=is_demo,
    )
    return create_user(
        session,
        new,
        password,
        by=audit.COMMAND_LINE,
        must_change_password=must_change_password,
    )
