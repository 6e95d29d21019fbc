"""Browser sessions: started, found, ended by sign-out, idleness, age and password change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.responses import Response

from govops.core.db import now_utc, transaction
from govops.security import audit
from govops.security.accounts import change_password, disable_user, principal_of
from govops.security.permissions import Role
from govops.security.sessions import (
    ABSOLUTE_TIMEOUT,
    COOKIE_NAME,
    IDLE_TIMEOUT,
    WebSession,
    cookie_must_be_secure,
    end_expired,
    end_session,
    end_sessions_of,
    look_up,
    sessions_of,
    start_browser_session,
    start_session,
    token_hash,
)
from security_helpers import GOOD_PASSWORD, new_user


def test_a_started_session_is_found_by_its_token_and_keeps_only_its_hash(store):
    with transaction(store.sessions) as session:
        user = new_user(session)
        started = start_session(session, user, method="password")

    with transaction(store.sessions) as session:
        found = look_up(session, started.token)
        assert found is not None and found.user_id == user.id
        assert found.token_hash == token_hash(started.token) != started.token
        assert look_up(session, started.token + "x") is None
        assert look_up(session, None) is None


def test_a_session_idle_too_long_ends_and_so_does_one_too_old(store):
    with transaction(store.sessions) as session:
        user = new_user(session)
        start = now_utc()
        idle = start_session(session, user, method="password", at=start)
        busy = start_session(session, user, method="password", at=start)

    with transaction(store.sessions) as session:
        moment = start
        while moment - start < ABSOLUTE_TIMEOUT - IDLE_TIMEOUT:
            moment += IDLE_TIMEOUT - timedelta(minutes=1)
            assert look_up(session, busy.token, at=moment) is not None
        assert look_up(session, idle.token, at=start + IDLE_TIMEOUT + timedelta(seconds=1)) is None
        late = start + ABSOLUTE_TIMEOUT + timedelta(seconds=1)
        assert look_up(session, busy.token, at=late) is None
        assert sessions_of(session, user.id) == []


def test_changing_the_password_ends_every_earlier_session(store):
    with transaction(store.sessions) as session:
        user = new_user(session)
        started = start_session(session, user, method="password")

    with transaction(store.sessions) as session:
        user = session.merge(user)
        change_password(
            session, user, GOOD_PASSWORD, "another-lantern-river-84", by=audit.COMMAND_LINE
        )

    with transaction(store.sessions) as session:
        assert look_up(session, started.token, at=now_utc() + timedelta(seconds=1)) is None


def test_disabling_an_account_ends_its_sessions(store):
    with transaction(store.sessions) as session:
        user = new_user(session)
        admin = new_user(session, "quan.tri", role=Role.ADMINISTRATOR)
        started = start_session(session, user, method="password")
        disable_user(session, user, by=audit.Actor(principal_of(admin)))

    with transaction(store.sessions) as session:
        assert look_up(session, started.token) is None


def test_signing_out_and_ending_all_of_a_persons_sessions(store):
    with transaction(store.sessions) as session:
        user = new_user(session)
        first = start_session(session, user, method="password")
        second = start_session(session, user, method="password")
        third = start_session(session, user, method="password")
        end_session(session, first.token)
        assert look_up(session, first.token) is None
        assert look_up(session, second.token) is not None
        assert end_sessions_of(session, user.id) == 2
        assert look_up(session, third.token) is None


def test_expired_sessions_are_swept(store):
    start = now_utc()
    with transaction(store.sessions) as session:
        user = new_user(session)
        start_session(session, user, method="password", at=start - IDLE_TIMEOUT * 2)
        kept = start_session(session, user, method="password", at=start)
        assert end_expired(session, at=start) == 1
        assert [s.token_hash for s in sessions_of(session, user.id)] == [kept.record.token_hash]


def test_a_session_awaiting_its_second_factor_lasts_minutes(store):
    with transaction(store.sessions) as session:
        user = new_user(session)
        start = now_utc()
        pending = start_session(
            session, user, method="password", awaiting_second_factor=True, at=start
        )
        assert look_up(session, pending.token, at=start + timedelta(minutes=6)) is None


def test_the_cookie_is_httponly_lax_and_secure_except_on_this_machine(store):
    response = Response()
    with transaction(store.sessions) as session:
        user = new_user(session)
        record = start_browser_session(
            session, user, response, method="openid-connect", secure=True
        )
        assert isinstance(record, WebSession) and record.method == "openid-connect"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie


@pytest.mark.parametrize(
    ("host", "secure"),
    [
        ("127.0.0.1:8000", False),
        ("localhost", False),
        ("[::1]:8000", False),
        ("govops.chinhphu.vn", True),
        ("10.0.0.5:8000", True),
        (None, True),
    ],
)
def test_cookies_are_secure_everywhere_but_loopback(host, secure):
    assert cookie_must_be_secure(host) is secure
