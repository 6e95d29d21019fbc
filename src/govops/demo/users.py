"""The demo's people: one account per role, marked as demo accounts, and keys to try.

Their password is printed by ``govops demo`` and so is public: govops refuses these
accounts and their tokens whenever it does not run in demo mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.models import Agency
from govops.core.db import now_utc
from govops.security import audit
from govops.security.accounts import NewUser, create_user, principal_of
from govops.security.keys import KeyRequest, create_personal_token
from govops.security.models import User
from govops.security.permissions import Clearance, Role

DEMO_PASSWORD = "demo-sen-vang-2026"
DEMO_KEY_LIFETIME = timedelta(days=30)


@dataclass(frozen=True)
class DemoPerson:
    username: str
    display_name: str
    role: Role
    agency: str | None
    clearance: Clearance


DEMO_PEOPLE = (
    DemoPerson("demo.admin", "Quản trị (demo)", Role.ADMINISTRATOR, None, Clearance.RESTRICTED),
    DemoPerson("demo.leader", "Lãnh đạo (demo)", Role.LEADER, "VPCP", Clearance.RESTRICTED),
    DemoPerson(
        "demo.analyst", "Chuyên viên phân tích (demo)", Role.ANALYST, "VPCP", Clearance.INTERNAL
    ),
    DemoPerson(
        "demo.officer",
        "Cán bộ Bộ Tài chính (demo)",
        Role.AGENCY_OFFICER,
        "MOF",
        Clearance.INTERNAL,
    ),
    DemoPerson(
        "demo.engineer",
        "Kỹ sư tích hợp (demo)",
        Role.INTEGRATION_ENGINEER,
        "MOF",
        Clearance.PUBLIC,
    ),
    DemoPerson("demo.auditor", "Kiểm toán viên (demo)", Role.AUDITOR, None, Clearance.PUBLIC),
    DemoPerson("demo.viewer", "Người xem (demo)", Role.VIEWER, None, Clearance.PUBLIC),
)
# The people whose keys `govops demo` prints, to try the API as each.
KEYED_ROLES = (Role.ANALYST, Role.ADMINISTRATOR)


def create_demo_users(session: Session) -> list[User]:
    """The demo accounts, created on the first call; later calls find them."""
    users = []
    for person in DEMO_PEOPLE:
        user = session.scalar(select(User).where(User.username == person.username))
        if user is None:
            user = create_user(
                session,
                _new_user(session, person),
                DEMO_PASSWORD,
                by=audit.COMMAND_LINE,
                must_change_password=False,
            )
        users.append(user)
    return users


def _new_user(session: Session, person: DemoPerson) -> NewUser:
    agency_id = None
    if person.agency is not None:
        agency_id = session.scalars(select(Agency.id).where(Agency.code == person.agency)).one()
    return NewUser(
        username=person.username,
        display_name=person.display_name,
        role=person.role,
        agency_id=agency_id,
        clearance=person.clearance,
        is_demo=True,
    )


def issue_demo_keys(session: Session, users: list[User]) -> dict[str, str]:
    """A new personal token, with all its owner may do, for each keyed role's account."""
    secrets = {}
    for user in users:
        if Role(user.role) not in KEYED_ROLES:
            continue
        request = KeyRequest(
            "demo key", principal_of(user).permissions, now_utc() + DEMO_KEY_LIFETIME
        )
        issued = create_personal_token(session, user, request, by=audit.COMMAND_LINE)
        secrets[user.username] = issued.secret
    return secrets
