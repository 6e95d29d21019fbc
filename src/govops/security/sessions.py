"""Browser sessions: a random token in a cookie, its hash in the ``web_session`` table.

A person who signed in (by password and second factor, or by any other way a later
module adds) gets a session through :func:`start_browser_session`, which also sets the
cookie on the response. Every page request looks the token up with :func:`look_up`,
which ends the session when it has been idle too long, is too old, or its person's
password changed or account was disabled since it started.

Only the token's SHA-256 is stored, so a copy of the table does not let anyone act as
the people in it. Each session carries its own token against cross-site request forgery,
which every form of a signed-in page sends back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Boolean, ForeignKey, String, delete, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from starlette.responses import Response

from govops.core.db import Base, UTCDateTime, now_utc
from govops.security.models import User

COOKIE_NAME = "govops_session"
# A session not used for this long ends: a screen left signed in on a shared desk.
IDLE_TIMEOUT = timedelta(minutes=30)
# However busy, a session ends after a working day; the person signs in again.
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# Between the password and the code of the second factor.
SECOND_FACTOR_TIMEOUT = timedelta(minutes=5)
# Writing the last-seen instant on every request would make each page view a write.
TOUCH_INTERVAL = timedelta(minutes=1)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class WebSession(Base):
    """One signed-in browser. Rows are deleted when the session ends."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    # True between an accepted password and the second factor's code: such a session
    # opens no page but the one asking for the code.
    awaiting_second_factor: Mapped[bool] = mapped_column(Boolean, default=False)
    # How the person signed in (password, second factor, or another provider's name).
    method: Mapped[str] = mapped_column(String(40))
    client_address: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class StartedSession:
    """A new session and its token, which exists only here and in the cookie."""

    token: str
    record: WebSession


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session,
    user: User,
    *,
    method: str,
    awaiting_second_factor: bool = False,
    client_address: str | None = None,
    at: datetime | None = None,
) -> StartedSession:
    """A new session of ``user``; the caller sets its token as the cookie."""
    at = at or now_utc()
    token = secrets.token_urlsafe(32)
    record = WebSession(
        token_hash=token_hash(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(24),
        awaiting_second_factor=awaiting_second_factor,
        method=method,
        client_address=client_address,
        created_at=at,
        last_seen_at=at,
    )
    session.add(record)
    session.flush()
    return StartedSession(token, record)


def start_browser_session(
    session: Session,
    user: User,
    response: Response,
    *,
    method: str,
    secure: bool,
    client_address: str | None = None,
) -> WebSession:
    """Sign ``user`` in on this browser: a new session, its cookie set on ``response``.

    This is the one call a sign-in provider needs once it has established who the person
    is (``method`` names the provider in the session and the audit log's summary).
    ``secure`` is :func:`cookie_must_be_secure` of the request.
    """
    started = start_session(session, user, method=method, client_address=client_address)
    set_session_cookie(response, started.token, secure=secure)
    return started.record


def look_up(
    session: Session, token: str | None, *, at: datetime | None = None
) -> WebSession | None:
    """The live session of ``token``, or None; a session found expired is ended here."""
    if not token:
        return None
    record = session.get(WebSession, token_hash(token))
    if record is None:
        return None
    at = at or now_utc()
    if not _is_live(session, record, at):
        session.delete(record)
        session.flush()
        return None
    if at - record.last_seen_at >= TOUCH_INTERVAL:
        record.last_seen_at = at
        session.flush()
    return record


def _is_live(session: Session, record: WebSession, at: datetime) -> bool:
    idle = SECOND_FACTOR_TIMEOUT if record.awaiting_second_factor else IDLE_TIMEOUT
    if at - record.last_seen_at > idle or at - record.created_at > ABSOLUTE_TIMEOUT:
        return False
    user = session.get(User, record.user_id)
    # A changed password ends every session started before it, the thief's too.
    return user is not None and not user.disabled and user.password_changed_at <= record.created_at


def password_change_due(user: User, method: str) -> bool:
    """Whether a session started by ``method`` opens nothing until the password is
    changed: only after signing in with a password an administrator set. A person who
    signs in through another provider never needs that password."""
    return user.must_change_password and method.startswith("password")


def end_session(session: Session, token: str | None) -> None:
    """Sign out: the session of ``token`` is gone, if there was one."""
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


def end_sessions_of(session: Session, user_id: int) -> int:
    """End every session of a person (an account disabled, a device lost); answer how many."""
    ended = session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return int(ended.rowcount or 0)  # type: ignore[attr-defined]


def end_expired(session: Session, *, at: datetime | None = None) -> int:
    """Delete sessions past their idle or absolute limit; answer how many."""
    at = at or now_utc()
    expired = or_(
        WebSession.created_at < at - ABSOLUTE_TIMEOUT,
        WebSession.last_seen_at < at - IDLE_TIMEOUT,
        (WebSession.awaiting_second_factor.is_(True))
        & (WebSession.last_seen_at < at - SECOND_FACTOR_TIMEOUT),
    )
    ended = session.execute(delete(WebSession).where(expired))
    return int(ended.rowcount or 0)  # type: ignore[attr-defined]


def sessions_of(session: Session, user_id: int) -> list[WebSession]:
    return list(
        session.scalars(
            select(WebSession).where(WebSession.user_id == user_id).order_by(WebSession.created_at)
        )
    )


def csrf_matches(record: WebSession, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(record.csrf_token, sent or "")


def cookie_must_be_secure(host: str | None) -> bool:
    """Cookies travel only over HTTPS except to this machine itself, where a developer or
    the demo serves plain HTTP."""
    name = (host or "").rsplit(":", 1)[0] if not (host or "").startswith("[") else host or ""
    if name.startswith("["):
        name = name.split("]")[0] + "]"
    return name not in LOOPBACK_HOSTS


def set_session_cookie(response: Response, token: str, *, secure: bool) -> None:
    # No Max-Age: the cookie ends with the browser, the session on the server by its limits.
    response.set_cookie(COOKIE_NAME, token, httponly=True, secure=secure, samesite="lax", path="/")


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, secure=secure, samesite="lax")
