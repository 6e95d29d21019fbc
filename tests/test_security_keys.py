"""API keys and personal access tokens: issued once, stored hashed, scoped, expiring."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from conftest import Store
from govops.core.db import now_utc, transaction
from govops.core.errors import InvalidRequest
from govops.core.settings import Mode
from govops.security import audit
from govops.security.accounts import disable_user, get_user, principal_of
from govops.security.errors import (
    AccountDisabled,
    DemoAccountRefused,
    ExpiredToken,
    PermissionDenied,
    RevokedToken,
    UnknownToken,
)
from govops.security.keys import (
    KeyRequest,
    authenticate_token,
    create_api_key,
    create_personal_token,
    get_key,
    revoke_key,
)
from govops.security.models import ApiKey, AuditEntry
from govops.security.permissions import Clearance, Permission, Role
from security_helpers import agency_id, left_clean, new_user

P = Permission


@pytest.fixture
def secure_store(store: Store) -> Iterator[Store]:
    yield from left_clean(store)


def request(*scopes: Permission, days: int = 30, clearance: Clearance | None = None):
    return KeyRequest("statistics feed", frozenset(scopes), now_utc() + timedelta(days), clearance)


def api_key(store: Store, *scopes: Permission, agency: str = "MOF", **fields) -> str:
    with transaction(store.sessions) as session:
        wanted = request(*scopes, **fields)
        issued = create_api_key(
            session, wanted, agency_id=agency_id(session, agency), by=audit.COMMAND_LINE
        )
    return issued.secret


def authenticate(store: Store, token: str, **options):
    with transaction(store.sessions) as session:
        return authenticate_token(session, token, **options)


def test_an_api_key_acts_for_its_agency_with_its_scopes_only(secure_store):
    secret = api_key(secure_store, P.DATA_READ, P.DATA_WRITE, clearance=Clearance.INTERNAL)
    principal = authenticate(secure_store, secret)
    with secure_store.session() as session:
        assert principal.agency_id == agency_id(session, "MOF")
    assert principal.permissions == {P.DATA_READ, P.DATA_WRITE}
    assert principal.clearance is Clearance.INTERNAL
    assert principal.user_id is None and principal.key_id is not None


def test_the_secret_is_shown_once_and_only_its_sha256_is_stored(secure_store):
    secret = api_key(secure_store, P.DATA_READ)
    assert secret.startswith("gov_") and len(secret) == 4 + 43
    with secure_store.session() as session:
        key = session.scalars(select(ApiKey)).one()
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "key.create")).one()
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret[4:] not in (key.prefix + key.secret_hash + key.name + entry.summary)
    assert entry.summary.startswith(f"api-key {key.prefix}… 'statistics feed': data:read")


def test_a_token_govops_never_issued_is_refused(secure_store):
    api_key(secure_store, P.DATA_READ)
    with pytest.raises(UnknownToken, match="not one govops issued") as refused:
        authenticate(secure_store, "gov_" + "A" * 43)
    assert refused.value.status == 401


def test_an_expired_key_is_refused_naming_the_day(secure_store):
    secret = api_key(secure_store, P.DATA_READ, days=10)
    after = now_utc() + timedelta(days=11)
    with pytest.raises(ExpiredToken, match="expired on") as refused:
        authenticate(secure_store, secret, at=after)
    assert refused.value.code == "expired-token"


def test_a_revoked_key_is_refused_from_the_moment_it_is_revoked(secure_store):
    secret = api_key(secure_store, P.DATA_READ)
    authenticate(secure_store, secret)
    with transaction(secure_store.sessions) as session:
        key = session.scalars(select(ApiKey)).one()
        revoke_key(session, key, by=audit.COMMAND_LINE)
        revoke_key(session, key, by=audit.COMMAND_LINE)
    with pytest.raises(RevokedToken, match="was revoked on"):
        authenticate(secure_store, secret)
    with secure_store.session() as session:
        revocations = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "key.revoke")
        ).all()
    assert len(revocations) == 1


def test_a_personal_token_acts_as_its_owner_narrowed_to_its_scopes(secure_store):
    with transaction(secure_store.sessions) as session:
        user = new_user(
            session, role=Role.AGENCY_OFFICER, agency="SBV", clearance=Clearance.INTERNAL
        )
        issued = create_personal_token(
            session, user, request(P.DATA_READ), by=audit.Actor(principal_of(user))
        )
    principal = authenticate(secure_store, issued.secret)
    assert principal.name == "lan.nguyen" and principal.role is Role.AGENCY_OFFICER
    assert principal.permissions == {P.DATA_READ}
    assert principal.clearance is Clearance.INTERNAL
    with secure_store.session() as session:
        assert principal.agency_id == agency_id(session, "SBV")


def test_a_personal_token_cannot_hold_more_than_its_owners_role(secure_store):
    with transaction(secure_store.sessions) as session:
        user = new_user(session, role=Role.VIEWER)
        with pytest.raises(PermissionDenied, match="scopes data:write exceed") as refused:
            create_personal_token(
                session,
                user,
                request(P.DATA_READ, P.DATA_WRITE),
                by=audit.Actor(principal_of(user)),
            )
    assert refused.value.extensions == {"field": "scopes"}


def test_a_token_loses_what_its_owners_role_lost(secure_store):
    with transaction(secure_store.sessions) as session:
        user = new_user(session, role=Role.AGENCY_OFFICER, agency="SBV")
        issued = create_personal_token(
            session, user, request(P.DATA_READ, P.DATA_WRITE), by=audit.COMMAND_LINE
        )
        user.role = Role.VIEWER.value
    assert authenticate(secure_store, issued.secret).permissions == {P.DATA_READ}


def test_a_personal_token_of_a_disabled_account_is_refused(secure_store):
    with transaction(secure_store.sessions) as session:
        user = new_user(session)
        issued = create_personal_token(session, user, request(P.DATA_READ), by=audit.COMMAND_LINE)
        disable_user(session, user, by=audit.COMMAND_LINE)
    with pytest.raises(AccountDisabled):
        authenticate(secure_store, issued.secret)


def test_a_personal_token_of_a_demo_account_works_in_demo_mode_only(secure_store):
    with transaction(secure_store.sessions) as session:
        user = new_user(session, "demo.analyst", is_demo=True)
        issued = create_personal_token(session, user, request(P.DATA_READ), by=audit.COMMAND_LINE)
    assert authenticate(secure_store, issued.secret, mode=Mode.DEMO).name == "demo.analyst"
    with pytest.raises(DemoAccountRefused):
        authenticate(secure_store, issued.secret)


def test_someone_cannot_make_a_token_for_another_person_without_users_manage(secure_store):
    with transaction(secure_store.sessions) as session:
        owner = new_user(session, "owner")
        other = audit.Actor(principal_of(new_user(session, "other")))
        with pytest.raises(PermissionDenied, match="users:manage"):
            create_personal_token(session, owner, request(P.DATA_READ), by=other)


def test_an_integration_engineer_creates_keys_for_their_own_agency_within_their_rights(
    secure_store,
):
    with transaction(secure_store.sessions) as session:
        engineer = audit.Actor(
            principal_of(new_user(session, role=Role.INTEGRATION_ENGINEER, agency="MOF"))
        )
        mof, sbv = agency_id(session, "MOF"), agency_id(session, "SBV")
        create_api_key(session, request(P.DATA_WRITE), agency_id=mof, by=engineer)
        with pytest.raises(PermissionDenied, match="their own agency only"):
            create_api_key(session, request(P.DATA_WRITE), agency_id=sbv, by=engineer)
        with pytest.raises(PermissionDenied, match="scopes users:manage exceed"):
            create_api_key(session, request(P.USERS_MANAGE), agency_id=mof, by=engineer)
        with pytest.raises(PermissionDenied, match="clearance internal exceeds public"):
            wanted = request(P.DATA_READ, clearance=Clearance.INTERNAL)
            create_api_key(session, wanted, agency_id=mof, by=engineer)


@pytest.mark.parametrize(
    ("wanted", "field"),
    [
        (request(P.DATA_READ, days=731), "expires_at"),
        (request(P.DATA_READ, days=-1), "expires_at"),
        (request(), "scopes"),
    ],
)
def test_a_key_without_scopes_or_with_a_bad_lifetime_is_refused(secure_store, wanted, field):
    with (
        transaction(secure_store.sessions) as session,
        pytest.raises(InvalidRequest) as refused,
    ):
        mof = agency_id(session, "MOF")
        create_api_key(session, wanted, agency_id=mof, by=audit.COMMAND_LINE)
    assert refused.value.extensions["field"] == field


def test_last_use_is_recorded_at_most_once_a_minute(secure_store):
    secret = api_key(secure_store, P.DATA_READ)
    start = now_utc()
    for seconds in (0, 20, 59, 61):
        authenticate(secure_store, secret, at=start + timedelta(seconds=seconds))
    with secure_store.session() as session:
        assert session.scalars(select(ApiKey)).one().last_used_at == start + timedelta(seconds=61)


def test_a_person_revokes_their_own_token_but_not_someone_elses_key(secure_store):
    with transaction(secure_store.sessions) as session:
        user = new_user(session)
        owner = audit.Actor(principal_of(user))
        issued = create_personal_token(session, user, request(P.DATA_READ), by=owner)
        revoke_key(session, get_key(session, issued.key.id), by=owner)
    secret = api_key(secure_store, P.DATA_READ)
    with transaction(secure_store.sessions) as session:
        agency_key = session.scalars(select(ApiKey).where(ApiKey.user_id.is_(None))).one()
        owner = audit.Actor(principal_of(get_user(session, "lan.nguyen")))
        with pytest.raises(PermissionDenied, match="keys:manage"):
            revoke_key(session, agency_key, by=owner)
    authenticate(secure_store, secret)
