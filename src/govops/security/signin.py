"""Signing a person in: the password, then the second factor when there is one.

Each step is a transaction of its own, taken from the session factory, so that a
refused attempt is recorded in the audit log even though the attempt itself fails.
What happens between the steps (a session cookie, a page asking for the code) is the
web layer's. Both steps are throttled (govops.security.throttle): repeated failures on
an account or from an address must wait, then are locked out for a while.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from govops.core.db import now_utc, transaction
from govops.core.errors import GovopsError, NotFound
from govops.core.settings import Mode, get_settings
from govops.security import audit, oidc
from govops.security.accounts import check_account_usable, principal_of, verify_sign_in
from govops.security.errors import NotAuthenticated, PermissionDenied
from govops.security.models import User
from govops.security.permissions import Clearance, Principal, Role, Scope
from govops.security.throttle import (
    Failures,
    SignInLimits,
    check_attempt_allowed,
    record_failure,
)
from govops.security.totp import (
    Enrolment,
    SecretBox,
    check_second_factor,
    confirm_enrolment,
    pending_enrolment,
    requires_second_factor,
    start_enrolment,
)

# Who the log names for an attempt on a username that does not exist. What was typed is
# not kept: people type passwords into the username field by mistake.
UNKNOWN_USERNAME = Principal(
    name="unknown username",
    permissions=frozenset(),
    clearance=Clearance.PUBLIC,
    agency_id=None,
    scope=Scope.OWN_AGENCY,
)


class SecondFactorStep(StrEnum):
    NONE = "none"  # signed in with the password alone
    CHECK = "check"  # ask for a code, then call pass_second_factor
    ENROL = "enrol"  # the role requires a second factor the person has not set up yet


@dataclass(frozen=True)
class SignIn:
    """A password accepted, and what the person must still do."""

    user_id: int
    principal: Principal
    second_factor: SecondFactorStep
    must_change_password: bool


@dataclass(frozen=True)
class Origin:
    """Where an attempt came from, as the audit log records it."""

    client_address: str | None = None
    request_id: str | None = None


def sign_in(
    sessions: sessionmaker[Session],
    username: str,
    password: str,
    *,
    mode: Mode,
    origin: Origin,
    limits: SignInLimits | None = None,
    at: datetime | None = None,
) -> SignIn:
    """Check the password; raise the refusal after recording it.

    Raises SignInThrottled or SignInLocked (429), without checking the password, when
    the account or the address has failed too often lately; ``limits`` default to the
    settings'.
    """
    limits = limits or SignInLimits.from_settings(get_settings())
    with transaction(sessions) as session:
        known = _known(session, username)
        counted = _check_throttle(session, limits, known, username, origin, at)
        try:
            user = verify_sign_in(session, username, password, mode=mode)
        except (NotAuthenticated, PermissionDenied) as error:
            refusal: GovopsError = error
            _record_refusal(session, known, refusal, origin, limits, counted)
        else:
            return _password_accepted(session, user, origin)
    raise refusal


def _password_accepted(session: Session, user: User, origin: Origin) -> SignIn:
    return first_factor_accepted(session, user, origin, method="password")


def first_factor_accepted(session: Session, user: User, origin: Origin, *, method: str) -> SignIn:
    """What follows once ``method`` (a password, another provider) has named the person:
    the same second-factor rules whatever the first factor was."""
    if user.has_second_factor:
        step = SecondFactorStep.CHECK
    elif requires_second_factor(session, Role(user.role)):
        step = SecondFactorStep.ENROL
    else:
        step = SecondFactorStep.NONE
    if step is SecondFactorStep.NONE:
        user.last_sign_in_at = now_utc()
    # "sign-in" once the person is in; "sign-in.password" while a code is still due.
    action = "sign-in" if step is SecondFactorStep.NONE else f"sign-in.{method}"
    summary = f"{method} accepted; second factor: {step.value}"
    _record(session, action, user, origin, summary)
    return SignIn(user.id, principal_of(user), step, user.must_change_password)


def pass_second_factor(
    sessions: sessionmaker[Session],
    user_id: int,
    code: str,
    box: SecretBox,
    *,
    mode: Mode,
    origin: Origin,
    at: datetime | None = None,
    limits: SignInLimits | None = None,
) -> Principal:
    """Check the code of a person whose password was accepted; the sign-in is complete.

    Throttled like :func:`sign_in`: a wrong code counts as a failed sign-in.
    """

    def check(session: Session, user: User) -> str:
        method = check_second_factor(session, user, code, box, at=at)
        return f"second factor accepted: {method} code"

    principal, _ = _second_step(sessions, user_id, check, mode, origin, at, limits)
    return principal


def begin_enrolment(sessions: sessionmaker[Session], user_id: int, box: SecretBox) -> Enrolment:
    """The secret a person whose role requires a second factor scans at sign-in: the
    pending one if there is one, else a new one."""
    with transaction(sessions) as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        return pending_enrolment(user, box) or start_enrolment(session, user, box)


def enrol_at_sign_in(
    sessions: sessionmaker[Session],
    user_id: int,
    code: str,
    box: SecretBox,
    *,
    mode: Mode,
    origin: Origin,
    at: datetime | None = None,
    limits: SignInLimits | None = None,
) -> list[str]:
    """Confirm the secret begun by :func:`begin_enrolment` with a first code; the sign-in
    is complete. Answer the recovery codes, to be shown once.

    Throttled like :func:`pass_second_factor`.
    """
    codes: list[str] = []

    def check(session: Session, user: User) -> str:
        actor = audit.Actor(principal_of(user), origin.client_address, origin.request_id)
        codes.extend(confirm_enrolment(session, user, code, box, by=actor, at=at))
        return "second factor enrolled"

    _second_step(sessions, user_id, check, mode, origin, at, limits)
    return codes


def _second_step(
    sessions: sessionmaker[Session],
    user_id: int,
    check: Callable[[Session, User], str],
    mode: Mode,
    origin: Origin,
    at: datetime | None,
    limits: SignInLimits | None,
) -> tuple[Principal, str]:
    """Run ``check`` for a person past the first factor: throttled, and its refusal
    recorded even though the step fails."""
    limits = limits or SignInLimits.from_settings(get_settings())
    with transaction(sessions) as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        counted = _check_throttle(session, limits, user, user.username, origin, at)
        try:
            check_account_usable(user, mode)
            summary = check(session, user)
        except (NotAuthenticated, PermissionDenied) as error:
            refusal: GovopsError = error
            _record_refusal(session, user, refusal, origin, limits, counted)
        else:
            user.last_sign_in_at = now_utc()
            _record(session, "sign-in", user, origin, summary)
            return principal_of(user), summary
    raise refusal


def sign_in_with_identity(
    sessions: sessionmaker[Session],
    identity: oidc.Identity,
    config: oidc.ProviderSettings,
    *,
    mode: Mode,
    origin: Origin,
) -> SignIn:
    """The provider named the person: find (or link, or make) the account, and go on as
    after a password. A refusal is recorded before it is raised."""
    with transaction(sessions) as session:
        user: User | None = None
        try:
            actor = audit.Actor(UNKNOWN_USERNAME, origin.client_address, origin.request_id)
            user = oidc.account_for(session, identity, config, by=actor)
            check_account_usable(user, mode)
        except (NotAuthenticated, PermissionDenied) as error:
            refusal: GovopsError = error
            _record_sso_refusal(session, user, identity, refusal, origin)
        else:
            return first_factor_accepted(session, user, origin, method=oidc.METHOD)
    raise refusal


def _record_sso_refusal(
    session: Session,
    user: User | None,
    identity: oidc.Identity,
    refusal: GovopsError,
    origin: Origin,
) -> None:
    principal = UNKNOWN_USERNAME if user is None else principal_of(user)
    audit.record(
        session,
        "sign-in.refused",
        by=audit.Actor(principal, origin.client_address, origin.request_id),
        object_type="user",
        object_id=None if user is None else user.id,
        summary=f"{oidc.METHOD}, subject {identity.subject} at {identity.issuer}: {refusal.code}",
    )


def _known(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def _check_throttle(
    session: Session,
    limits: SignInLimits,
    user: User | None,
    username: str,
    origin: Origin,
    at: datetime | None,
) -> Failures:
    return check_attempt_allowed(
        session,
        limits,
        user=user,
        username=username,
        client_address=origin.client_address,
        at=at or now_utc(),
    )


def _record_refusal(
    session: Session,
    user: User | None,
    refusal: GovopsError,
    origin: Origin,
    limits: SignInLimits,
    counted: Failures,
) -> None:
    principal = UNKNOWN_USERNAME if user is None else principal_of(user)
    actor = audit.Actor(principal, origin.client_address, origin.request_id)
    audit.record(
        session,
        "sign-in.refused",
        by=actor,
        object_type="user",
        object_id=None if user is None else user.id,
        summary=refusal.code,
    )
    record_failure(session, limits, counted, by=actor, user=user)


def _record(session: Session, action: str, user: User, origin: Origin, summary: str) -> None:
    actor = audit.Actor(principal_of(user), origin.client_address, origin.request_id)
    audit.record(session, action, by=actor, object_type="user", object_id=user.id, summary=summary)
