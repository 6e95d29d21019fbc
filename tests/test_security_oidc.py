"""Single sign-on through OpenID Connect, against a real provider on loopback.

The browser's part is played by two HTTP clients: govops' test client, and httpx for the
provider's authorization endpoint; govops itself calls the provider's discovery, key
set and token endpoints over real HTTP.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from conftest import Store
from govops.core.db import transaction
from govops.security.models import AuditEntry, ExternalIdentity, User
from govops.security.permissions import Role
from govops.security.sessions import COOKIE_NAME
from govops.web.app import create_app
from oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider
from security_helpers import new_user

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

PROVIDER_NAME = "Cổng đăng nhập"
LAN = {
    "sub": "248289761001",
    "email": "lan@mof.gov.vn",
    "email_verified": True,
    "name": "Nguyễn Thị Lan",
    "preferred_username": "lan.nguyen",
}
FAILED = (
    "Đăng nhập qua dịch vụ đăng nhập một lần không thành công. "
    "Hãy thử lại hoặc đăng nhập bằng mật khẩu."
)


@pytest.fixture
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        running.person = dict(LAN)
        yield running


@contextmanager
def govops(store: Store, folder: Path, provider: Provider | None, **settings: object):
    sso = {}
    if provider is not None:
        sso = {
            "oidc_issuer": provider.url,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
            "oidc_provider_name": PROVIDER_NAME,
        }
    app = create_app(store.settings(data_dir=folder, **sso, **settings))
    with TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False) as client:
        yield client
    app.state.engine.dispose()


def sign_on(client: TestClient, next: str = "/coverage") -> httpx.Response:
    """Press the button, sign in at the provider, come back; answer govops' last answer."""
    started = client.get("/signin/sso", params={"next": next})
    assert started.status_code == 303, started.text
    at_provider = httpx.get(started.headers["location"], follow_redirects=False)
    assert at_provider.status_code == 302, at_provider.text
    return client.get(at_provider.headers["location"])


def alert(html: str) -> str:
    found = re.search(r'<p class="alert" role="alert">([^<]*)</p>', html)
    assert found, "the page shows no alert"
    return found.group(1)


def audit_entries(store: Store, action: str) -> list[AuditEntry]:
    with store.session() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_the_sign_in_page_offers_the_provider_only_when_one_is_configured(
    store, tmp_path, provider
):
    with govops(store, tmp_path, provider) as client:
        offered = client.get("/signin?next=%2Fcoverage").text
    with govops(store, tmp_path, None) as client:
        plain = client.get("/signin").text
        start = client.get("/signin/sso")

    assert 'href="/signin/sso?next=/coverage">Đăng nhập bằng Cổng đăng nhập</a>' in offered
    assert "/signin/sso" not in plain
    assert start.status_code == 303 and start.headers["location"] == "/signin"


def test_a_person_is_matched_by_verified_email_linked_and_signed_in(store, tmp_path, provider):
    with transaction(store.sessions) as session:
        lan = new_user(session, "lan.nguyen", role=Role.ANALYST)
        lan.email = "Lan@MOF.gov.vn"

    with govops(store, tmp_path, provider) as client:
        back = sign_on(client)
        page = client.get("/coverage")

    assert back.status_code == 303 and back.headers["location"] == "/coverage"
    assert "HttpOnly" in back.headers["set-cookie"] and COOKIE_NAME in back.headers["set-cookie"]
    assert page.status_code == 200 and "Nguyễn Thị Lan" in page.text
    with store.session() as session:
        link = session.scalars(select(ExternalIdentity)).one()
    assert (link.issuer, link.subject, link.user_id) == (provider.url, LAN["sub"], lan.id)
    [signed] = [e for e in audit_entries(store, "sign-in") if e.actor_name == "lan.nguyen"]
    assert signed.summary == "openid-connect accepted; second factor: none"


def test_the_link_outlives_a_change_of_address_at_the_provider(store, tmp_path, provider):
    with transaction(store.sessions) as session:
        new_user(session, "lan.nguyen").email = "lan@mof.gov.vn"
    with govops(store, tmp_path, provider) as client:
        sign_on(client)

    provider.person["email"] = "lan.nguyen@new.gov.vn"
    with govops(store, tmp_path, provider) as client:
        back = sign_on(client)
        assert client.get("/coverage").status_code == 200

    assert back.headers["location"] == "/coverage"
    assert len(audit_entries(store, "user.link-identity")) == 1


def test_an_unverified_address_matches_no_account_and_the_refusal_is_recorded(
    store, tmp_path, provider
):
    with transaction(store.sessions) as session:
        new_user(session, "lan.nguyen").email = "lan@mof.gov.vn"
    provider.person["email_verified"] = False

    with govops(store, tmp_path, provider) as client:
        back = sign_on(client)
        after = client.get("/coverage")

    assert back.status_code == 403
    assert alert(back.text) == "Tài khoản này không thể đăng nhập. Hãy liên hệ quản trị viên."
    assert COOKIE_NAME not in back.headers.get("set-cookie", "")
    assert after.status_code == 303
    [refusal] = audit_entries(store, "sign-in.refused")
    assert refusal.summary == (
        f"openid-connect, subject {LAN['sub']} at {provider.url}: no-matching-account"
    )


def test_an_unknown_person_gets_an_account_of_the_chosen_role_when_allowed(
    store, tmp_path, provider
):
    with govops(store, tmp_path, provider, oidc_new_account_role="viewer") as client:
        back = sign_on(client, "/")
        home = client.get("/")

    assert back.headers["location"] == "/" and home.status_code == 200
    with store.session() as session:
        made = session.scalars(select(User).where(User.username == "lan.nguyen")).one()
    assert (made.role, made.email, made.display_name) == ("viewer", LAN["email"], LAN["name"])
    assert not made.must_change_password
    [created] = audit_entries(store, "user.create")
    assert created.actor_name == "single sign-on"


def test_a_role_that_requires_a_second_factor_still_enrols_one(store, tmp_path, provider):
    with transaction(store.sessions) as session:
        new_user(session, "quan.tri", role=Role.ADMINISTRATOR).email = LAN["email"]

    with govops(store, tmp_path, provider) as client:
        back = sign_on(client)
        refused = client.get("/coverage")

    assert back.status_code == 303
    assert back.headers["location"] == "/signin/enrol?next=%2Fcoverage"
    assert refused.headers["location"] == "/signin?next=%2Fcoverage"


def test_a_disabled_account_is_refused_through_the_provider_too(store, tmp_path, provider):
    with transaction(store.sessions) as session:
        user = new_user(session, "lan.nguyen")
        user.email, user.disabled = LAN["email"], True

    with govops(store, tmp_path, provider) as client:
        back = sign_on(client)

    assert back.status_code == 403
    assert alert(back.text) == "Tài khoản này không thể đăng nhập. Hãy liên hệ quản trị viên."


@pytest.mark.parametrize(
    "fault", ["wrong nonce", "wrong audience", "wrong issuer", "expired", "foreign key"]
)
def test_an_id_token_that_fails_a_check_signs_nobody_in(store, tmp_path, provider, fault):
    with transaction(store.sessions) as session:
        new_user(session, "lan.nguyen").email = LAN["email"]
    provider.misbehave = fault

    with govops(store, tmp_path, provider) as client:
        back = sign_on(client)
        after = client.get("/coverage")

    assert back.status_code == 401
    assert alert(back.text) == FAILED
    assert COOKIE_NAME not in back.headers.get("set-cookie", "")
    assert after.status_code == 303


def test_a_return_this_browser_did_not_start_is_refused_before_calling_the_provider(
    store, tmp_path, provider
):
    with transaction(store.sessions) as session:
        new_user(session, "lan.nguyen").email = LAN["email"]

    with govops(store, tmp_path, provider) as victim, govops(store, tmp_path, provider) as thief:
        started = thief.get("/signin/sso")
        at_provider = httpx.get(started.headers["location"], follow_redirects=False)
        victim.get("/signin/sso")  # the victim's browser holds a state of its own
        forced = victim.get(at_provider.headers["location"])

    assert forced.status_code == 401 and alert(forced.text) == FAILED
    assert provider.token_requests == 0


def test_a_provider_that_cannot_be_reached_is_reported_on_the_sign_in_page(store, tmp_path):
    settings = {"oidc_issuer": "http://127.0.0.1:9", "oidc_client_id": CLIENT_ID}
    with govops(store, tmp_path, None, **settings) as client:
        answer = client.get("/signin/sso")

    assert answer.status_code == 502
    assert alert(answer.text) == FAILED
