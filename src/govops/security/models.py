"""Tables of identity and access: users, recovery codes, tokens, role policy, audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govops.core.db import Base, UTCDateTime

SEQUENCE = BigInteger().with_variant(Integer, "sqlite")


class User(Base):
    """A person's account. Accounts are disabled, never deleted, so the audit log's
    references to them stay meaningful."""

    # "user" is a reserved word in PostgreSQL.
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    # None for the Government Office's own administrators and leaders.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    clearance: Mapped[str] = mapped_column(String(20), default="public")
    password_hash: Mapped[str] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # The TOTP secret sealed with the server's key (govops.security.totp.SecretBox), so
    # a copy of the database alone does not give anyone the second factor.
    totp_secret_sealed: Mapped[str | None] = mapped_column(String(400))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last 30-second step whose code was accepted: a code is good once (RFC 6238 5.2).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def has_second_factor(self) -> bool:
        return self.totp_confirmed_at is not None


class RecoveryCode(Base):
    """A single-use code that stands in for the TOTP code when the device is lost."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    # SHA-256 of the code: codes carry 80 random bits, too many to guess by hashing.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class RolePolicy(Base):
    """An administrator's choice for a role, overriding the default in ``ROLES``."""

    __tablename__ = "role_policy"

    role: Mapped[str] = mapped_column(String(40), primary_key=True)
    requires_second_factor: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiKey(Base):
    """A bearer token: an agency system's API key, or a person's personal access token.

    Only the SHA-256 of the secret is stored; ``prefix`` (the first characters of the
    secret) lets people tell their keys apart in lists.
    """

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(20))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Permission names separated by spaces, always a subset of what the creator held.
    scopes: Mapped[str] = mapped_column(Text)
    # A personal token acts as its user; an API key acts for its agency.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    clearance: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class AuditEntry(Base):
    """One entry of the hash-chained audit log (see govops.security.audit).

    Actors and agencies are kept as plain numbers with no foreign key: the log must
    read the same whatever happens to the rows it mentions.
    """

    __tablename__ = "audit_entry"

    sequence: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_key_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(200))
    # The agency the action concerns (a key's, an account's), or else the actor's.
    agency_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    client_address: Mapped[str | None] = mapped_column(String(100))
    request_id: Mapped[str | None] = mapped_column(String(100))
    previous_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class ExternalIdentity(Base):
    """A person as an OpenID Connect provider names them, linked to their account.

    The provider's subject is the only stable name it gives: e-mail addresses change, so
    an address is used once, to make the link, and the link is used from then on.
    """

    __tablename__ = "external_identity"

    issuer: Mapped[str] = mapped_column(String(300), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime)
