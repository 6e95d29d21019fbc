"""Single sign-on through an OpenID Connect provider: the authorization code flow with
PKCE (RFC 7636), and the ID token checked against the provider's published keys.

The provider only names the person; govops decides what they may do. A name is matched
to an account by a link made at an earlier sign-in (issuer and subject), else once by a
verified e-mail address equal to the account's, else, when an administrator allows it, a
new account of a chosen role is made. Everything after that (the second factor, the
session) is the same as after a password.

Configured by ``GOVOPS_OIDC_*`` settings; see :class:`ProviderSettings`.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govops.core.db import now_utc
from govops.core.settings import Settings
from govops.security import audit
from govops.security.accounts import USERNAME, NewUser, create_user
from govops.security.errors import NotAuthenticated, PermissionDenied
from govops.security.models import ExternalIdentity, User
from govops.security.passwords import generate_password
from govops.security.permissions import (
    Clearance,
    Permission,
    Principal,
    Role,
    Scope,
    parse_role,
)

log = logging.getLogger(__name__)

# A provider that does not answer within this many seconds is reported as unreachable.
TIMEOUT_SECONDS = 10.0
# Signature algorithms accepted for ID tokens; "none" and the HMAC family are not.
ID_TOKEN_ALGORITHMS = ["RS256", "PS256", "ES256"]
METHOD = "openid-connect"
# Who the audit log names for an account made at a first sign-on.
SIGN_ON = Principal(
    name="single sign-on",
    permissions=frozenset({Permission.USERS_MANAGE}),
    clearance=Clearance.PUBLIC,
    agency_id=None,
    scope=Scope.OWN_AGENCY,
)


class SignOnFailed(NotAuthenticated):
    """The provider's answer did not establish who the person is (401)."""

    code = "sign-on-failed"
    title = "Single sign-on failed"


class NoMatchingAccount(PermissionDenied):
    """The provider named a person govops has no account for (403)."""

    code = "no-matching-account"
    title = "No account for this person"


@dataclass(frozen=True)
class ProviderSettings:
    issuer: str
    client_id: str
    client_secret: str | None
    name: str
    scopes: str
    redirect_uri: str | None
    new_account_role: Role | None

    @classmethod
    def from_settings(cls, settings: Settings) -> ProviderSettings | None:
        """The provider's settings, or None when single sign-on is not configured."""
        if not (settings.oidc_issuer and settings.oidc_client_id):
            return None
        secret = settings.oidc_client_secret
        if settings.oidc_client_secret_file is not None:
            secret = settings.oidc_client_secret_file.read_text(encoding="utf-8").strip()
        role = settings.oidc_new_account_role
        return cls(
            issuer=settings.oidc_issuer.rstrip("/"),
            client_id=settings.oidc_client_id,
            client_secret=secret,
            name=settings.oidc_provider_name,
            scopes=settings.oidc_scopes,
            redirect_uri=settings.oidc_redirect_uri,
            new_account_role=parse_role(role, field="oidc_new_account_role") if role else None,
        )


@dataclass(frozen=True)
class Provider:
    """A provider's settings and the endpoints its discovery document names."""

    settings: ProviderSettings
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


def discover(config: ProviderSettings) -> Provider:
    """Read the provider's discovery document (OpenID Connect Discovery 1.0)."""
    address = f"{config.issuer}/.well-known/openid-configuration"
    document = _get_json(address)
    metadata = OpenIDProviderMetadata(document)
    try:
        metadata.validate()
    except ValueError as error:
        raise SignOnFailed(f"the provider's discovery document is invalid: {error}") from None
    # Section 4.3: the issuer in the document must be the one configured, exactly.
    if str(metadata["issuer"]).rstrip("/") != config.issuer:
        raise SignOnFailed(
            f"the provider names itself {metadata['issuer']}, not the configured {config.issuer}"
        )
    return Provider(
        config,
        str(metadata["authorization_endpoint"]),
        str(metadata["token_endpoint"]),
        str(metadata["jwks_uri"]),
    )


@dataclass(frozen=True)
class Authorization:
    """Where to send the browser, and what must come back with it."""

    url: str
    state: str
    nonce: str
    code_verifier: str


def start_authorization(provider: Provider, redirect_uri: str) -> Authorization:
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    params = [
        ("response_type", "code"),
        ("client_id", provider.settings.client_id),
        ("redirect_uri", redirect_uri),
        ("scope", provider.settings.scopes),
        ("state", state),
        ("nonce", nonce),
        ("code_challenge", create_s256_code_challenge(verifier)),
        ("code_challenge_method", "S256"),
    ]
    url = add_params_to_uri(provider.authorization_endpoint, params)
    return Authorization(url, state, nonce, verifier)


@dataclass(frozen=True)
class Identity:
    """The person as the provider's ID token names them."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None
    preferred_username: str | None


def finish_authorization(
    provider: Provider, *, code: str, redirect_uri: str, code_verifier: str, nonce: str
) -> Identity:
    """Trade the code for tokens and check the ID token: signature, issuer, audience,
    expiry and nonce (OpenID Connect Core 3.1.3.7)."""
    config = provider.settings
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
        "client_id": config.client_id,
    }
    auth = (config.client_id, config.client_secret) if config.client_secret else None
    tokens = _post_form(provider.token_endpoint, form, auth)
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise SignOnFailed("the provider's token answer has no ID token")
    claims = _checked_claims(provider, id_token, nonce)
    return Identity(
        issuer=config.issuer,
        subject=str(claims["sub"]),
        email=_text(claims.get("email")),
        email_verified=claims.get("email_verified") is True,
        name=_text(claims.get("name")),
        preferred_username=_text(claims.get("preferred_username")),
    )


def _checked_claims(provider: Provider, id_token: str, nonce: str) -> dict[str, Any]:
    config = provider.settings
    keys = KeySet.import_key_set(_get_json(provider.jwks_uri))  # type: ignore[arg-type]
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": config.issuer},
        aud={"essential": True, "value": config.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        token = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
        registry.validate(token.claims)
    except (JoseError, ValueError) as error:
        raise SignOnFailed(f"the ID token was refused: {error}") from None
    claims = dict(token.claims)
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != config.client_id:
        raise SignOnFailed("the ID token was issued to another party (azp)")
    return claims


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _get_json(address: str) -> dict[str, Any]:
    try:
        answer = httpx.get(address, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as error:
        raise SignOnFailed(f"the provider could not be reached at {address}: {error}") from None
    return _json_of(answer, address)


def _post_form(address: str, form: dict[str, str], auth: tuple[str, str] | None) -> dict[str, Any]:
    try:
        answer = httpx.post(address, data=form, auth=auth, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as error:
        raise SignOnFailed(f"the provider could not be reached at {address}: {error}") from None
    return _json_of(answer, address)


def _json_of(answer: httpx.Response, address: str) -> dict[str, Any]:
    if answer.status_code != 200:
        # The provider's error code only (RFC 6749 5.2), never the body: it may echo secrets.
        code = _error_code(answer)
        raise SignOnFailed(f"the provider answered {answer.status_code} ({code}) at {address}")
    try:
        document = answer.json()
    except ValueError:
        raise SignOnFailed(f"the provider's answer at {address} is not JSON") from None
    if not isinstance(document, dict):
        raise SignOnFailed(f"the provider's answer at {address} is not a JSON object")
    return document


def _error_code(answer: httpx.Response) -> str:
    try:
        code = answer.json().get("error")
    except (ValueError, AttributeError):
        code = None
    return str(code)[:60] if code else "no error code"


def account_for(
    session: Session, identity: Identity, config: ProviderSettings, *, by: audit.Actor
) -> User:
    """The account of the person the provider named, linking or making it on first use.

    Raises NoMatchingAccount when none matches and new accounts are not allowed.
    """
    link = session.get(ExternalIdentity, (identity.issuer, identity.subject))
    if link is not None:
        link.last_used_at = now_utc()
        user = session.get(User, link.user_id)
        assert user is not None  # accounts are never deleted
        return user
    user = _by_verified_email(session, identity) or _new_account(session, identity, config, by)
    now = now_utc()
    session.add(
        ExternalIdentity(
            issuer=identity.issuer,
            subject=identity.subject,
            user_id=user.id,
            created_at=now,
            last_used_at=now,
        )
    )
    session.flush()
    audit.record(
        session,
        "user.link-identity",
        by=by,
        object_type="user",
        object_id=user.id,
        summary=f"{user.username} linked to subject {identity.subject} at {identity.issuer}",
        agency_id=user.agency_id,
    )
    return user


def _by_verified_email(session: Session, identity: Identity) -> User | None:
    # An address the provider has not verified could be anyone's: it opens nothing.
    if identity.email is None or not identity.email_verified:
        return None
    found = list(
        session.scalars(
            select(User).where(func.lower(User.email) == identity.email.lower()).limit(2)
        )
    )
    return found[0] if len(found) == 1 else None


def _new_account(
    session: Session, identity: Identity, config: ProviderSettings, by: audit.Actor
) -> User:
    if config.new_account_role is None:
        named = identity.email or identity.preferred_username or identity.subject
        raise NoMatchingAccount(
            f"no account matches {named}; an administrator creates it with this e-mail "
            "address, then the person signs in again"
        )
    new = NewUser(
        username=_free_username(session, identity),
        display_name=(identity.name or identity.preferred_username or identity.subject)[:200],
        role=config.new_account_role,
        email=identity.email if identity.email_verified else None,
    )
    # The password is random and never shown: the account signs in through the provider.
    maker = audit.Actor(SIGN_ON, by.client_address, by.request_id)
    return create_user(session, new, generate_password(), by=maker, must_change_password=False)


def _free_username(session: Session, identity: Identity) -> str:
    wanted = identity.preferred_username or (identity.email or "").split("@")[0] or "sso"
    kept = (c for c in wanted.lower() if c.isascii() and (c.isalnum() or c in "._-"))
    base = "".join(kept)[:70] or "sso"
    if not base[0].isalnum():
        base = "u" + base
    candidate, number = base if len(base) >= 3 else f"{base}.sso", 1
    while (
        not USERNAME.fullmatch(candidate)
        or session.scalar(select(User.id).where(User.username == candidate)) is not None
    ):
        number += 1
        candidate = f"{base}.{number}"
    return candidate
