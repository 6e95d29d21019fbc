"""Roles, permissions, clearance and agency scope: who may do what.

The whole policy is the table ``ROLES`` below; every check in govops is answered from
it, through :func:`has_permission`, :func:`can_read_classification` and
:func:`can_write_for_agency`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from govops.core.errors import InvalidRequest
from govops.security.errors import PermissionDenied

Choice = TypeVar("Choice", bound=StrEnum)


class Permission(StrEnum):
    CATALOG_READ = "catalog:read"
    CATALOG_WRITE = "catalog:write"
    DATA_READ = "data:read"
    DATA_WRITE = "data:write"
    DATA_EXPORT = "data:export"
    USERS_MANAGE = "users:manage"
    KEYS_MANAGE = "keys:manage"
    AUDIT_READ = "audit:read"
    AUDIT_EXPORT = "audit:export"
    TASKS_READ = "tasks:read"
    TASKS_ASSIGN = "tasks:assign"
    TASKS_REPORT = "tasks:report"
    TARGETS_WRITE = "targets:write"
    FORECASTS_RUN = "forecasts:run"
    ALERTS_MANAGE = "alerts:manage"
    EXCHANGE_READ = "exchange:read"
    EXCHANGE_MANAGE = "exchange:manage"
    EXCHANGE_SUBSCRIBE = "exchange:subscribe"


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    LEADER = "leader"
    ANALYST = "analyst"
    AGENCY_OFFICER = "agency_officer"
    INTEGRATION_ENGINEER = "integration_engineer"
    AUDITOR = "auditor"
    VIEWER = "viewer"


class Clearance(StrEnum):
    """How sensitive an indicator is, and how much of that a person may read."""

    PUBLIC = "public"
    INTERNAL = "internal"
    RESTRICTED = "restricted"

    @property
    def rank(self) -> int:
        return list(Clearance).index(self)


class Scope(StrEnum):
    """For which agencies a role writes: every agency, or only its own."""

    EVERY_AGENCY = "every agency"
    OWN_AGENCY = "own agency"


@dataclass(frozen=True)
class RoleRule:
    permissions: frozenset[Permission]
    scope: Scope
    # Whether the role must sign in with a second factor unless an administrator has
    # changed that for the role (see govops.security.totp).
    second_factor: bool


P = Permission
EVERY_PERMISSION = frozenset(Permission)

ROLES: dict[Role, RoleRule] = {
    Role.ADMINISTRATOR: RoleRule(EVERY_PERMISSION, Scope.EVERY_AGENCY, second_factor=True),
    Role.LEADER: RoleRule(
        frozenset(
            {
                P.CATALOG_READ,
                P.DATA_READ,
                P.DATA_EXPORT,
                P.AUDIT_READ,
                P.TASKS_READ,
                P.ALERTS_MANAGE,
                P.EXCHANGE_READ,
            }
        ),
        Scope.OWN_AGENCY,
        second_factor=True,
    ),
    # The Government Office's specialists: they register directives and their tasks,
    # decide extensions, keep targets and run forecasts.
    Role.ANALYST: RoleRule(
        frozenset(
            {
                P.CATALOG_READ,
                P.CATALOG_WRITE,
                P.DATA_READ,
                P.DATA_EXPORT,
                P.TASKS_READ,
                P.TASKS_ASSIGN,
                P.TARGETS_WRITE,
                P.FORECASTS_RUN,
                P.ALERTS_MANAGE,
                P.EXCHANGE_READ,
            }
        ),
        Scope.OWN_AGENCY,
        second_factor=False,
    ),
    Role.AGENCY_OFFICER: RoleRule(
        frozenset(
            {
                P.CATALOG_READ,
                P.DATA_READ,
                P.DATA_WRITE,
                P.DATA_EXPORT,
                P.TASKS_READ,
                P.TASKS_REPORT,
            }
        ),
        Scope.OWN_AGENCY,
        second_factor=False,
    ),
    Role.INTEGRATION_ENGINEER: RoleRule(
        frozenset(
            {
                P.CATALOG_READ,
                P.DATA_READ,
                P.DATA_WRITE,
                P.KEYS_MANAGE,
                P.EXCHANGE_READ,
                P.EXCHANGE_MANAGE,
                P.EXCHANGE_SUBSCRIBE,
            }
        ),
        Scope.OWN_AGENCY,
        second_factor=False,
    ),
    Role.AUDITOR: RoleRule(
        frozenset({P.CATALOG_READ, P.AUDIT_READ, P.AUDIT_EXPORT}),
        Scope.OWN_AGENCY,
        second_factor=False,
    ),
    Role.VIEWER: RoleRule(
        frozenset({P.CATALOG_READ, P.DATA_READ}), Scope.OWN_AGENCY, second_factor=False
    ),
}

# Roles whose accounts must belong to an agency: they act for it, and their writes are
# limited to it. Administrators and leaders of the Government Office may have none.
AGENCY_BOUND_ROLES = frozenset({Role.AGENCY_OFFICER, Role.INTEGRATION_ENGINEER})


@dataclass(frozen=True)
class Principal:
    """Who is acting: a person signed in, a person's token, or an agency's system key.

    ``permissions`` are already narrowed to a token's scopes, so checks never need to
    know how the principal was authenticated.
    """

    name: str
    permissions: frozenset[Permission]
    clearance: Clearance
    agency_id: int | None
    scope: Scope
    role: Role | None = None
    user_id: int | None = None
    key_id: int | None = None


def principal_for(
    *,
    name: str,
    role: Role,
    clearance: Clearance,
    agency_id: int | None,
    user_id: int | None = None,
) -> Principal:
    rule = ROLES[role]
    return Principal(
        name=name,
        permissions=rule.permissions,
        clearance=clearance,
        agency_id=agency_id,
        scope=rule.scope,
        role=role,
        user_id=user_id,
    )


# Whoever runs the command line on the server holds the database credentials, and so
# every power already; the audit log still records what they did under this name.
OPERATOR = Principal(
    name="command line",
    permissions=EVERY_PERMISSION,
    clearance=Clearance.RESTRICTED,
    agency_id=None,
    scope=Scope.EVERY_AGENCY,
)


def has_permission(principal: Principal, permission: Permission) -> bool:
    return permission in principal.permissions


def require_permission(principal: Principal, permission: Permission) -> None:
    """Raise :class:`PermissionDenied` unless the principal holds the permission."""
    if not has_permission(principal, permission):
        raise PermissionDenied(
            f"{principal.name} lacks the permission {permission.value}",
            permission=permission.value,
        )


def can_read_classification(
    principal: Principal, classification: str, *, owner_agency_id: int | None = None
) -> bool:
    """Whether the principal may read an indicator of this classification.

    An agency always reads what it owns, whatever its people's clearance. A
    classification govops does not know is treated as restricted, so a typo in the
    catalogue hides data rather than opening it.
    """
    if owner_agency_id is not None and owner_agency_id == principal.agency_id:
        return True
    try:
        needed = Clearance(classification)
    except ValueError:
        needed = Clearance.RESTRICTED
    return principal.clearance.rank >= needed.rank


def can_write_for_agency(
    principal: Principal,
    agency_id: int | None,
    permission: Permission = Permission.DATA_WRITE,
) -> bool:
    """Whether the principal may write, with ``permission``, on behalf of the agency.

    Sub-units of an agency (its ``parent_id`` children) count as other agencies here.
    """
    if not has_permission(principal, permission):
        return False
    if principal.scope is Scope.EVERY_AGENCY:
        return True
    return agency_id is not None and agency_id == principal.agency_id


def parse_role(name: str, *, field: str = "role") -> Role:
    return _choose(Role, name, field)


def parse_clearance(name: str, *, field: str = "clearance") -> Clearance:
    return _choose(Clearance, name, field)


def parse_permissions(names: list[str], *, field: str = "scopes") -> frozenset[Permission]:
    return frozenset(_choose(Permission, name, field) for name in names)


def _choose(kind: type[Choice], name: str, field: str) -> Choice:
    try:
        return kind(name.strip())
    except ValueError:
        known = ", ".join(member.value for member in kind)
        raise InvalidRequest(
            f"{field} '{name}' is not one of {known}", field=field, value=name
        ) from None
