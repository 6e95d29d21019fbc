"""Sign-in throttling: failures slow down, then lock, per account and per client address."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from conftest import Store
from govops.core.db import now_utc, transaction
from govops.core.settings import Mode, Settings
from govops.security.errors import SignInLocked, SignInThrottled, WrongCredentials
from govops.security.models import AuditEntry
from govops.security.signin import Origin, sign_in
from govops.security.throttle import Limit, SignInLimits
from security_helpers import GOOD_PASSWORD, left_clean, new_user

HERE = Origin(client_address="203.0.113.7", request_id="req-1")
ELSEWHERE = Origin(client_address="198.51.100.20")
WRONG = "lantern-river-paddy-74"
# Delays short enough that real time passes them between attempts, unless a test asks
# for a later instant with ``at``.
QUICK = SignInLimits(
    account=Limit(free_failures=2, lock_failures=4),
    address=Limit(free_failures=100, lock_failures=200),
    first_delay=timedelta(milliseconds=1),
    lock_for=timedelta(minutes=15),
)


@pytest.fixture
def secure_store(store: Store) -> Iterator[Store]:
    with transaction(store.sessions) as session:
        new_user(session)
    yield from left_clean(store)


def attempt(
    store: Store,
    password: str,
    *,
    username: str = "lan.nguyen",
    limits: SignInLimits = QUICK,
    origin: Origin = HERE,
    later: timedelta | None = None,
) -> object:
    at = now_utc() + later if later else None
    return sign_in(
        store.sessions,
        username,
        password,
        mode=Mode.PRODUCTION,
        origin=origin,
        limits=limits,
        at=at,
    )


def fail(store: Store, times: int, **options: object) -> None:
    for _ in range(times):
        with pytest.raises(WrongCredentials):
            attempt(store, WRONG, **options)  # type: ignore[arg-type]


def actions(store: Store) -> list[tuple[str, str | None, str]]:
    with store.session() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.object_type, AuditEntry.summary).order_by(
                AuditEntry.sequence
            )
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_the_wait_doubles_after_the_free_failures_and_is_the_lock_period_at_the_limit():
    limits = SignInLimits(
        account=Limit(free_failures=3, lock_failures=8),
        first_delay=timedelta(seconds=1),
        lock_for=timedelta(minutes=15),
    )
    waits = [limits.wait_after(n, limits.account).total_seconds() for n in range(10)]
    assert waits == [0, 0, 0, 0, 1, 2, 4, 8, 900, 900]


def test_the_free_failures_pass_and_the_next_attempt_must_wait_even_with_the_password(
    secure_store,
):
    slow = SignInLimits(
        account=Limit(free_failures=2, lock_failures=10),
        address=QUICK.address,
        first_delay=timedelta(seconds=30),
    )
    fail(secure_store, 3, limits=slow)

    with pytest.raises(SignInThrottled) as throttled:
        attempt(secure_store, GOOD_PASSWORD, limits=slow)
    assert throttled.value.status == 429
    assert 29 <= throttled.value.retry_after <= 30
    assert "3 failed sign-ins for this account" in throttled.value.detail
    assert "(Asia/Ho_Chi_Minh), in 30 s" in throttled.value.detail

    signed = attempt(secure_store, GOOD_PASSWORD, limits=slow, later=timedelta(seconds=31))
    assert signed.principal.name == "lan.nguyen"  # type: ignore[attr-defined]


def test_an_account_locks_at_the_limit_says_when_to_retry_and_the_log_records_it(
    secure_store,
):
    fail(secure_store, 4)

    with pytest.raises(SignInLocked) as locked:
        attempt(secure_store, GOOD_PASSWORD)
    assert locked.value.code == "sign-in-locked"
    assert 899 <= locked.value.retry_after <= 900
    assert locked.value.detail.startswith(
        "sign-in for this account is locked after 4 failed attempts; try again after "
    )
    assert locked.value.extensions["retry_at"] > now_utc().isoformat()

    lockouts = [entry for entry in actions(secure_store) if entry[0] == "sign-in.lockout"]
    assert lockouts == [
        ("sign-in.lockout", "user", "lan.nguyen locked for 15 minutes after 4 failed sign-ins")
    ]
    # Attempts refused while locked are neither checked nor recorded one by one.
    assert [entry[0] for entry in actions(secure_store)].count("sign-in.refused") == 4


def test_a_locked_account_opens_again_after_the_lock_period(secure_store):
    fail(secure_store, 4)

    signed = attempt(secure_store, GOOD_PASSWORD, later=timedelta(minutes=15, seconds=1))
    assert signed.principal.name == "lan.nguyen"  # type: ignore[attr-defined]


def test_the_lock_is_the_accounts_own_and_other_accounts_sign_in(secure_store):
    with transaction(secure_store.sessions) as session:
        new_user(session, "minh.tran")
    fail(secure_store, 4)

    signed = attempt(secure_store, GOOD_PASSWORD, username="minh.tran")
    assert signed.principal.name == "minh.tran"  # type: ignore[attr-defined]


def test_a_complete_sign_in_starts_the_count_again(secure_store):
    fail(secure_store, 3)
    attempt(secure_store, GOOD_PASSWORD)

    fail(secure_store, 3)
    signed = attempt(secure_store, GOOD_PASSWORD)
    assert signed.principal.name == "lan.nguyen"  # type: ignore[attr-defined]


def test_failures_from_one_address_on_any_username_lock_that_address_only(secure_store):
    by_address = SignInLimits(
        account=Limit(free_failures=100, lock_failures=200),
        address=Limit(free_failures=1, lock_failures=3),
        first_delay=timedelta(milliseconds=1),
    )
    for username in ("no.such.person", "lan.nguyen", "nobody"):
        with pytest.raises(WrongCredentials):
            attempt(secure_store, WRONG, username=username, limits=by_address)

    with pytest.raises(SignInLocked) as locked:
        attempt(secure_store, GOOD_PASSWORD, limits=by_address)
    assert "the address 203.0.113.7 is locked after 3 failed attempts" in locked.value.detail
    assert ("sign-in.lockout", "client-address") in [entry[:2] for entry in actions(secure_store)]

    signed = attempt(secure_store, GOOD_PASSWORD, limits=by_address, origin=ELSEWHERE)
    assert signed.principal.name == "lan.nguyen"  # type: ignore[attr-defined]


def test_the_limits_are_read_from_the_settings():
    settings = Settings(
        signin_account_free_failures=5,
        signin_account_lock_failures=12,
        signin_address_lock_failures=80,
        signin_first_delay_seconds=2,
        signin_lock_minutes=30,
    )
    limits = SignInLimits.from_settings(settings)
    assert limits.account == Limit(5, 12)
    assert limits.address.lock_failures == 80
    assert limits.wait_after(6, limits.account) == timedelta(seconds=2)
    assert limits.lock_for == timedelta(minutes=30)
