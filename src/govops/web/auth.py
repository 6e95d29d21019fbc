"""Who is looking at a page, and whether they may: the dependency every page declares.

A page names its permission with :func:`require_page`, as an API route does with
``security.web.require``; the person is found through the session cookie, never a
bearer token::

    viewer: Annotated[Viewer, require_page(Permission.DATA_READ)]

Without a live session the browser is sent to the sign-in page and back; without the
permission the page answers 403 and the refusal is recorded in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Security
from fastapi.security import SecurityScopes
from sqlalchemy.orm import Session

from govops.catalog.models import Agency
from govops.core.api import db_session
from govops.core.db import transaction
from govops.security.accounts import principal_of
from govops.security.errors import NotAuthenticated, PermissionDenied
from govops.security.models import User
from govops.security.permissions import Permission, Principal, has_permission
from govops.security.sessions import (
    COOKIE_NAME,
    WebSession,
    csrf_matches,
    look_up,
    password_change_due,
)
from govops.web.i18n import choose_language

LANGUAGE_COOKIE = "govops_lang"


class SignInNeeded(NotAuthenticated):
    """A page asked for without a live session: answered by a trip to the sign-in page."""


class PasswordChangeNeeded(SignInNeeded):
    """A session whose person must change the password before any page: the sign-in
    page sends them on to the change."""


class PageRefused(PermissionDenied):
    """A signed-in person without the page's permission: answered by an HTML 403."""


class BadFormToken(PermissionDenied):
    """A form sent without this session's token: perhaps from another site."""

    code = "bad-form-token"


@dataclass(frozen=True)
class Viewer:
    """The signed-in person of a page request."""

    principal: Principal
    user_id: int
    username: str
    display_name: str
    agency_code: str | None
    agency_name: str | None
    csrf_token: str
    language: str

    def may(self, permission: Permission) -> bool:
        return has_permission(self.principal, permission)


def language_of(request: Request) -> str:
    return choose_language(request.cookies.get(LANGUAGE_COOKIE))


def page_caller(request: Request, needed: SecurityScopes) -> Viewer:
    """The viewer of the request's session, holding every permission ``needed``."""
    with transaction(request.app.state.sessions) as session:
        record = look_up(session, request.cookies.get(COOKIE_NAME))
        if record is None or record.awaiting_second_factor:
            raise SignInNeeded("sign in to open this page")
        user = session.get(User, record.user_id)
        assert user is not None  # look_up answers only sessions of existing people
        if password_change_due(user, record.method):
            raise PasswordChangeNeeded("change the password to open this page")
        viewer = _viewer(session, user, record, language_of(request))
    request.state.principal = viewer.principal
    for name in needed.scopes:
        if not viewer.may(Permission(name)):
            raise PageRefused(f"this page needs the permission {name}", permission=name)
    return viewer


def _viewer(session: Session, user: User, record: WebSession, language: str) -> Viewer:
    agency = session.get(Agency, user.agency_id) if user.agency_id else None
    agency_name = None
    if agency is not None:
        agency_name = agency.name_vi if language == "vi" else agency.name_en
    return Viewer(
        principal=principal_of(user),
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        agency_code=agency.code if agency else None,
        agency_name=agency_name,
        csrf_token=record.csrf_token,
        language=language,
    )


def require_page(permission: Permission) -> Any:
    """The dependency of a page that needs ``permission``; it answers the viewer."""
    return Security(page_caller, scopes=[permission.value])


def check_form_token(viewer: Viewer, sent: str | None) -> None:
    """Refuse a form POST that does not carry the session's token."""
    if not _matches(viewer.csrf_token, sent):
        raise BadFormToken("the form is stale or came from another site; reload the page")


def _matches(expected: str, sent: str | None) -> bool:
    record = WebSession(csrf_token=expected)
    return csrf_matches(record, sent)


def sign_in_address(request: Request) -> str:
    """The sign-in page, coming back to the page asked for."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/signin?next={quote(target, safe='')}"


def safe_next(target: str | None) -> str:
    """Only a path of this site is followed after sign-in, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


DbSession = Annotated[Session, Depends(db_session)]
