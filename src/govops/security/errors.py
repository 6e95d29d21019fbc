"""The refusals of identity and access, each with an HTTP status and a stable code.

They extend the tree of :mod:`govops.core.errors`::

    GovopsError
    ├── InvalidRequest
    │   └── WeakPassword            a new password breaks a rule of the policy (400)
    ├── NotAuthenticated            no valid identity was shown (401)
    │   ├── WrongCredentials        unknown username or wrong password (401)
    │   ├── WrongSecondFactor       a TOTP or recovery code that does not match (401)
    │   ├── MalformedToken          an Authorization header that is not 'Bearer <token>' (401)
    │   ├── UnknownToken            a bearer token govops never issued (401)
    │   ├── ExpiredToken            a token past its expiry (401)
    │   └── RevokedToken            a token that was revoked (401)
    ├── PermissionDenied            identified, but not allowed to do this (403)
    │   ├── AccountDisabled         the account was disabled by an administrator (403)
    │   ├── DemoAccountRefused      a demo account outside demo mode (403)
    │   └── PasswordChangeRequired  the password must be changed before anything else (403)
    └── TooManyRequests             come back later; ``retry_after`` says when (429)
        ├── SignInThrottled         failed sign-ins: the next attempt must wait (429)
        ├── SignInLocked            too many failed sign-ins: locked for a while (429)
        └── RateLimited             a key or person over its request rate (429)

Messages never say whether a username exists: an unknown name and a wrong password
give the same answer.
"""

from __future__ import annotations

from typing import Any

from govops.core.errors import GovopsError, InvalidRequest


class WeakPassword(InvalidRequest):
    code = "weak-password"
    title = "Password refused by the password policy"

    def __init__(self, detail: str, *, rule: str) -> None:
        super().__init__(detail, field="password", rule=rule)
        self.rule = rule


class NotAuthenticated(GovopsError):
    status = 401
    code = "not-authenticated"
    title = "Not authenticated"


class WrongCredentials(NotAuthenticated):
    code = "wrong-credentials"
    title = "Wrong username or password"

    def __init__(self, **extensions: Any) -> None:
        super().__init__("the username or the password is wrong", **extensions)


class WrongSecondFactor(NotAuthenticated):
    code = "wrong-second-factor"
    title = "Wrong second-factor code"


class MalformedToken(NotAuthenticated):
    code = "malformed-token"
    title = "Malformed credentials"


class UnknownToken(NotAuthenticated):
    code = "unknown-token"
    title = "Unknown token"


class ExpiredToken(NotAuthenticated):
    code = "expired-token"
    title = "Expired token"


class RevokedToken(NotAuthenticated):
    code = "revoked-token"
    title = "Revoked token"


class PermissionDenied(GovopsError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class AccountDisabled(PermissionDenied):
    code = "account-disabled"
    title = "Account disabled"


class DemoAccountRefused(PermissionDenied):
    code = "demo-account-refused"
    title = "Demo accounts work only in demo mode"


class PasswordChangeRequired(PermissionDenied):
    code = "password-change-required"
    title = "Password change required"


class TooManyRequests(GovopsError):
    """A refusal that ends by itself; ``retry_after`` is the number of seconds to wait,
    sent as the ``Retry-After`` header and in the problem detail."""

    status = 429
    code = "too-many-requests"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, **extensions: Any) -> None:
        super().__init__(detail, retry_after=retry_after, **extensions)
        self.retry_after = retry_after


class SignInThrottled(TooManyRequests):
    code = "sign-in-throttled"
    title = "Too many failed sign-ins; wait before the next attempt"


class SignInLocked(TooManyRequests):
    code = "sign-in-locked"
    title = "Sign-in locked after too many failed attempts"


class RateLimited(TooManyRequests):
    code = "rate-limited"
    title = "Request rate limit reached"
