"""Bodies and answers of the identity and access API."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field

from govops.security.audit import canonical_time
from govops.security.models import ApiKey, AuditEntry, User
from govops.security.permissions import Clearance, Permission, Role

# Control characters (NUL above all, which PostgreSQL refuses in text) are refused in
# every text field and query, with the field named, before they reach the database.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
AgencyCode = Field(
    default=None, max_length=40, pattern=PRINTABLE, description="Agency code, e.g. BTC"
)


class UserIn(BaseModel):
    username: str = Field(max_length=80, pattern=PRINTABLE, examples=["lan.nguyen"])
    display_name: str = Field(max_length=200, pattern=PRINTABLE, examples=["Nguyễn Thị Lan"])
    role: Role
    email: str | None = Field(default=None, max_length=254, pattern=PRINTABLE)
    agency: str | None = AgencyCode
    clearance: Clearance = Clearance.PUBLIC


class AccessIn(BaseModel):
    """Fields left out stay as they are; ``agency: null`` takes the account out of its
    agency."""

    role: Role | None = None
    clearance: Clearance | None = None
    agency: str | None = AgencyCode


class UserOut(BaseModel):
    username: str
    display_name: str
    email: str | None
    role: Role
    agency: str | None
    clearance: Clearance
    disabled: bool
    is_demo: bool
    must_change_password: bool
    has_second_factor: bool
    last_sign_in_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, user: User, agencies: dict[int, str]) -> UserOut:
        return cls(
            username=user.username,
            display_name=user.display_name,
            email=user.email,
            role=Role(user.role),
            agency=agencies.get(user.agency_id) if user.agency_id is not None else None,
            clearance=Clearance(user.clearance),
            disabled=user.disabled,
            is_demo=user.is_demo,
            must_change_password=user.must_change_password,
            has_second_factor=user.has_second_factor,
            last_sign_in_at=user.last_sign_in_at,
            created_at=user.created_at,
        )


class NewUserOut(BaseModel):
    user: UserOut
    password: str = Field(
        description="The first password, shown this once; it must be changed at first sign-in"
    )


class KeyIn(BaseModel):
    name: str = Field(
        max_length=200, pattern=PRINTABLE, examples=["Ministry of Finance reporting system"]
    )
    agency: str = Field(
        max_length=40, pattern=PRINTABLE, description="The agency it acts for", examples=["BTC"]
    )
    scopes: list[Permission] = Field(min_length=1, max_length=len(Permission))
    expires_at: AwareDatetime = Field(description="At most two years ahead, with a time zone")
    clearance: Clearance = Clearance.PUBLIC


class KeyOut(BaseModel):
    id: int
    kind: str
    name: str
    prefix: str = Field(description="The first characters of the secret, to tell keys apart")
    scopes: list[Permission]
    agency: str | None
    owner: str | None = Field(description="The person a personal token acts as")
    clearance: Clearance
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey, agencies: dict[int, str]) -> KeyOut:
        return cls(
            id=key.id,
            kind=key.kind,
            name=key.name,
            prefix=key.prefix,
            scopes=[Permission(name) for name in key.scopes.split()],
            agency=agencies.get(key.agency_id) if key.agency_id is not None else None,
            owner=key.user.username if key.user is not None else None,
            clearance=Clearance(key.clearance),
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )


class NewKeyOut(BaseModel):
    key: KeyOut
    secret: str = Field(description="The bearer token, shown this once and never stored")


class AuditEntryOut(BaseModel):
    sequence: int
    recorded_at: str = Field(description="UTC, ISO 8601 with microseconds, as chained")
    actor_name: str
    actor_user_id: int | None
    actor_key_id: int | None
    agency: str | None
    action: str
    object_type: str | None
    object_id: str | None
    summary: str
    client_address: str | None
    request_id: str | None
    entry_hash: str

    @classmethod
    def of(cls, entry: AuditEntry, agencies: dict[int, str]) -> AuditEntryOut:
        return cls(
            sequence=entry.sequence,
            recorded_at=canonical_time(entry.recorded_at),
            actor_name=entry.actor_name,
            actor_user_id=entry.actor_user_id,
            actor_key_id=entry.actor_key_id,
            agency=agencies.get(entry.agency_id) if entry.agency_id is not None else None,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            summary=entry.summary,
            client_address=entry.client_address,
            request_id=entry.request_id,
            entry_hash=entry.entry_hash,
        )


class AuditPage(BaseModel):
    entries: list[AuditEntryOut] = Field(description="Newest first")
    next_before: int | None = Field(
        description="Pass as `before` for the next, older page; null on the last page"
    )
