"""People's accounts: creating them, passwords, disabling, and signing in.

Accounts are created by someone holding ``users:manage`` (or the command line); every
change is recorded in the audit log in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govops.catalog.models import Agency
from govops.core.db import now_utc
from govops.core.errors import Conflict, InvalidRequest, NotFound
from govops.core.settings import Mode
from govops.core.text import nfc
from govops.security import audit
from govops.security.errors import (
    AccountDisabled,
    DemoAccountRefused,
    PasswordChangeRequired,
    WeakPassword,
    WrongCredentials,
)
from govops.security.models import User
from govops.security.passwords import (
    check_password_policy,
    generate_password,
    hash_password,
    needs_rehash,
    spend_time_like_a_verification,
    verify_password,
)
from govops.security.permissions import (
    AGENCY_BOUND_ROLES,
    Clearance,
    Permission,
    Principal,
    Role,
    principal_for,
    require_permission,
)

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,79}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+", re.ASCII)
FIRST_ADMINISTRATOR = "admin"


@dataclass(frozen=True)
class NewUser:
    username: str
    display_name: str
    role: Role
    email: str | None = None
    agency_id: int | None = None
    clearance: Clearance = Clearance.PUBLIC
    is_demo: bool = False


def create_user(
    session: Session,
    new: NewUser,
    password: str,
    *,
    by: audit.Actor,
    must_change_password: bool = True,
) -> User:
    """Create an account; its password must pass the policy, and by default its owner
    changes it at the first sign-in."""
    require_permission(by.principal, Permission.USERS_MANAGE)
    agency = _check_new_user(session, new)
    check_password_policy(password, username=new.username)
    now = now_utc()
    user = User(
        username=new.username,
        display_name=nfc(new.display_name.strip()),
        email=new.email,
        agency_id=new.agency_id,
        role=new.role.value,
        clearance=new.clearance.value,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
        disabled=False,
        is_demo=new.is_demo,
        password_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    where = agency.code if agency else "no agency"
    demo = ", demo account" if new.is_demo else ""
    _record(
        session,
        "user.create",
        user,
        by,
        f"{user.username}: {new.role.value}, {where}, clearance {new.clearance.value}{demo}",
    )
    return user


def _check_new_user(session: Session, new: NewUser) -> Agency | None:
    if not USERNAME.fullmatch(new.username):
        raise InvalidRequest(
            f"username '{new.username}' must be 3 to 80 characters: lower-case letters, "
            "digits, '.', '_' or '-', starting with a letter or digit",
            field="username",
        )
    if session.scalar(select(User.id).where(User.username == new.username)) is not None:
        raise Conflict(f"username '{new.username}' is taken", field="username")
    if not new.display_name.strip() or len(new.display_name) > 200:
        raise InvalidRequest(
            "display name must be the person's name, 1 to 200 characters", field="display_name"
        )
    if new.email is not None and (len(new.email) > 254 or not EMAIL.fullmatch(new.email)):
        raise InvalidRequest(f"e-mail '{new.email[:300]}' is not an address", field="email")
    if new.agency_id is None:
        if new.role in AGENCY_BOUND_ROLES:
            raise InvalidRequest(f"a {new.role.value} must belong to an agency", field="agency")
        return None
    agency = session.get(Agency, new.agency_id)
    if agency is None:
        raise InvalidRequest(f"agency {new.agency_id} does not exist", field="agency")
    return agency


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user '{username}'", field="username")
    return user


def list_users(session: Session, *, agency_id: int | None = None) -> list[User]:
    statement = select(User).order_by(User.username)
    if agency_id is not None:
        statement = statement.where(User.agency_id == agency_id)
    return list(session.scalars(statement))


def principal_of(user: User) -> Principal:
    return principal_for(
        name=user.username,
        role=Role(user.role),
        clearance=Clearance(user.clearance),
        agency_id=user.agency_id,
        user_id=user.id,
    )


def change_password(
    session: Session, user: User, current: str, new: str, *, by: audit.Actor
) -> None:
    """The owner's change: the current password first, then a new one the policy allows."""
    if not verify_password(user.password_hash, current):
        raise WrongCredentials(field="current_password")
    if new == current:
        raise WeakPassword("the new password is the current one; choose another", rule="reuse")
    check_password_policy(new, username=user.username)
    _set_password(user, new, must_change=False)
    _record(session, "user.password-change", user, by, f"{user.username} changed the password")


def reset_password(session: Session, user: User, *, by: audit.Actor) -> str:
    """A random password, shown once, that the owner must change at the next sign-in."""
    require_permission(by.principal, Permission.USERS_MANAGE)
    password = generate_password()
    _set_password(user, password, must_change=True)
    _record(session, "user.password-reset", user, by, f"password of {user.username} reset")
    return password


def _set_password(user: User, password: str, *, must_change: bool) -> None:
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    user.password_changed_at = user.updated_at = now_utc()


def disable_user(session: Session, user: User, *, by: audit.Actor) -> None:
    """Refuse the account from now on: its sign-ins and its personal tokens."""
    require_permission(by.principal, Permission.USERS_MANAGE)
    if user.role == Role.ADMINISTRATOR and _active_administrators(session) <= 1:
        raise Conflict(
            f"{user.username} is the last active administrator; enable or create another "
            "administrator first",
            field="username",
        )
    user.disabled = True
    user.updated_at = now_utc()
    _record(session, "user.disable", user, by, f"{user.username} disabled")


def enable_user(session: Session, user: User, *, by: audit.Actor) -> None:
    require_permission(by.principal, Permission.USERS_MANAGE)
    user.disabled = False
    user.updated_at = now_utc()
    _record(session, "user.enable", user, by, f"{user.username} enabled")


@dataclass(frozen=True)
class AccessChange:
    """What an administrator changes about an account's access; None leaves it as it is.

    ``agency_id`` is changed only when ``change_agency`` is set, so an account can be
    taken out of its agency (``agency_id=None``)."""

    role: Role | None = None
    clearance: Clearance | None = None
    change_agency: bool = False
    agency_id: int | None = None


def change_access(session: Session, user: User, change: AccessChange, *, by: audit.Actor) -> None:
    """Change an account's role, clearance or agency, recording before and after.

    Its personal tokens follow at once: they act with the owner's current rights.
    """
    require_permission(by.principal, Permission.USERS_MANAGE)
    role = change.role or Role(user.role)
    agency_id = change.agency_id if change.change_agency else user.agency_id
    _check_access(session, user, role, agency_id)

    before = _access_of(session, user)
    user.role = role.value
    user.clearance = (change.clearance or Clearance(user.clearance)).value
    user.agency_id = agency_id
    user.updated_at = now_utc()
    after = _access_of(session, user)
    if after != before:
        session.flush()
        _record(session, "user.access", user, by, f"{user.username}: {before} -> {after}")


def _check_access(session: Session, user: User, role: Role, agency_id: int | None) -> None:
    if agency_id is None and role in AGENCY_BOUND_ROLES:
        raise InvalidRequest(f"a {role.value} must belong to an agency", field="agency")
    if agency_id is not None and session.get(Agency, agency_id) is None:
        raise InvalidRequest(f"agency {agency_id} does not exist", field="agency")
    demoted = user.role == Role.ADMINISTRATOR and role != Role.ADMINISTRATOR
    if demoted and not user.disabled and _active_administrators(session) <= 1:
        raise Conflict(
            f"{user.username} is the last active administrator; make another administrator first",
            field="role",
        )


def _access_of(session: Session, user: User) -> str:
    agency = session.get(Agency, user.agency_id) if user.agency_id is not None else None
    where = agency.code if agency else "no agency"
    return f"{user.role}, {where}, clearance {user.clearance}"


def _active_administrators(session: Session) -> int:
    count = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMINISTRATOR.value, User.disabled.is_(False))
    )
    return count or 0


def check_demo_account(user: User, mode: Mode) -> None:
    """Demo accounts have published passwords: they only work when govops runs as a demo."""
    if user.is_demo and mode != Mode.DEMO:
        raise DemoAccountRefused(
            f"{user.username} is a demo account and govops is running in {mode.value} mode"
        )


def check_account_usable(user: User, mode: Mode) -> None:
    """Raise unless the account may act at all: enabled, and no demo account outside demo."""
    if user.disabled:
        raise AccountDisabled(f"the account {user.username} is disabled; ask an administrator")
    check_demo_account(user, mode)


def require_current_password(user: User) -> None:
    """Until a forced change is done, the owner may do nothing but change the password."""
    if user.must_change_password:
        raise PasswordChangeRequired(f"{user.username} must change the password first")


def create_first_administrator(session: Session) -> tuple[str, str] | None:
    """The first administrator with a random password to show once, or None when an
    administrator exists already (so ``govops init`` can run again harmlessly)."""
    exists = session.scalar(select(User.id).where(User.role == Role.ADMINISTRATOR.value))
    if exists is not None:
        return None
    password = generate_password()
    new = NewUser(
        FIRST_ADMINISTRATOR, "Administrator", Role.ADMINISTRATOR, clearance=Clearance.RESTRICTED
    )
    create_user(session, new, password, by=audit.COMMAND_LINE, must_change_password=True)
    return FIRST_ADMINISTRATOR, password


def _record(session: Session, action: str, user: User, by: audit.Actor, summary: str) -> None:
    audit.record(
        session,
        action,
        by=by,
        object_type="user",
        object_id=user.id,
        summary=summary,
        agency_id=user.agency_id,
    )


def verify_sign_in(session: Session, username: str, password: str, *, mode: Mode) -> User:
    """The account these credentials open, or the reason they open none.

    An unknown username costs as much time as a wrong password, and the account's state
    (disabled, demo) is only told to someone who knew its password.
    """
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        spend_time_like_a_verification()
        raise WrongCredentials()
    if not verify_password(user.password_hash, password):
        raise WrongCredentials()
    check_account_usable(user, mode)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user
