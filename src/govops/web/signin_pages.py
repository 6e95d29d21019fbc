"""Signing in and out in a browser: password, then the second factor's code.

The sign-in form has no session yet, so its token against forged requests is a random
value in a cookie of its own, which the form repeats (a double-submit token). After the
password, a person with a second factor holds a session that opens nothing but the page
asking for the code; the code accepted, that session is replaced by a new one, so a
token seen before the sign-in completed is worth nothing after it.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Form, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from govops.core.api import app_settings
from govops.core.db import transaction
from govops.core.errors import GovopsError
from govops.security.models import User
from govops.security.sessions import (
    COOKIE_NAME,
    clear_session_cookie,
    cookie_must_be_secure,
    csrf_matches,
    end_session,
    look_up,
    set_session_cookie,
    start_browser_session,
    start_session,
)
from govops.security.signin import Origin, SecondFactorStep, pass_second_factor, sign_in
from govops.security.totp import secret_box_for
from govops.web.auth import LANGUAGE_COOKIE, language_of, safe_next
from govops.web.i18n import LANGUAGES, translations
from govops.web.shell import page_router, render

router = page_router()
FORM_COOKIE = "govops_form"


def _origin(request: Request) -> Origin:
    client = request.client.host if request.client else None
    return Origin(client, getattr(request.state, "request_id", None))


def _secure(request: Request) -> bool:
    return cookie_must_be_secure(request.headers.get("host"))


def _form_page(
    request: Request,
    template: str,
    context: dict[str, object],
    *,
    status_code: int = 200,
    form_token: str | None = None,
) -> HTMLResponse:
    token = form_token or request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request, None, template, {**context, "form_token": token}, status_code=status_code
    )
    response.set_cookie(
        FORM_COOKIE, token, httponly=True, secure=_secure(request), samesite="strict"
    )
    return response


def _form_token_ok(request: Request, sent: str) -> bool:
    kept = request.cookies.get(FORM_COOKIE)
    return bool(kept) and hmac.compare_digest(kept or "", sent)


@router.get("/signin")
def signin_page(request: Request, next: Annotated[str | None, Query()] = None) -> Response:
    return _form_page(request, "signin.html", {"next": safe_next(next), "error": None})


@router.post("/signin")
def signin_submit(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    form_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    target = safe_next(next)
    _ = translations(_language(request)).gettext
    context: dict[str, object] = {"next": target, "username": username}
    if not _form_token_ok(request, form_token):
        context["error"] = _("The form had expired. Please sign in again.")
        return _form_page(request, "signin.html", context, status_code=400)
    settings = app_settings(request)
    try:
        accepted = sign_in(
            request.app.state.sessions,
            username,
            password,
            mode=settings.mode,
            origin=_origin(request),
        )
    except GovopsError as error:
        context["error"] = _refusal_text(error, _)
        return _form_page(request, "signin.html", context, status_code=error.status)

    if accepted.second_factor is SecondFactorStep.ENROL:
        context["error"] = _(
            "Your role requires a second factor, which is not set up yet. "
            "Ask an administrator to enrol it with you."
        )
        return _form_page(request, "signin.html", context, status_code=403)

    response = RedirectResponse(target, status_code=303)
    with transaction(request.app.state.sessions) as session:
        user = session.get(User, accepted.user_id)
        assert user is not None
        if accepted.second_factor is SecondFactorStep.CHECK:
            started = start_session(
                session,
                user,
                method="password",
                awaiting_second_factor=True,
                client_address=_origin(request).client_address,
            )
            set_session_cookie(response, started.token, secure=_secure(request))
            response.headers["location"] = f"/signin/code?next={_quoted(target)}"
        else:
            start_browser_session(
                session,
                user,
                response,
                method="password",
                secure=_secure(request),
                client_address=_origin(request).client_address,
            )
    return response


def _quoted(path: str) -> str:
    return quote(path, safe="")


def _refusal_text(error: GovopsError, _: object) -> str:
    gettext = _  # the catalogue's gettext, named for the extractor below
    assert callable(gettext)
    if error.status == 429:
        return str(gettext("Too many attempts. Wait a few minutes and try again."))
    if error.code in {"account-disabled", "demo-account-refused"}:
        return str(gettext("This account cannot sign in. Ask an administrator."))
    return str(gettext("The username or the password is wrong."))


@router.get("/signin/code")
def code_page(request: Request, next: Annotated[str | None, Query()] = None) -> Response:
    with transaction(request.app.state.sessions) as session:
        record = look_up(session, request.cookies.get(COOKIE_NAME))
        if record is None or not record.awaiting_second_factor:
            return RedirectResponse("/signin", status_code=303)
        token = record.csrf_token
    context: dict[str, object] = {"next": safe_next(next), "error": None}
    return _form_page(request, "signin_code.html", context, form_token=token)


@router.post("/signin/code")
async def code_submit(
    request: Request,
    code: Annotated[str, Form()],
    form_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    return await run_in_threadpool(_check_code, request, code, form_token, safe_next(next))


def _check_code(request: Request, code: str, form_token: str, target: str) -> Response:
    sessions = request.app.state.sessions
    _ = translations(_language(request)).gettext
    token = request.cookies.get(COOKIE_NAME)
    with transaction(sessions) as session:
        record = look_up(session, token)
        if record is None or not record.awaiting_second_factor:
            return RedirectResponse("/signin", status_code=303)
        user_id, form_ok = record.user_id, csrf_matches(record, form_token)
        csrf = record.csrf_token
    context: dict[str, object] = {"next": target}
    if not form_ok:
        context["error"] = _("The form had expired. Please sign in again.")
        return _form_page(request, "signin_code.html", context, status_code=400, form_token=csrf)
    settings = app_settings(request)
    try:
        pass_second_factor(
            sessions,
            user_id,
            code,
            secret_box_for(settings),
            mode=settings.mode,
            origin=_origin(request),
        )
    except GovopsError as error:
        context["error"] = (
            _("Too many attempts. Wait a few minutes and try again.")
            if error.status == 429
            else _("The code does not match. Check the phone's clock and try again.")
        )
        return _form_page(
            request, "signin_code.html", context, status_code=error.status, form_token=csrf
        )

    response = RedirectResponse(target, status_code=303)
    with transaction(sessions) as session:
        end_session(session, token)
        user = session.get(User, user_id)
        assert user is not None
        start_browser_session(
            session,
            user,
            response,
            method="password and second factor",
            secure=_secure(request),
            client_address=_origin(request).client_address,
        )
    return response


@router.post("/signout")
def signout(request: Request, form_token: Annotated[str, Form()] = "") -> Response:
    token = request.cookies.get(COOKIE_NAME)
    with transaction(request.app.state.sessions) as session:
        record = look_up(session, token)
        # A forged sign-out from another site is ignored rather than obeyed.
        forged = record is not None and not csrf_matches(record, form_token)
        if not forged:
            end_session(session, token)
    response = RedirectResponse("/" if forged else "/signin", status_code=303)
    if not forged:
        clear_session_cookie(response, secure=_secure(request))
    return response


@router.get("/language")
def switch_language(
    request: Request,
    to: Annotated[str, Query()],
    next: Annotated[str | None, Query()] = None,
) -> Response:
    """Remember the chosen language in a cookie and go back to the page."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if to in LANGUAGES:
        max_age = 400 * 24 * 3600
        response.set_cookie(
            LANGUAGE_COOKIE, to, max_age=max_age, secure=_secure(request), samesite="lax"
        )
    return response


def _language(request: Request) -> str:
    return language_of(request)
