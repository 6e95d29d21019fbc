"""Signing in and out in a browser: password, then the second factor's code.

The sign-in form has no session yet, so its token against forged requests is a random
value in a cookie of its own, which the form repeats (a double-submit token). After the
password, a person with a second factor holds a session that opens nothing but the page
asking for the code; the code accepted, that session is replaced by a new one, so a
token seen before the sign-in completed is worth nothing after it.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Annotated
from urllib.parse import quote, unquote

import qrcode
from fastapi import Form, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from qrcode.image.svg import SvgPathImage

from govops.core.api import app_settings
from govops.core.db import transaction
from govops.core.errors import GovopsError
from govops.security import audit
from govops.security.accounts import change_password, principal_of
from govops.security.errors import TooManyRequests, WrongCredentials
from govops.security.models import User
from govops.security.oidc import METHOD as SSO_METHOD
from govops.security.oidc import (
    Provider,
    ProviderSettings,
    discover,
    finish_authorization,
    start_authorization,
)
from govops.security.sessions import (
    COOKIE_NAME,
    clear_session_cookie,
    cookie_must_be_secure,
    csrf_matches,
    end_session,
    look_up,
    password_change_due,
    set_session_cookie,
    start_browser_session,
    start_session,
)
from govops.security.signin import (
    Origin,
    SecondFactorStep,
    SignIn,
    begin_enrolment,
    enrol_at_sign_in,
    pass_second_factor,
    sign_in,
    sign_in_with_identity,
)
from govops.security.throttle import SignInLimits
from govops.security.totp import Enrolment, secret_box_for
from govops.web.auth import LANGUAGE_COOKIE, language_of, safe_next
from govops.web.i18n import LANGUAGES, translations
from govops.web.shell import page_router, render

log = logging.getLogger(__name__)
router = page_router()
FORM_COOKIE = "govops_form"
CODE_PAGE = "/signin/code"
ENROL_PAGE = "/signin/enrol"
PASSWORD_PAGE = "/signin/password"


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
    context = {**context, "form_token": token, "sso": _sso_offer(request)}
    response = render(request, None, template, context, status_code=status_code)
    response.set_cookie(
        FORM_COOKIE, token, httponly=True, secure=_secure(request), samesite="strict"
    )
    return response


def _form_token_ok(request: Request, sent: str) -> bool:
    kept = request.cookies.get(FORM_COOKIE)
    return bool(kept) and hmac.compare_digest(kept or "", sent)


@router.get("/signin")
def signin_page(request: Request, next: Annotated[str | None, Query()] = None) -> Response:
    target = safe_next(next)
    step = _step_due(request)
    if step is not None:
        return RedirectResponse(f"{step}?next={_quoted(target)}", status_code=303)
    return _form_page(request, "signin.html", {"next": target, "error": None})


def _sso_offer(request: Request) -> str | None:
    """The provider's name for the sign-in page's button, when one is configured."""
    config = _sso_config(request)
    return None if config is None else config.name


def _step_due(request: Request) -> str | None:
    """The page of the sign-in step this browser's session still has to pass, if any."""
    with transaction(request.app.state.sessions) as session:
        record = look_up(session, request.cookies.get(COOKIE_NAME))
        user = session.get(User, record.user_id) if record is not None else None
        if record is None or user is None:
            return None
        if record.awaiting_second_factor:
            return CODE_PAGE if user.has_second_factor else ENROL_PAGE
        return PASSWORD_PAGE if password_change_due(user, record.method) else None


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
            limits=SignInLimits.from_settings(settings),
            origin=_origin(request),
        )
    except GovopsError as error:
        context["error"] = _refusal_text(error, _)
        refused = _form_page(request, "signin.html", context, status_code=error.status)
        if isinstance(error, TooManyRequests):
            refused.headers["Retry-After"] = str(error.retry_after)
        return refused

    return after_first_factor(request, accepted, target, method="password")


def after_first_factor(
    request: Request, accepted: SignIn, target: str, *, method: str
) -> Response:
    """The answer once a person is named (by password or another provider): a session
    that opens only the second factor's page, or a full one."""
    response = RedirectResponse(target, status_code=303)
    with transaction(request.app.state.sessions) as session:
        user = session.get(User, accepted.user_id)
        assert user is not None
        if accepted.second_factor is SecondFactorStep.NONE:
            start_browser_session(
                session,
                user,
                response,
                method=method,
                secure=_secure(request),
                client_address=_origin(request).client_address,
            )
            if password_change_due(user, method):
                response.headers["location"] = _password_page(target)
            return response
        started = start_session(
            session,
            user,
            method=method,
            awaiting_second_factor=True,
            client_address=_origin(request).client_address,
        )
    set_session_cookie(response, started.token, secure=_secure(request))
    step = CODE_PAGE if accepted.second_factor is SecondFactorStep.CHECK else ENROL_PAGE
    response.headers["location"] = f"{step}?next={_quoted(target)}"
    return response


def _password_page(target: str) -> str:
    return f"{PASSWORD_PAGE}?next={_quoted(target)}"


def _quoted(path: str) -> str:
    return quote(path, safe="")


def _refusal_text(error: GovopsError, _: object) -> str:
    gettext = _  # the catalogue's gettext, named for the extractor below
    assert callable(gettext)
    if error.status == 429:
        return str(gettext("Too many attempts. Wait a few minutes and try again."))
    if error.code in {"account-disabled", "demo-account-refused", "no-matching-account"}:
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
    method = "second factor"
    try:
        pass_second_factor(
            sessions,
            user_id,
            code,
            secret_box_for(settings),
            mode=settings.mode,
            limits=SignInLimits.from_settings(settings),
            origin=_origin(request),
        )
    except GovopsError as error:
        context["error"] = _code_refusal_text(error, _)
        return _form_page(
            request, "signin_code.html", context, status_code=error.status, form_token=csrf
        )

    response = RedirectResponse(target, status_code=303)
    if _replace_session(request, token, user_id, response, method):
        response.headers["location"] = _password_page(target)
    return response


def _replace_session(
    request: Request, token: str | None, user_id: int, response: Response, method: str
) -> bool:
    """End the half-signed-in session and start a full one, whose cookie ``response``
    sets: a token seen before the sign-in completed is worth nothing after it. Answer
    whether the password must still be changed."""
    with transaction(request.app.state.sessions) as session:
        first = look_up(session, token)
        first_factor = first.method if first is not None else "password"
        end_session(session, token)
        user = session.get(User, user_id)
        assert user is not None
        start_browser_session(
            session,
            user,
            response,
            method=f"{first_factor} and {method}"[:40],
            secure=_secure(request),
            client_address=_origin(request).client_address,
        )
        return password_change_due(user, first_factor)


@router.get(ENROL_PAGE)
def enrol_page(request: Request, next: Annotated[str | None, Query()] = None) -> Response:
    """The secret to scan into an authenticator app, for a role that requires one."""
    pending = _pending_enrolment(request)
    if pending is None:
        return RedirectResponse("/signin", status_code=303)
    user_id, csrf, _ = pending
    enrolment = begin_enrolment(
        request.app.state.sessions, user_id, secret_box_for(app_settings(request))
    )
    context = _enrol_context(enrolment, safe_next(next), error=None)
    return _form_page(request, "signin_enrol.html", context, form_token=csrf)


def _pending_enrolment(request: Request) -> tuple[int, str, bool] | None:
    """The person, form token and whether the password must be changed next, of a
    session waiting to enrol a second factor."""
    with transaction(request.app.state.sessions) as session:
        record = look_up(session, request.cookies.get(COOKIE_NAME))
        if record is None or not record.awaiting_second_factor:
            return None
        user = session.get(User, record.user_id)
        if user is None or user.has_second_factor:
            return None
        return user.id, record.csrf_token, password_change_due(user, record.method)


def _enrol_context(enrolment: Enrolment, target: str, *, error: str | None) -> dict[str, object]:
    # Four letters at a time, as authenticator apps show a key typed by hand.
    key = " ".join(enrolment.secret[i : i + 4] for i in range(0, len(enrolment.secret), 4))
    return {
        "next": target,
        "error": error,
        "key": key,
        "uri": enrolment.provisioning_uri,
        "qr": _qr_svg(enrolment.provisioning_uri),
    }


def _qr_svg(text: str) -> Markup:
    """The QR code of ``text`` as inline SVG, drawn here: no image comes from elsewhere."""
    image = qrcode.make(text, image_factory=SvgPathImage, box_size=8)
    svg = image.to_string(encoding="unicode")
    # Safe as markup: a drawing of squares made here, with no text of the request in it.
    return Markup(svg[svg.index("<svg") :])


@router.post(ENROL_PAGE)
async def enrol_submit(
    request: Request,
    code: Annotated[str, Form()],
    form_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    return await run_in_threadpool(_confirm_enrolment, request, code, form_token, safe_next(next))


def _confirm_enrolment(request: Request, code: str, form_token: str, target: str) -> Response:
    _ = translations(_language(request)).gettext
    pending = _pending_enrolment(request)
    if pending is None:
        return RedirectResponse("/signin", status_code=303)
    user_id, csrf, must_change = pending
    settings = app_settings(request)
    box = secret_box_for(settings)
    error, status = None, 400
    if not hmac.compare_digest(csrf, form_token):
        error = _("The form had expired. Please sign in again.")
    else:
        try:
            recovery_codes = enrol_at_sign_in(
                request.app.state.sessions,
                user_id,
                code,
                box,
                mode=settings.mode,
                limits=SignInLimits.from_settings(settings),
                origin=_origin(request),
            )
        except GovopsError as refusal:
            error, status = _code_refusal_text(refusal, _), refusal.status
    if error is not None:
        enrolment = begin_enrolment(request.app.state.sessions, user_id, box)
        context = _enrol_context(enrolment, target, error=error)
        return _form_page(
            request, "signin_enrol.html", context, status_code=status, form_token=csrf
        )

    landing = _password_page(target) if must_change else target
    shown: dict[str, object] = {"codes": recovery_codes, "next": landing}
    response = render(request, None, "signin_recovery.html", shown)
    _replace_session(
        request, request.cookies.get(COOKIE_NAME), user_id, response, "new second factor"
    )
    response.headers["cache-control"] = "no-store"  # the codes are shown once
    return response


def _code_refusal_text(error: GovopsError, _: object) -> str:
    gettext = _
    assert callable(gettext)
    if error.status == 429:
        return str(gettext("Too many attempts. Wait a few minutes and try again."))
    return str(gettext("The code does not match. Check the phone's clock and try again."))


@router.get(PASSWORD_PAGE)
def password_page(request: Request, next: Annotated[str | None, Query()] = None) -> Response:
    """Choose a new password: required before anything else after an administrator set
    it, and open to anyone signed in."""
    signed_in = _signed_in(request)
    if signed_in is None:
        return RedirectResponse(f"/signin?next={_quoted(PASSWORD_PAGE)}", status_code=303)
    _, csrf, forced = signed_in
    context: dict[str, object] = {"next": safe_next(next), "error": None, "forced": forced}
    return _form_page(request, "signin_password.html", context, form_token=csrf)


def _signed_in(request: Request) -> tuple[int, str, bool] | None:
    """Person, form token and whether the change is forced, of a fully signed-in session."""
    with transaction(request.app.state.sessions) as session:
        record = look_up(session, request.cookies.get(COOKIE_NAME))
        if record is None or record.awaiting_second_factor:
            return None
        user = session.get(User, record.user_id)
        assert user is not None
        return user.id, record.csrf_token, password_change_due(user, record.method)


@router.post(PASSWORD_PAGE)
def password_submit(
    request: Request,
    current_password: Annotated[str, Form()],
    new_password: Annotated[str, Form()],
    repeated_password: Annotated[str, Form()],
    form_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    _ = translations(_language(request)).gettext
    target = safe_next(next)
    signed_in = _signed_in(request)
    if signed_in is None:
        return RedirectResponse("/signin", status_code=303)
    user_id, csrf, forced = signed_in
    error, status = None, 400
    if not hmac.compare_digest(csrf, form_token):
        error = _("The form had expired. Please sign in again.")
    elif new_password != repeated_password:
        error = _("The two new passwords differ. Type the same one twice.")
    else:
        try:
            _change_password(request, user_id, current_password, new_password)
        except GovopsError as refusal:
            error, status = _password_refusal_text(refusal, _), refusal.status
    if error is not None:
        context: dict[str, object] = {"next": target, "error": error, "forced": forced}
        return _form_page(
            request, "signin_password.html", context, status_code=status, form_token=csrf
        )

    # The change ended every session started before it, this one too: start another.
    response = RedirectResponse(target, status_code=303)
    with transaction(request.app.state.sessions) as session:
        user = session.get(User, user_id)
        assert user is not None
        start_browser_session(
            session,
            user,
            response,
            method="new password",
            secure=_secure(request),
            client_address=_origin(request).client_address,
        )
    return response


def _change_password(request: Request, user_id: int, current: str, new: str) -> None:
    with transaction(request.app.state.sessions) as session:
        user = session.get(User, user_id)
        assert user is not None
        origin = _origin(request)
        actor = audit.Actor(principal_of(user), origin.client_address, origin.request_id)
        change_password(session, user, current, new, by=actor)


def _password_refusal_text(error: GovopsError, _: object) -> str:
    gettext = _
    assert callable(gettext)
    rule = error.extensions.get("rule")
    texts = {
        "min-length": gettext("The new password is too short: use at least 12 characters."),
        "max-length": gettext("The new password is too long."),
        "username": gettext("The new password may not be the username."),
        "common": gettext("The new password is a commonly used one. Choose another."),
        "reuse": gettext("The new password is the current one. Choose another."),
    }
    if isinstance(error, WrongCredentials):
        return str(gettext("The current password is wrong."))
    return str(texts.get(str(rule), gettext("The new password is refused. Choose another.")))


SSO_COOKIE = "govops_sso"
SSO_PAGE = "/signin/sso"
SSO_RETURN = "/signin/sso/return"


def _sso_config(request: Request) -> ProviderSettings | None:
    return ProviderSettings.from_settings(app_settings(request))


def _provider(request: Request, config: ProviderSettings) -> Provider:
    """The provider's endpoints, read from its discovery document once per server."""
    provider: Provider | None = getattr(request.app.state, "sso_provider", None)
    if provider is None or provider.settings != config:
        provider = request.app.state.sso_provider = discover(config)
    return provider


def _return_address(request: Request, config: ProviderSettings) -> str:
    return config.redirect_uri or str(request.base_url).rstrip("/") + SSO_RETURN


@router.get(SSO_PAGE)
def sso_start(request: Request, next: Annotated[str | None, Query()] = None) -> Response:
    """Send the browser to the provider, remembering in a cookie what must come back."""
    config = _sso_config(request)
    if config is None:
        return RedirectResponse("/signin", status_code=303)
    try:
        provider = _provider(request, config)
    except GovopsError as error:
        log.warning("single sign-on unavailable: %s", error.detail)
        return _sso_failed(request, safe_next(next), 502)
    started = start_authorization(provider, _return_address(request, config))
    response = RedirectResponse(started.url, status_code=303)
    remembered = ":".join(
        [started.state, started.nonce, started.code_verifier, _quoted(safe_next(next))]
    )
    # Lax, not Strict: the provider's redirect back is a navigation from another site.
    response.set_cookie(
        SSO_COOKIE,
        remembered,
        max_age=600,
        path=SSO_PAGE,
        httponly=True,
        secure=_secure(request),
        samesite="lax",
    )
    return response


@router.get(SSO_RETURN)
def sso_return(
    request: Request,
    code: Annotated[str | None, Query()] = None,
    state: Annotated[str | None, Query()] = None,
) -> Response:
    """The provider sends the browser back here with a code to trade for the ID token."""
    config = _sso_config(request)
    remembered = (request.cookies.get(SSO_COOKIE) or "").split(":", 3)
    if config is None or len(remembered) != 4:
        return RedirectResponse("/signin", status_code=303)
    expected_state, nonce, verifier, quoted_target = remembered
    target = safe_next(unquote(quoted_target))
    if not (code and state and hmac.compare_digest(state, expected_state)):
        # Refused by the person or the provider, or a return this browser never started.
        return _sso_failed(request, target, 401)
    settings = app_settings(request)
    try:
        identity = finish_authorization(
            _provider(request, config),
            code=code,
            redirect_uri=_return_address(request, config),
            code_verifier=verifier,
            nonce=nonce,
        )
        accepted = sign_in_with_identity(
            request.app.state.sessions,
            identity,
            config,
            mode=settings.mode,
            origin=_origin(request),
        )
    except GovopsError as error:
        log.info("single sign-on refused: %s", error.code)
        return _sso_failed(request, target, error.status, error)
    response = after_first_factor(request, accepted, target, method=SSO_METHOD)
    response.delete_cookie(SSO_COOKIE, path=SSO_PAGE)
    return response


def _sso_failed(
    request: Request, target: str, status: int, error: GovopsError | None = None
) -> Response:
    _ = translations(_language(request)).gettext
    if error is not None and error.code in {"no-matching-account", "account-disabled"}:
        text = _refusal_text(error, _)
    else:
        text = _(
            "Signing in through the single sign-on service failed. "
            "Try again or sign in with a password."
        )
    context: dict[str, object] = {"next": target, "error": text}
    response = _form_page(request, "signin.html", context, status_code=status)
    response.delete_cookie(SSO_COOKIE, path=SSO_PAGE)
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
