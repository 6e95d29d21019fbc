"""Sign-in throttling: failed attempts slow down, then lock, per account and per address.

The audit log is the counter: every failed sign-in is already recorded there as
``sign-in.refused`` with the account and the client address, so nothing else needs to
be stored, and every app server sees the same count. Failures are counted over the lock
period; for an account, only those since its last complete sign-in.

Past the free failures, each attempt must wait twice as long after the last failure as
the one before (1 s, 2 s, 4 s … by default); an attempt that comes too early is refused
without its password being checked. At the lock count the account, or the address, is
locked for the lock period, and the lockout is recorded in the audit log. Refusals while
throttled are not recorded one by one: the lockout entry stands for them, so a flood of
attempts does not flood the log.

Known shortcomings: an unknown username is never locked on its own (what was typed is
not kept, see ``signin.UNKNOWN_USERNAME``), so the per-address limit is what stops
guessing of usernames. On SQLite, parallel attempts on one account are not serialised.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from govops.core.settings import Settings
from govops.security import audit
from govops.security.errors import SignInLocked, SignInThrottled
from govops.security.models import AuditEntry, User

FAILURE = "sign-in.refused"
LOCKOUT = "sign-in.lockout"


@dataclass(frozen=True)
class Limit:
    """How many failures pass freely, and how many lock."""

    free_failures: int
    lock_failures: int


@dataclass(frozen=True)
class SignInLimits:
    account: Limit = Limit(free_failures=3, lock_failures=10)
    address: Limit = Limit(free_failures=10, lock_failures=50)
    first_delay: timedelta = timedelta(seconds=1)
    lock_for: timedelta = timedelta(minutes=15)
    timezone: str = "Asia/Ho_Chi_Minh"

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInLimits:
        return cls(
            account=Limit(
                settings.signin_account_free_failures, settings.signin_account_lock_failures
            ),
            address=Limit(
                settings.signin_address_free_failures, settings.signin_address_lock_failures
            ),
            first_delay=timedelta(seconds=settings.signin_first_delay_seconds),
            lock_for=timedelta(minutes=settings.signin_lock_minutes),
            timezone=settings.timezone,
        )

    def wait_after(self, failures: int, limit: Limit) -> timedelta:
        """How long after the last of ``failures`` the next attempt must wait."""
        if failures >= limit.lock_failures:
            return self.lock_for
        beyond = failures - limit.free_failures
        if beyond <= 0:
            return timedelta(0)
        return min(self.first_delay * 2 ** (beyond - 1), self.lock_for)


@dataclass(frozen=True)
class Failures:
    """Failed sign-ins counted for one attempt: on its account and from its address."""

    account: int
    address: int


def check_attempt_allowed(
    session: Session,
    limits: SignInLimits,
    *,
    user: User | None,
    username: str,
    client_address: str | None,
    at: datetime,
) -> Failures:
    """Raise SignInThrottled or SignInLocked when the attempt comes too early; else answer
    the failures counted so far, for :func:`record_failure`.

    On PostgreSQL, attempts on one account wait for each other here until the end of the
    transaction, so a burst of parallel guesses is counted one by one.
    """
    _serialise_attempts(session, username)
    since = at - limits.lock_for
    account = _failures_of_account(session, user, since) if user else (0, None)
    address = _failures_from(session, client_address, since) if client_address else (0, None)

    _refuse_if_early(limits, limits.account, account, at, whose="this account")
    _refuse_if_early(limits, limits.address, address, at, whose=f"the address {client_address}")
    return Failures(account[0], address[0])


def record_failure(
    session: Session,
    limits: SignInLimits,
    counted: Failures,
    *,
    by: audit.Actor,
    user: User | None,
) -> None:
    """After a failure was recorded: record the lockout it starts, if it starts one."""
    lock_minutes = limits.lock_for.total_seconds() / 60
    if user is not None and counted.account + 1 == limits.account.lock_failures:
        audit.record(
            session,
            LOCKOUT,
            by=by,
            object_type="user",
            object_id=user.id,
            agency_id=user.agency_id,
            summary=f"{user.username} locked for {lock_minutes:g} minutes after "
            f"{limits.account.lock_failures} failed sign-ins",
        )
    if by.client_address and counted.address + 1 == limits.address.lock_failures:
        audit.record(
            session,
            LOCKOUT,
            by=by,
            object_type="client-address",
            object_id=by.client_address,
            summary=f"sign-in from {by.client_address} locked for {lock_minutes:g} minutes "
            f"after {limits.address.lock_failures} failed sign-ins",
        )


def _serialise_attempts(session: Session, username: str) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    name = username.strip().lower().encode()
    key = int.from_bytes(
        hashlib.sha256(b"govops sign-in " + name).digest()[:8], "big", signed=True
    )
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


Counted = tuple[int, datetime | None]


def _failures_of_account(session: Session, user: User, since: datetime) -> Counted:
    # A complete sign-in starts the count again; a password accepted before a wrong
    # second factor does not, or the second factor could be guessed without limit.
    if user.last_sign_in_at is not None and user.last_sign_in_at > since:
        since = user.last_sign_in_at
    return _count(session, since, AuditEntry.actor_user_id == user.id)


def _failures_from(session: Session, address: str, since: datetime) -> Counted:
    return _count(session, since, AuditEntry.client_address == address[:100])


def _count(session: Session, since: datetime, whose: ColumnElement[bool]) -> Counted:
    statement = select(func.count(), func.max(AuditEntry.recorded_at)).where(
        AuditEntry.action == FAILURE, AuditEntry.recorded_at >= since, whose
    )
    count, last = session.execute(statement).one()
    return count or 0, last


def _refuse_if_early(
    limits: SignInLimits, limit: Limit, counted: Counted, at: datetime, *, whose: str
) -> None:
    failures, last = counted
    wait = limits.wait_after(failures, limit)
    if last is None or not wait:
        return
    retry_at = last + wait
    if at >= retry_at:
        return

    retry_after = max(1, math.ceil((retry_at - at).total_seconds()))
    local = retry_at.astimezone(ZoneInfo(limits.timezone))
    when = f"{local:%H:%M:%S} ({limits.timezone}), in {retry_after} s"
    if failures >= limit.lock_failures:
        raise SignInLocked(
            f"sign-in for {whose} is locked after {failures} failed attempts; "
            f"try again after {when}",
            retry_after=retry_after,
            retry_at=retry_at.isoformat(timespec="seconds"),
        )
    raise SignInThrottled(
        f"{failures} failed sign-ins for {whose}; wait until {when} before the next attempt",
        retry_after=retry_after,
        retry_at=retry_at.isoformat(timespec="seconds"),
    )
