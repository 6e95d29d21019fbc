"""Password hashing (argon2id) and the password policy.

The policy follows NIST SP 800-63B: a minimum length, a list of passwords known to be
common, and nothing that is the account's own name; no rules about character classes,
which push people towards ``Password1!``.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from govops.core.text import nfc
from govops.security.errors import WeakPassword

MIN_LENGTH = 12
# Long enough for any passphrase; a bound keeps a megabyte "password" from costing work.
MAX_LENGTH = 256

# argon2-cffi's defaults are the low-memory profile of RFC 9106 (argon2id, 3 passes,
# 64 MiB, 4 lanes); a hash records its own parameters, so raising them later only
# needs rehashing at the next sign-in (see needs_rehash).
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(nfc(password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, nfc(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def spend_time_like_a_verification() -> None:
    """Verify against a throwaway hash, so an unknown username takes as long to refuse
    as a wrong password and does not reveal which usernames exist."""
    verify_password(_throwaway_hash(), "not the password")


@lru_cache(maxsize=1)
def _throwaway_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def check_password_policy(password: str, *, username: str) -> None:
    """Raise :class:`WeakPassword` naming the first rule the password breaks."""
    text = nfc(password)
    if len(text) < MIN_LENGTH:
        raise WeakPassword(
            f"the password has {len(text)} characters; use at least {MIN_LENGTH} "
            "(a phrase of several words is easy to remember)",
            rule="min-length",
        )
    if len(text) > MAX_LENGTH:
        raise WeakPassword(
            f"the password has {len(text)} characters; use at most {MAX_LENGTH}",
            rule="max-length",
        )
    if text.casefold() == nfc(username).casefold():
        raise WeakPassword("the password is the username; choose another", rule="username")
    if text.casefold() in common_passwords():
        raise WeakPassword(
            "the password is on the list of commonly used passwords; choose another",
            rule="common",
        )


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The bundled list, folded to lower case; lines starting with # are its header."""
    text = files("govops.security").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().casefold()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def generate_password() -> str:
    """A random password for a new or reset account, shown once (about 120 bits)."""
    return secrets.token_urlsafe(15)
