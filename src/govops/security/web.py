"""Who is calling the API, and whether they may: the dependency every route declares.

A route names its permission with :func:`require`::

    caller: Annotated[Principal, require(Permission.DATA_READ)]

The permission is a security scope of the bearer scheme, so the OpenAPI document shows
it on the operation, and ``tests/test_architecture.py`` refuses a route without one.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from sqlalchemy.orm import Session

from govops.core.api import app_settings, db_session
from govops.core.db import transaction
from govops.core.errors import GovopsError
from govops.security import audit
from govops.security.errors import MalformedToken, NotAuthenticated
from govops.security.keys import authenticate_token
from govops.security.permissions import Clearance, Permission, Principal, Scope, require_permission
from govops.security.ratelimit import RateLimiter

# Who the audit log names for a request that showed no valid identity.
ANONYMOUS = Principal(
    name="anonymous",
    permissions=frozenset(),
    clearance=Clearance.PUBLIC,
    agency_id=None,
    scope=Scope.OWN_AGENCY,
)

BEARER = HTTPBearer(
    scheme_name="bearer",
    description="An API key or a personal access token (`gov_…`), shown once when made.",
    # Absence and malformed headers are answered as problem details below, not by FastAPI.
    auto_error=False,
)


def authenticated_caller(
    request: Request,
    needed: SecurityScopes,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
    session: Annotated[Session, Depends(db_session)],
) -> Principal:
    """The principal of the request's bearer token, holding every permission ``needed``.

    The token is looked up in the request's own database session (the one its route
    gets), so the check needs no connection of its own.

    Raises NotAuthenticated (401), RateLimited (429) or PermissionDenied (403).
    """
    token = _bearer_token(request, credentials)
    settings = app_settings(request)
    try:
        principal = authenticate_token(session, token, mode=settings.mode)
        # The key's time of last use, about once a minute. The route then starts its own
        # transaction: some routes begin one explicitly on this session.
        session.commit()
    finally:
        if session.in_transaction():
            session.rollback()
    request.state.principal = principal
    rate_limiter(request).check(principal)

    for name in needed.scopes:
        require_permission(principal, Permission(name))
    return principal


def _bearer_token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise NotAuthenticated(
            "no credentials; send the header Authorization: Bearer <token> with an API key "
            "or a personal access token"
        )
    if credentials is None or not credentials.credentials.strip():
        raise MalformedToken(
            "the Authorization header must be 'Bearer <token>', with one space between"
        )
    return credentials.credentials


_limiter_made = threading.Lock()


def rate_limiter(request: Request) -> RateLimiter:
    """The application's limiter, made from its settings on first use."""
    state = request.app.state
    limiter: RateLimiter | None = getattr(state, "rate_limiter", None)
    if limiter is None:
        with _limiter_made:
            limiter = getattr(state, "rate_limiter", None)
            if limiter is None:
                limiter = state.rate_limiter = RateLimiter.from_settings(app_settings(request))
    return limiter


def require(permission: Permission) -> Any:
    """The dependency of a route that needs ``permission``; it answers the principal."""
    return Security(authenticated_caller, scopes=[permission.value])


def actor_of(request: Request, principal: Principal | None = None) -> audit.Actor:
    """The request's caller as the audit log records it, with address and request id."""
    principal = principal or getattr(request.state, "principal", None) or ANONYMOUS
    request_id = getattr(request.state, "request_id", None) or request.headers.get("x-request-id")
    client = request.client.host if request.client else None
    return audit.Actor(principal, client_address=client, request_id=request_id)


def record_refusal(request: Request, error: GovopsError) -> None:
    """Record a 401 or 403 in a transaction of its own: the request fails, the record stays.

    Known shortcoming: requests refused for want of a valid token are not rate-limited
    (the limits are per key), so a flood of them grows the log at the same pace.
    """
    with transaction(request.app.state.sessions) as session:
        audit.record(
            session,
            "access.refused",
            by=actor_of(request),
            object_type="route",
            object_id=f"{request.method} {request.url.path}",
            summary=f"{error.status} {error.code}: {error.detail}",
        )


def record_export(request: Request, caller: Principal, *, indicator: str, summary: str) -> None:
    """Record a download of data, which leaves govops whole, once it has been prepared."""
    with transaction(request.app.state.sessions) as session:
        audit.record(
            session,
            "data.export",
            by=actor_of(request, caller),
            object_type="indicator",
            object_id=indicator,
            summary=summary,
        )
