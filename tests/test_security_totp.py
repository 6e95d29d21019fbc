"""The second factor: TOTP codes at fixed times, recovery codes, sealed secrets, sign-in."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from conftest import Store
from govops.core.db import transaction
from govops.core.errors import Conflict
from govops.core.settings import Mode, Settings
from govops.security import audit
from govops.security.accounts import get_user, principal_of
from govops.security.errors import PermissionDenied, WrongSecondFactor
from govops.security.models import AuditEntry, RecoveryCode
from govops.security.permissions import Role
from govops.security.signin import Origin, SecondFactorStep, pass_second_factor, sign_in
from govops.security.totp import (
    KEY_FILE,
    SecretBox,
    check_second_factor,
    confirm_enrolment,
    remove_second_factor,
    requires_second_factor,
    secret_box_for,
    set_second_factor_requirement,
    start_enrolment,
)
from security_helpers import GOOD_PASSWORD, left_clean, new_user

NOON = datetime(2025, 9, 2, 5, 0, 0, tzinfo=UTC)  # 12:00 in Hà Nội, National Day
HERE = Origin(client_address="198.51.100.4")


@pytest.fixture
def secure_store(store: Store) -> Iterator[Store]:
    yield from left_clean(store)


@pytest.fixture
def box() -> SecretBox:
    return SecretBox.generate()


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


def enrolled(store: Store, box: SecretBox, username: str = "lan.nguyen", **fields) -> tuple:
    """An account with a confirmed second factor: its TOTP secret and recovery codes."""
    with transaction(store.sessions) as session:
        user = new_user(session, username, **fields)
        enrolment = start_enrolment(session, user, box)
        codes = confirm_enrolment(
            session, user, code_at(enrolment.secret, NOON), box, by=audit.COMMAND_LINE, at=NOON
        )
    return enrolment.secret, codes


def check(store: Store, box: SecretBox, code: str, at: datetime = NOON) -> str:
    with transaction(store.sessions) as session:
        return check_second_factor(session, get_user(session, "lan.nguyen"), code, box, at=at)


def test_the_code_of_the_enrolled_secret_at_a_fixed_time_is_accepted(secure_store, box):
    secret, _ = enrolled(secure_store, box)
    later = NOON + timedelta(minutes=5)
    assert check(secure_store, box, code_at(secret, later), later) == "totp"


def test_a_code_from_the_previous_step_is_accepted_but_not_one_from_two_steps_back(
    secure_store, box
):
    secret, _ = enrolled(secure_store, box)
    later = NOON + timedelta(minutes=5)
    with pytest.raises(WrongSecondFactor, match="neither a current code"):
        check(secure_store, box, code_at(secret, later - timedelta(seconds=60)), later)
    assert check(secure_store, box, code_at(secret, later - timedelta(seconds=30)), later)


def test_a_code_is_accepted_only_once(secure_store, box):
    secret, _ = enrolled(secure_store, box)
    later = NOON + timedelta(minutes=5)
    check(secure_store, box, code_at(secret, later), later)
    with pytest.raises(WrongSecondFactor):
        check(secure_store, box, code_at(secret, later), later + timedelta(seconds=10))


def test_enrolment_is_inactive_until_a_code_from_the_new_secret_confirms_it(secure_store, box):
    with transaction(secure_store.sessions) as session:
        user = new_user(session)
        enrolment = start_enrolment(session, user, box)
        assert enrolment.provisioning_uri.startswith("otpauth://totp/govops:lan.nguyen?")
        assert not user.has_second_factor
        with pytest.raises(WrongSecondFactor, match="no second factor enrolled"):
            check_second_factor(session, user, code_at(enrolment.secret, NOON), box, at=NOON)
        with pytest.raises(WrongSecondFactor, match="does not match"):
            confirm_enrolment(session, user, "000000", box, by=audit.COMMAND_LINE, at=NOON)
        confirm_enrolment(
            session, user, code_at(enrolment.secret, NOON), box, by=audit.COMMAND_LINE, at=NOON
        )
        assert user.has_second_factor


def test_a_recovery_code_works_once_typed_in_any_case_with_or_without_dashes(secure_store, box):
    _, codes = enrolled(secure_store, box)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert check(secure_store, box, codes[3].upper().replace("-", " ")) == "recovery"
    with pytest.raises(WrongSecondFactor):
        check(secure_store, box, codes[3])
    assert check(secure_store, box, codes[4]) == "recovery"


def test_recovery_codes_and_the_totp_secret_are_not_stored_as_given(secure_store, box):
    secret, codes = enrolled(secure_store, box)
    with secure_store.session() as session:
        stored = set(session.scalars(select(RecoveryCode.code_hash)))
        sealed = get_user(session, "lan.nguyen").totp_secret_sealed
    assert len(stored) == 10
    assert not stored & {code.replace("-", "") for code in codes}
    assert sealed is not None and secret not in sealed
    assert box.open(sealed) == secret
    with pytest.raises(RuntimeError, match="does not open with this server's key"):
        SecretBox.generate().open(sealed)


def test_removing_a_lost_device_lets_the_person_enrol_a_new_one(secure_store, box):
    old_secret, codes = enrolled(secure_store, box)
    with transaction(secure_store.sessions) as session:
        user = get_user(session, "lan.nguyen")
        remove_second_factor(session, user, by=audit.COMMAND_LINE)
        with pytest.raises(WrongSecondFactor, match="no second factor enrolled"):
            check_second_factor(session, user, codes[0], box, at=NOON)
        secret = start_enrolment(session, user, box).secret
        later = NOON + timedelta(minutes=10)
        with pytest.raises(WrongSecondFactor):
            confirm_enrolment(
                session, user, code_at(old_secret, later), box, by=audit.COMMAND_LINE, at=later
            )
        confirm_enrolment(
            session, user, code_at(secret, later), box, by=audit.COMMAND_LINE, at=later
        )
        assert user.has_second_factor


def test_a_second_factor_cannot_be_replaced_without_removing_it_first(secure_store, box):
    enrolled(secure_store, box)
    with transaction(secure_store.sessions) as session:
        user = get_user(session, "lan.nguyen")
        with pytest.raises(Conflict, match="has a second factor already"):
            start_enrolment(session, user, box)
        with pytest.raises(Conflict, match="is confirmed already"):
            confirm_enrolment(session, user, "123456", box, by=audit.COMMAND_LINE)
        with pytest.raises(PermissionDenied, match="users:manage"):
            remove_second_factor(session, user, by=audit.Actor(principal_of(user)))


def test_an_administrator_can_require_a_second_factor_of_another_role(secure_store):
    with transaction(secure_store.sessions) as session:
        assert requires_second_factor(session, Role.LEADER)
        assert not requires_second_factor(session, Role.ANALYST)
        set_second_factor_requirement(session, Role.ANALYST, True, by=audit.COMMAND_LINE)
        set_second_factor_requirement(session, Role.LEADER, False, by=audit.COMMAND_LINE)
    with secure_store.session() as session:
        assert requires_second_factor(session, Role.ANALYST)
        assert not requires_second_factor(session, Role.LEADER)
        actions = session.scalars(select(AuditEntry.action)).all()
    assert actions == ["role.second-factor", "role.second-factor"]


def test_an_enrolled_person_signs_in_with_password_then_code(secure_store, box):
    secret, _ = enrolled(secure_store, box, role=Role.LEADER)
    signed = sign_in(
        secure_store.sessions, "lan.nguyen", GOOD_PASSWORD, mode=Mode.PRODUCTION, origin=HERE
    )
    assert signed.second_factor is SecondFactorStep.CHECK
    later = NOON + timedelta(minutes=1)
    with pytest.raises(WrongSecondFactor):
        pass_second_factor(
            secure_store.sessions,
            signed.user_id,
            "123456",
            box,
            mode=Mode.PRODUCTION,
            origin=HERE,
            at=later,
        )
    principal = pass_second_factor(
        secure_store.sessions,
        signed.user_id,
        code_at(secret, later),
        box,
        mode=Mode.PRODUCTION,
        origin=HERE,
        at=later,
    )
    assert principal.role is Role.LEADER
    with secure_store.session() as session:
        log = session.execute(select(AuditEntry.action, AuditEntry.summary)).all()
    assert [tuple(row) for row in log[-3:]] == [
        ("sign-in.password", "password accepted; second factor: check"),
        ("sign-in.refused", "wrong-second-factor"),
        ("sign-in", "second factor accepted: totp code"),
    ]


def test_a_leader_without_a_second_factor_is_sent_to_enrol(secure_store):
    with transaction(secure_store.sessions) as session:
        new_user(session, role=Role.LEADER)
    signed = sign_in(
        secure_store.sessions, "lan.nguyen", GOOD_PASSWORD, mode=Mode.PRODUCTION, origin=HERE
    )
    assert signed.second_factor is SecondFactorStep.ENROL


def test_the_server_key_is_created_once_readable_by_its_owner_only(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    first = secret_box_for(settings)
    sealed = first.seal("JBSWY3DPEHPK3PXP")
    assert secret_box_for(settings).open(sealed) == "JBSWY3DPEHPK3PXP"
    mode = (tmp_path / "data" / KEY_FILE).stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
