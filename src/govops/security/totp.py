"""The second factor: time-based one-time codes (RFC 6238) and single-use recovery codes.

A person enrols by scanning the secret into an authenticator app and typing one code
back; only then is the second factor active, and ten recovery codes are shown, once.
TOTP secrets are sealed (Fernet: AES-128-CBC with HMAC-SHA256) with a key kept in a file
beside the data, never in the database, so a copy of the database alone does not give
anyone a second factor.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.core.db import now_utc
from govops.core.errors import Conflict
from govops.core.settings import Settings
from govops.security import audit
from govops.security.errors import WrongSecondFactor
from govops.security.models import RecoveryCode, RolePolicy, User
from govops.security.permissions import ROLES, Permission, Role, require_permission

ISSUER = "govops"
STEP_SECONDS = 30
# One step either side accepts a code typed just before the phone's clock turned, or
# from a clock up to 30 seconds off.
ACCEPTED_STEPS = (-1, 0, 1)
RECOVERY_CODE_COUNT = 10
KEY_FILE = "second-factor.key"


class SecretBox:
    """Seals and opens TOTP secrets with the server's key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def generate(cls) -> SecretBox:
        return cls(Fernet.generate_key())

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise RuntimeError(
                "a TOTP secret does not open with this server's key; the key file "
                f"{KEY_FILE} was replaced or differs between servers"
            ) from None


def secret_box_for(settings: Settings) -> SecretBox:
    """The box whose key lives in ``data_dir``, created (readable by the owner only) on
    first use.

    Several application servers must share the same file (mount it from one secret);
    a server with another key refuses every enrolled person's codes.
    """
    path = Path(settings.data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_new_key(path)
    return SecretBox(path.read_bytes().strip())


def _write_new_key(path: Path) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first; theirs is the key
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(Fernet.generate_key())


@dataclass(frozen=True)
class Enrolment:
    secret: str
    provisioning_uri: str


def start_enrolment(session: Session, user: User, box: SecretBox) -> Enrolment:
    """A new secret for the person to scan, active once a code from it is confirmed.

    A person with a second factor already must have it removed first (see
    remove_second_factor), so that whoever holds a signed-in session cannot quietly
    replace it.
    """
    if user.has_second_factor:
        raise Conflict(
            f"{user.username} has a second factor already; an administrator removes it first"
        )
    secret = pyotp.random_base32()
    user.totp_secret_sealed = box.seal(secret)
    user.totp_last_step = None
    session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return Enrolment(secret, uri)


def pending_enrolment(user: User, box: SecretBox) -> Enrolment | None:
    """The enrolment started and not confirmed yet, if any: shown again rather than
    replaced, so a page reloaded after scanning does not void the scanned secret."""
    if user.has_second_factor or user.totp_secret_sealed is None:
        return None
    secret = box.open(user.totp_secret_sealed)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return Enrolment(secret, uri)


def confirm_enrolment(
    session: Session,
    user: User,
    code: str,
    box: SecretBox,
    *,
    by: audit.Actor,
    at: datetime | None = None,
) -> list[str]:
    """Activate the second factor with a first code; answer the recovery codes."""
    if user.has_second_factor:
        raise Conflict(f"the second factor of {user.username} is confirmed already")
    if user.totp_secret_sealed is None:
        raise WrongSecondFactor("no enrolment was started; start one first")
    if not _accept_totp(user, code, box, at or now_utc()):
        raise WrongSecondFactor("the code does not match; check the phone's clock and retry")
    user.totp_confirmed_at = now_utc()
    codes = new_recovery_codes(session, user)
    audit.record(
        session,
        "second-factor.enrol",
        by=by,
        object_type="user",
        object_id=user.id,
        summary=f"second factor enrolled for {user.username}",
    )
    return codes


def check_second_factor(
    session: Session, user: User, code: str, box: SecretBox, *, at: datetime | None = None
) -> str:
    """Accept a current TOTP code or an unused recovery code; answer which one it was.

    A TOTP code is good once, and a recovery code is spent by its use.
    """
    if not user.has_second_factor:
        raise WrongSecondFactor(f"{user.username} has no second factor enrolled")
    if _accept_totp(user, code, box, at or now_utc()):
        session.flush()
        return "totp"
    recovery = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if recovery is None:
        raise WrongSecondFactor("the code is neither a current code nor an unused recovery code")
    recovery.used_at = now_utc()
    session.flush()
    return "recovery"


def _accept_totp(user: User, code: str, box: SecretBox, at: datetime) -> bool:
    code = code.strip().replace(" ", "")
    if user.totp_secret_sealed is None or not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(box.open(user.totp_secret_sealed))
    current = int(at.timestamp()) // STEP_SECONDS
    for step in (current + offset for offset in ACCEPTED_STEPS):
        spent = user.totp_last_step is not None and step <= user.totp_last_step
        if not spent and hmac.compare_digest(totp.generate_otp(step), code):
            user.totp_last_step = step
            return True
    return False


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Ten fresh codes replacing any earlier ones; only their hashes are kept."""
    user.recovery_codes.clear()
    codes = [_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    created = now_utc()
    user.recovery_codes.extend(
        RecoveryCode(code_hash=_recovery_hash(code), created_at=created) for code in codes
    )
    session.flush()
    return codes


def _recovery_code() -> str:
    # 16 base32 characters: 80 random bits, grouped by four to be copied by hand.
    text = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(16))
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def _recovery_hash(code: str) -> str:
    normal = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(normal.encode()).hexdigest()


def remove_second_factor(session: Session, user: User, *, by: audit.Actor) -> None:
    """Forget a lost device: the person enrols again at the next sign-in."""
    require_permission(by.principal, Permission.USERS_MANAGE)
    user.totp_secret_sealed = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    user.recovery_codes.clear()
    session.flush()
    audit.record(
        session,
        "second-factor.remove",
        by=by,
        object_type="user",
        object_id=user.id,
        summary=f"second factor removed for {user.username}",
    )


def requires_second_factor(session: Session, role: Role) -> bool:
    """Whether people of the role must sign in with a second factor."""
    policy = session.get(RolePolicy, role.value)
    return ROLES[role].second_factor if policy is None else policy.requires_second_factor


def set_second_factor_requirement(
    session: Session, role: Role, required: bool, *, by: audit.Actor
) -> None:
    require_permission(by.principal, Permission.USERS_MANAGE)
    policy = session.get(RolePolicy, role.value)
    if policy is None:
        policy = RolePolicy(role=role.value)
        session.add(policy)
    policy.requires_second_factor = required
    policy.updated_at = now_utc()
    session.flush()
    audit.record(
        session,
        "role.second-factor",
        by=by,
        object_type="role",
        object_id=role.value,
        summary=f"second factor {'required' if required else 'optional'}",
    )
