"""Accounts: creating them, the password policy, signing in, disabling, demo accounts."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from conftest import Store
from govops.core.db import transaction
from govops.core.errors import Conflict, InvalidRequest
from govops.core.settings import Mode
from govops.security import audit
from govops.security.accounts import (
    NewUser,
    change_password,
    create_first_administrator,
    create_user,
    disable_user,
    enable_user,
    get_user,
    principal_of,
    require_current_password,
    reset_password,
)
from govops.security.errors import (
    AccountDisabled,
    DemoAccountRefused,
    PasswordChangeRequired,
    PermissionDenied,
    WeakPassword,
    WrongCredentials,
)
from govops.security.models import AuditEntry
from govops.security.passwords import check_password_policy, common_passwords
from govops.security.permissions import Role
from govops.security.signin import Origin, SecondFactorStep, sign_in
from security_helpers import GOOD_PASSWORD, left_clean, new_user

HERE = Origin(client_address="203.0.113.7", request_id="req-1")


@pytest.fixture
def secure_store(store: Store) -> Iterator[Store]:
    yield from left_clean(store)


def entries(store: Store, action: str) -> list[AuditEntry]:
    with store.session() as session:
        statement = select(AuditEntry).where(AuditEntry.action == action)
        return list(session.scalars(statement.order_by(AuditEntry.sequence)))


# --- the password policy --------------------------------------------------------------


def test_a_password_shorter_than_twelve_characters_is_refused_naming_the_rule():
    with pytest.raises(WeakPassword, match="has 11 characters; use at least 12") as refused:
        check_password_policy("x7-kite-mon", username="lan")
    assert refused.value.rule == "min-length"
    assert refused.value.extensions == {"field": "password", "rule": "min-length"}


def test_a_common_password_is_refused_whatever_its_case():
    assert len(common_passwords()) > 3000
    for password in ("Password1234", "MATKHAU@2025", "1qaz2wsx3edc", "anhyeuem123456"):
        with pytest.raises(WeakPassword, match="commonly used") as refused:
            check_password_policy(password, username="lan")
        assert refused.value.rule == "common"


def test_a_password_equal_to_the_username_is_refused():
    with pytest.raises(WeakPassword, match="is the username") as refused:
        check_password_policy("Tran.Van.Minh.01", username="tran.van.minh.01")
    assert refused.value.rule == "username"


def test_a_long_uncommon_password_passes_the_policy():
    check_password_policy(GOOD_PASSWORD, username="lan")
    check_password_policy("Đồng bằng sông Cửu Long", username="lan")


# --- creating accounts ------------------------------------------------------------------


def test_a_new_account_keeps_an_argon2id_hash_and_never_the_password(secure_store):
    with transaction(secure_store.sessions) as session:
        user = new_user(session, agency="MOF")
    assert user.password_hash.startswith("$argon2id$")
    assert GOOD_PASSWORD not in user.password_hash
    [created] = entries(secure_store, "user.create")
    assert created.summary == "lan.nguyen: analyst, MOF, clearance public"
    assert GOOD_PASSWORD not in created.summary


def test_an_account_with_a_weak_password_is_not_created(secure_store):
    with pytest.raises(WeakPassword), transaction(secure_store.sessions) as session:
        new_user(session, password="short")
    with secure_store.session() as session:
        assert session.scalar(select(AuditEntry.sequence)) is None


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"username": "Lan Nguyen"}, "username", "must be 3 to 80 characters"),
        ({"display_name": "  "}, "display_name", "display name must be the person's name"),
        ({"display_name": "L" * 201}, "display_name", "1 to 200 characters"),
        ({"email": "lan-at-mof"}, "email", "is not an address"),
        ({"email": "lan@" + "a" * 250 + ".vn"}, "email", "is not an address"),
        ({"role": Role.AGENCY_OFFICER}, "agency", "must belong to an agency"),
        ({"agency_id": 987654}, "agency", "agency 987654 does not exist"),
    ],
)
def test_bad_account_fields_are_refused_naming_the_field(secure_store, fields, field, message):
    values = {"username": "lan", "display_name": "Lan", "role": Role.ANALYST, **fields}
    with (
        pytest.raises(InvalidRequest, match=message) as refused,
        transaction(secure_store.sessions) as session,
    ):
        create_user(session, NewUser(**values), GOOD_PASSWORD, by=audit.COMMAND_LINE)
    assert refused.value.extensions["field"] == field


def test_a_taken_username_is_a_conflict(secure_store):
    with transaction(secure_store.sessions) as session:
        new_user(session, "minh")
    with (
        pytest.raises(Conflict, match="username 'minh' is taken"),
        transaction(secure_store.sessions) as session,
    ):
        new_user(session, "minh")


def test_someone_without_users_manage_cannot_create_accounts(secure_store):
    with transaction(secure_store.sessions) as session:
        analyst = audit.Actor(principal_of(new_user(session, "analyst")))
    with (
        pytest.raises(PermissionDenied, match="users:manage"),
        transaction(secure_store.sessions) as session,
    ):
        new = NewUser("friend", "Friend", Role.ADMINISTRATOR)
        create_user(session, new, GOOD_PASSWORD, by=analyst)


# --- signing in -------------------------------------------------------------------------


def test_the_right_password_signs_in_and_the_sign_in_is_recorded(secure_store):
    with transaction(secure_store.sessions) as session:
        new_user(session, agency="MOF")
    signed = sign_in(
        secure_store.sessions, "lan.nguyen", GOOD_PASSWORD, mode=Mode.PRODUCTION, origin=HERE
    )
    assert signed.second_factor is SecondFactorStep.NONE
    assert signed.principal.name == "lan.nguyen"
    [entry] = entries(secure_store, "sign-in")
    assert (entry.actor_name, entry.client_address, entry.request_id) == (
        "lan.nguyen",
        "203.0.113.7",
        "req-1",
    )
    with secure_store.session() as session:
        assert get_user(session, "lan.nguyen").last_sign_in_at is not None


def test_a_username_typed_in_capitals_signs_in(secure_store):
    with transaction(secure_store.sessions) as session:
        new_user(session)
    signed = sign_in(
        secure_store.sessions, " Lan.Nguyen", GOOD_PASSWORD, mode=Mode.PRODUCTION, origin=HERE
    )
    assert signed.principal.name == "lan.nguyen"


def test_a_wrong_password_is_refused_and_the_attempt_recorded(secure_store):
    with transaction(secure_store.sessions) as session:
        user_id = new_user(session).id
    with pytest.raises(WrongCredentials, match="the username or the password is wrong"):
        sign_in(
            secure_store.sessions,
            "lan.nguyen",
            "lantern-river-paddy-74",
            mode=Mode.PRODUCTION,
            origin=HERE,
        )
    [refused] = entries(secure_store, "sign-in.refused")
    assert (refused.actor_user_id, refused.summary) == (user_id, "wrong-credentials")


def test_an_unknown_username_gets_the_answer_of_a_wrong_password_and_is_not_kept(secure_store):
    with pytest.raises(WrongCredentials) as refused:
        sign_in(
            secure_store.sessions,
            "P@ssw0rd-typed-here",
            GOOD_PASSWORD,
            mode=Mode.PRODUCTION,
            origin=HERE,
        )
    assert refused.value.code == "wrong-credentials"
    [entry] = entries(secure_store, "sign-in.refused")
    assert (entry.actor_user_id, entry.actor_name) == (None, "unknown username")
    assert "P@ssw0rd" not in entry.summary


def test_a_disabled_account_cannot_sign_in_until_it_is_enabled_again(secure_store):
    with transaction(secure_store.sessions) as session:
        disable_user(session, new_user(session), by=audit.COMMAND_LINE)
    with pytest.raises(AccountDisabled, match=r"lan\.nguyen is disabled") as refused:
        sign_in(
            secure_store.sessions, "lan.nguyen", GOOD_PASSWORD, mode=Mode.PRODUCTION, origin=HERE
        )
    assert refused.value.status == 403
    with transaction(secure_store.sessions) as session:
        enable_user(session, get_user(session, "lan.nguyen"), by=audit.COMMAND_LINE)
    sign_in(secure_store.sessions, "lan.nguyen", GOOD_PASSWORD, mode=Mode.PRODUCTION, origin=HERE)
    assert [entry.summary for entry in entries(secure_store, "sign-in.refused")] == [
        "account-disabled"
    ]


def test_the_last_active_administrator_cannot_be_disabled(secure_store):
    with transaction(secure_store.sessions) as session:
        first = new_user(session, "admin.one", role=Role.ADMINISTRATOR)
    with (
        pytest.raises(Conflict, match="last active administrator"),
        transaction(secure_store.sessions) as session,
    ):
        disable_user(session, get_user(session, first.username), by=audit.COMMAND_LINE)
    with transaction(secure_store.sessions) as session:
        new_user(session, "admin.two", role=Role.ADMINISTRATOR)
        disable_user(session, get_user(session, "admin.one"), by=audit.COMMAND_LINE)


def test_a_demo_account_signs_in_in_demo_mode_only(secure_store):
    with transaction(secure_store.sessions) as session:
        new_user(session, "demo.leader", is_demo=True)
    demo = sign_in(
        secure_store.sessions, "demo.leader", GOOD_PASSWORD, mode=Mode.DEMO, origin=HERE
    )
    assert demo.principal.name == "demo.leader"
    for mode in (Mode.PRODUCTION, Mode.DEVELOPMENT):
        with pytest.raises(DemoAccountRefused, match="demo account .* in " + mode.value):
            sign_in(secure_store.sessions, "demo.leader", GOOD_PASSWORD, mode=mode, origin=HERE)


def test_a_vietnamese_passphrase_signs_in_whichever_unicode_form_is_typed(secure_store):
    phrase = "Đồng bằng sông Cửu Long"
    with transaction(secure_store.sessions) as session:
        new_user(session, password=unicodedata.normalize("NFC", phrase))
    typed = unicodedata.normalize("NFD", phrase)
    sign_in(secure_store.sessions, "lan.nguyen", typed, mode=Mode.PRODUCTION, origin=HERE)


def test_a_hash_made_with_older_weaker_parameters_is_upgraded_at_sign_in(secure_store):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    with transaction(secure_store.sessions) as session:
        new_user(session).password_hash = weak.hash(GOOD_PASSWORD)
    sign_in(secure_store.sessions, "lan.nguyen", GOOD_PASSWORD, mode=Mode.PRODUCTION, origin=HERE)
    with secure_store.session() as session:
        stored = get_user(session, "lan.nguyen").password_hash
    assert "m=65536,t=3,p=4" in stored


# --- changing passwords -----------------------------------------------------------------


def test_a_new_account_must_change_its_password_before_doing_anything(secure_store):
    with transaction(secure_store.sessions) as session:
        new_user(session, must_change_password=True)
    signed = sign_in(
        secure_store.sessions, "lan.nguyen", GOOD_PASSWORD, mode=Mode.PRODUCTION, origin=HERE
    )
    assert signed.must_change_password
    with transaction(secure_store.sessions) as session:
        user = get_user(session, "lan.nguyen")
        with pytest.raises(PasswordChangeRequired):
            require_current_password(user)
        change_password(
            session,
            user,
            GOOD_PASSWORD,
            "paddy-fields-at-dawn-9",
            by=audit.Actor(principal_of(user)),
        )
        require_current_password(user)
    sign_in(
        secure_store.sessions,
        "lan.nguyen",
        "paddy-fields-at-dawn-9",
        mode=Mode.PRODUCTION,
        origin=HERE,
    )


def test_a_change_needs_the_current_password_and_a_different_new_one(secure_store):
    with transaction(secure_store.sessions) as session:
        user = new_user(session)
        owner = audit.Actor(principal_of(user))
        with pytest.raises(WrongCredentials):
            change_password(session, user, "not-the-password-1", "paddy-fields-9x", by=owner)
        with pytest.raises(WeakPassword, match="is the current one") as refused:
            change_password(session, user, GOOD_PASSWORD, GOOD_PASSWORD, by=owner)
        assert refused.value.rule == "reuse"
        with pytest.raises(WeakPassword) as refused:
            change_password(session, user, GOOD_PASSWORD, "password2025!", by=owner)
        assert refused.value.rule == "common"


def test_a_reset_gives_a_random_password_that_must_be_changed(secure_store):
    with transaction(secure_store.sessions) as session:
        user = new_user(session)
        first = reset_password(session, user, by=audit.COMMAND_LINE)
        second = reset_password(session, user, by=audit.COMMAND_LINE)
    assert first != second and len(second) >= 20
    with pytest.raises(WrongCredentials):
        sign_in(
            secure_store.sessions, "lan.nguyen", GOOD_PASSWORD, mode=Mode.PRODUCTION, origin=HERE
        )
    signed = sign_in(
        secure_store.sessions, "lan.nguyen", second, mode=Mode.PRODUCTION, origin=HERE
    )
    assert signed.must_change_password
    assert len(entries(secure_store, "user.password-reset")) == 2


# --- the first administrator ------------------------------------------------------------


def test_the_first_administrator_is_created_once_with_a_password_shown_once(secure_store):
    with transaction(secure_store.sessions) as session:
        created = create_first_administrator(session)
        again = create_first_administrator(session)
    assert created is not None and again is None
    username, password = created
    signed = sign_in(secure_store.sessions, username, password, mode=Mode.PRODUCTION, origin=HERE)
    assert signed.must_change_password
    assert signed.principal.role is Role.ADMINISTRATOR
    # An administrator must enrol a second factor before the sign-in is complete.
    assert signed.second_factor is SecondFactorStep.ENROL
