"""Bearer tokens: API keys for agencies' systems, personal access tokens for people.

A token is ``gov_`` and 32 random bytes (URL-safe base64). It is shown once; govops
keeps its SHA-256, which is enough for a secret that long (there is nothing to guess
from a dictionary, so a slow hash would only slow every request). A token's scopes are
a subset of what its creator may do, and of what its owner may do for a personal token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from govops.catalog.models import Agency
from govops.core.db import now_utc
from govops.core.errors import InvalidRequest, NotFound
from govops.core.settings import Mode
from govops.core.text import nfc
from govops.security import audit
from govops.security.accounts import check_account_usable, principal_of
from govops.security.errors import (
    ExpiredToken,
    PermissionDenied,
    RevokedToken,
    UnknownToken,
)
from govops.security.models import ApiKey, User
from govops.security.permissions import (
    Clearance,
    Permission,
    Principal,
    Scope,
    can_write_for_agency,
    require_permission,
)

TOKEN_PREFIX = "gov_"
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
MAX_LIFETIME = timedelta(days=730)
# Recording every use would write on every request; a minute is precise enough to see
# whether a key is still in use.
LAST_USED_PRECISION = timedelta(minutes=1)


class KeyKind(StrEnum):
    API_KEY = "api-key"
    PERSONAL = "personal"


@dataclass(frozen=True)
class IssuedKey:
    """A new key and its secret, which is shown once and never stored."""

    key: ApiKey
    secret: str


@dataclass(frozen=True)
class KeyRequest:
    name: str
    scopes: frozenset[Permission]
    expires_at: datetime
    # None: public for an API key, the owner's clearance for a personal token.
    clearance: Clearance | None = None


def create_api_key(
    session: Session, request: KeyRequest, *, agency_id: int, by: audit.Actor
) -> IssuedKey:
    """A key for an agency's system, acting for that agency and nothing more."""
    creator = by.principal
    require_permission(creator, Permission.KEYS_MANAGE)
    if session.get(Agency, agency_id) is None:
        raise InvalidRequest(f"agency {agency_id} does not exist", field="agency")
    if not can_write_for_agency(creator, agency_id, Permission.KEYS_MANAGE):
        raise PermissionDenied(
            f"{creator.name} may create keys for their own agency only", field="agency"
        )
    clearance = request.clearance or Clearance.PUBLIC
    _check_request(request, granted=creator.permissions, clearance=creator.clearance)
    return _issue(session, request, KeyKind.API_KEY, by, clearance, agency_id=agency_id)


def create_personal_token(
    session: Session, user: User, request: KeyRequest, *, by: audit.Actor
) -> IssuedKey:
    """A token that acts as ``user``, within the scopes asked for; for the user alone,
    or made for them by someone holding ``users:manage``."""
    if by.principal.user_id != user.id:
        require_permission(by.principal, Permission.USERS_MANAGE)
    owner = principal_of(user)
    clearance = request.clearance or owner.clearance
    _check_request(request, granted=owner.permissions, clearance=owner.clearance)
    return _issue(
        session,
        request,
        KeyKind.PERSONAL,
        by,
        clearance,
        agency_id=user.agency_id,
        user_id=user.id,
    )


def _check_request(
    request: KeyRequest, *, granted: frozenset[Permission], clearance: Clearance
) -> None:
    if not request.name.strip():
        raise InvalidRequest("name is empty; say what the key is for", field="name")
    if not request.scopes:
        raise InvalidRequest("scopes is empty; grant at least one permission", field="scopes")
    beyond = sorted(scope.value for scope in request.scopes - granted)
    if beyond:
        raise PermissionDenied(
            f"scopes {', '.join(beyond)} exceed what may be granted", field="scopes"
        )
    if request.clearance is not None and request.clearance.rank > clearance.rank:
        raise PermissionDenied(
            f"clearance {request.clearance.value} exceeds {clearance.value}", field="clearance"
        )
    now = now_utc()
    if not now < request.expires_at <= now + MAX_LIFETIME:
        raise InvalidRequest(
            f"expires_at {request.expires_at.isoformat()} must be in the future and within "
            f"{MAX_LIFETIME.days} days",
            field="expires_at",
        )


def _issue(
    session: Session,
    request: KeyRequest,
    kind: KeyKind,
    by: audit.Actor,
    clearance: Clearance,
    *,
    agency_id: int | None,
    user_id: int | None = None,
) -> IssuedKey:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        kind=kind.value,
        name=nfc(request.name.strip()),
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        secret_hash=token_hash(secret),
        scopes=" ".join(sorted(scope.value for scope in request.scopes)),
        user_id=user_id,
        agency_id=agency_id,
        clearance=clearance.value,
        created_by_id=by.principal.user_id,
        created_at=now_utc(),
        expires_at=request.expires_at,
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        "key.create",
        by=by,
        object_type="key",
        object_id=key.id,
        agency_id=agency_id,
        summary=f"{kind.value} {key.prefix}… '{key.name}': {key.scopes}, "
        f"until {key.expires_at.date().isoformat()}",
    )
    return IssuedKey(key, secret)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def get_key(session: Session, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no key {key_id}", field="key")
    return key


def list_keys(
    session: Session, *, agency_id: int | None = None, user_id: int | None = None
) -> list[ApiKey]:
    statement = select(ApiKey).order_by(ApiKey.id)
    if agency_id is not None:
        statement = statement.where(ApiKey.agency_id == agency_id)
    if user_id is not None:
        statement = statement.where(ApiKey.user_id == user_id)
    return list(session.scalars(statement))


def revoke_key(session: Session, key: ApiKey, *, by: audit.Actor) -> None:
    """Refuse the key from now on; revoking it again changes nothing."""
    if by.principal.user_id is None or by.principal.user_id != key.user_id:
        require_permission(by.principal, Permission.KEYS_MANAGE)
        if not can_write_for_agency(by.principal, key.agency_id, Permission.KEYS_MANAGE):
            raise PermissionDenied(f"{by.principal.name} may not revoke key {key.id}")
    if key.revoked_at is not None:
        return
    key.revoked_at = now_utc()
    session.flush()
    audit.record(
        session,
        "key.revoke",
        by=by,
        object_type="key",
        object_id=key.id,
        agency_id=key.agency_id,
        summary=f"{key.kind} {key.prefix}… revoked",
    )


def authenticate_token(
    session: Session, token: str, *, mode: Mode = Mode.PRODUCTION, at: datetime | None = None
) -> Principal:
    """Who a bearer token acts as, with its permissions narrowed to its scopes.

    Raises UnknownToken, RevokedToken or ExpiredToken; for a personal token also
    AccountDisabled or DemoAccountRefused when its owner may not act.
    """
    at = at or now_utc()
    # The owner comes in the same query: this runs on every request.
    key = session.scalar(
        select(ApiKey)
        .options(joinedload(ApiKey.user))
        .where(ApiKey.secret_hash == token_hash(token.strip()))
    )
    if key is None:
        raise UnknownToken("the token is not one govops issued")
    if key.revoked_at is not None:
        raise RevokedToken(f"token {key.prefix}… was revoked on {key.revoked_at:%Y-%m-%d}")
    if key.expires_at <= at:
        raise ExpiredToken(f"token {key.prefix}… expired on {key.expires_at:%Y-%m-%d}")
    principal = _principal_of_key(key, mode)
    if key.last_used_at is None or at - key.last_used_at >= LAST_USED_PRECISION:
        key.last_used_at = at  # written when the caller commits; the session shows it dirty
    return principal


def _principal_of_key(key: ApiKey, mode: Mode) -> Principal:
    scopes = frozenset(Permission(name) for name in key.scopes.split())
    clearance = Clearance(key.clearance)
    if key.user is None:
        return Principal(
            name=f"{key.name} ({key.prefix}…)",
            permissions=scopes,
            clearance=clearance,
            agency_id=key.agency_id,
            scope=Scope.OWN_AGENCY,
            key_id=key.id,
        )
    check_account_usable(key.user, mode)
    owner = principal_of(key.user)
    # The owner's role or clearance may have been lowered since the token was made.
    return Principal(
        name=owner.name,
        permissions=owner.permissions & scopes,
        clearance=min(owner.clearance, clearance, key=lambda level: level.rank),
        agency_id=owner.agency_id,
        scope=owner.scope,
        role=owner.role,
        user_id=owner.user_id,
        key_id=key.id,
    )
