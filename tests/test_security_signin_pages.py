"""Signing in through the pages, over HTTP: the forced password change, enrolling the
second factor at the first sign-in, sign-out, and forged form tokens."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyotp
import qrcode
from qrcode.image.svg import SvgPathImage
from sqlalchemy import select

from conftest import Store
from govops.core.db import transaction
from govops.security.models import AuditEntry, User
from govops.security.permissions import Role
from govops.security.sessions import COOKIE_NAME
from govops.web.app import create_app
from security_helpers import GOOD_PASSWORD, new_user

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

NEW_PASSWORD = "mangrove-lantern-ferry-19"


@contextmanager
def browser_client(store: Store, folder: Path) -> Iterator[TestClient]:
    """A client with no session, on this machine's address (cookies not marked Secure)."""
    app = create_app(store.settings(data_dir=folder))
    with TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False) as client:
        yield client
    app.state.engine.dispose()


def form_token(html: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def submit_password(client: TestClient, username: str, password: str, next: str = "/") -> str:
    """Post the sign-in form; answer where the browser is sent."""
    token = form_token(client.get("/signin").text)
    form = {"username": username, "password": password, "form_token": token, "next": next}
    answer = client.post("/signin", data=form)
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def change_form(client: TestClient, current: str, new: str, repeated: str | None = None) -> dict:
    page = client.get("/signin/password?next=%2Fcoverage")
    assert page.status_code == 200, page.text
    return {
        "current_password": current,
        "new_password": new,
        "repeated_password": new if repeated is None else repeated,
        "form_token": form_token(page.text),
        "next": "/coverage",
    }


def alert(html: str) -> str:
    found = re.search(r'<p class="alert" role="alert">([^<]*)</p>', html)
    assert found, "the page shows no alert"
    return found.group(1)


def drawn_qr(html: str) -> str:
    found = re.search(r'<div role="img" aria-label="Mã QR của khóa">(<svg.*?</svg>)</div>', html)
    assert found, "the page shows no QR code"
    return found.group(1)


def qr_of(text: str) -> str:
    svg = qrcode.make(text, image_factory=SvgPathImage, box_size=8).to_string(encoding="unicode")
    return svg[svg.index("<svg") :]


def actions_of(store: Store, username: str) -> list[tuple[str, str]]:
    with store.session() as session:
        user_id = session.scalars(select(User.id).where(User.username == username)).one()
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_id == str(user_id))
            .order_by(AuditEntry.sequence)
        ).all()
    return [(entry.action, entry.summary) for entry in entries]


def test_a_password_set_by_an_administrator_must_be_changed_before_any_page(store, tmp_path):
    with transaction(store.sessions) as session:
        new_user(session, "lan.nguyen", must_change_password=True)

    with browser_client(store, tmp_path) as client:
        assert submit_password(client, "lan.nguyen", GOOD_PASSWORD, "/coverage") == (
            "/signin/password?next=%2Fcoverage"
        )
        refused = client.get("/coverage")
        assert refused.status_code == 303
        assert refused.headers["location"] == "/signin?next=%2Fcoverage"
        onward = client.get("/signin?next=%2Fcoverage")
        assert onward.headers["location"] == "/signin/password?next=%2Fcoverage"

        changed = client.post(
            "/signin/password", data=change_form(client, GOOD_PASSWORD, NEW_PASSWORD)
        )
        assert changed.status_code == 303
        assert changed.headers["location"] == "/coverage"
        assert client.get("/coverage").status_code == 200

    assert ("user.password-change", "lan.nguyen changed the password") in actions_of(
        store, "lan.nguyen"
    )


def test_a_refused_change_says_why_and_keeps_the_old_password(store, tmp_path):
    with transaction(store.sessions) as session:
        new_user(session, "lan.nguyen", must_change_password=True)

    with browser_client(store, tmp_path) as client:
        submit_password(client, "lan.nguyen", GOOD_PASSWORD)
        wrong = client.post("/signin/password", data=change_form(client, "guess", NEW_PASSWORD))
        short = client.post("/signin/password", data=change_form(client, GOOD_PASSWORD, "short"))
        common = client.post(
            "/signin/password", data=change_form(client, GOOD_PASSWORD, "password1234")
        )
        differ = client.post(
            "/signin/password",
            data=change_form(client, GOOD_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x"),
        )
        forged = client.post(
            "/signin/password",
            data=change_form(client, GOOD_PASSWORD, NEW_PASSWORD) | {"form_token": "forged"},
        )

    assert (wrong.status_code, alert(wrong.text)) == (401, "Mật khẩu hiện tại không đúng.")
    assert (short.status_code, alert(short.text)) == (
        400,
        "Mật khẩu mới quá ngắn: cần ít nhất 12 ký tự.",
    )
    assert (common.status_code, alert(common.text)) == (
        400,
        "Mật khẩu mới là mật khẩu hay bị dùng. Hãy chọn mật khẩu khác.",
    )
    assert (differ.status_code, alert(differ.text)) == (
        400,
        "Hai mật khẩu mới không khớp. Hãy nhập cùng một mật khẩu hai lần.",
    )
    assert (forged.status_code, alert(forged.text)) == (
        400,
        "Biểu mẫu đã hết hạn. Vui lòng đăng nhập lại.",
    )
    with store.session() as session:
        user = session.scalars(select(User).where(User.username == "lan.nguyen")).one()
        assert user.must_change_password


def test_the_session_from_before_a_password_change_is_worth_nothing_after_it(store, tmp_path):
    with transaction(store.sessions) as session:
        new_user(session, "lan.nguyen", must_change_password=True)

    with browser_client(store, tmp_path) as client:
        submit_password(client, "lan.nguyen", GOOD_PASSWORD)
        before = client.cookies[COOKIE_NAME]
        client.post("/signin/password", data=change_form(client, GOOD_PASSWORD, NEW_PASSWORD))
        after = client.cookies[COOKIE_NAME]

        client.cookies.set(COOKIE_NAME, before)
        replayed = client.get("/coverage")
        client.cookies.set(COOKIE_NAME, after)
        current = client.get("/coverage")

    assert before != after
    assert replayed.status_code == 303
    assert replayed.headers["location"] == "/signin?next=%2Fcoverage"
    assert current.status_code == 200


def test_a_role_that_requires_a_second_factor_enrols_it_at_the_first_sign_in(store, tmp_path):
    with transaction(store.sessions) as session:
        new_user(session, "quan.tri", role=Role.ADMINISTRATOR)

    with browser_client(store, tmp_path) as client:
        assert submit_password(client, "quan.tri", GOOD_PASSWORD, "/coverage") == (
            "/signin/enrol?next=%2Fcoverage"
        )
        assert client.get("/coverage").headers["location"] == "/signin?next=%2Fcoverage"
        page = client.get("/signin/enrol?next=%2Fcoverage")
        key = re.search(r'<code id="key">([^<]+)</code>', page.text)
        assert page.status_code == 200 and key
        secret = key.group(1).replace(" ", "")
        reloaded = client.get("/signin/enrol?next=%2Fcoverage")
        assert secret in reloaded.text.replace(" ", "")  # the scanned key stays valid
        assert drawn_qr(page.text) == qr_of(
            pyotp.TOTP(secret).provisioning_uri(name="quan.tri", issuer_name="govops")
        )

        form = {"form_token": form_token(page.text), "next": "/coverage"}
        wrong = client.post("/signin/enrol", data=form | {"code": "000000"})
        right = client.post("/signin/enrol", data=form | {"code": pyotp.TOTP(secret).now()})
        codes = re.findall(r"<li><code>([a-z2-7-]{19})</code></li>", right.text)
        opened = client.get("/coverage")

    assert (wrong.status_code, alert(wrong.text)) == (
        401,
        "Mã không khớp. Hãy kiểm tra đồng hồ của điện thoại và thử lại.",
    )
    assert right.status_code == 200 and len(codes) == 10
    assert right.headers["cache-control"] == "no-store"
    assert COOKIE_NAME in right.headers["set-cookie"]
    assert opened.status_code == 200
    assert [action for action, _ in actions_of(store, "quan.tri")][-3:] == [
        "sign-in.refused",
        "second-factor.enrol",
        "sign-in",
    ]


def test_after_enrolling_the_next_sign_in_asks_for_a_code_and_a_recovery_code_works(
    store, tmp_path
):
    with transaction(store.sessions) as session:
        new_user(session, "quan.tri", role=Role.ADMINISTRATOR)
    with browser_client(store, tmp_path) as client:
        submit_password(client, "quan.tri", GOOD_PASSWORD)
        page = client.get("/signin/enrol")
        secret = re.search(r'<code id="key">([^<]+)</code>', page.text).group(1)  # type: ignore[union-attr]
        form = {
            "form_token": form_token(page.text),
            "code": pyotp.TOTP(secret.replace(" ", "")).now(),
        }
        codes = re.findall(
            r"<li><code>([a-z2-7-]{19})</code></li>", client.post("/signin/enrol", data=form).text
        )

    with browser_client(store, tmp_path) as client:
        assert submit_password(client, "quan.tri", GOOD_PASSWORD) == "/signin/code?next=%2F"
        assert client.get("/signin/enrol").headers["location"] == "/signin"
        code_page = client.get("/signin/code")
        answer = client.post(
            "/signin/code", data={"form_token": form_token(code_page.text), "code": codes[0]}
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        assert client.get("/").status_code == 200


def test_a_session_cookie_replayed_after_sign_out_opens_nothing(store, tmp_path):
    with transaction(store.sessions) as session:
        new_user(session, "lan.nguyen")

    with browser_client(store, tmp_path) as client:
        submit_password(client, "lan.nguyen", GOOD_PASSWORD)
        kept = client.cookies[COOKIE_NAME]
        token = form_token(client.get("/coverage").text)
        signed_out = client.post("/signout", data={"form_token": token})
        client.cookies.set(COOKIE_NAME, kept)
        replayed = client.get("/coverage")

    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/signin"
    assert replayed.status_code == 303
    assert replayed.headers["location"] == "/signin?next=%2Fcoverage"


def test_a_forged_sign_out_is_ignored_and_the_session_goes_on(store, tmp_path):
    with transaction(store.sessions) as session:
        new_user(session, "lan.nguyen")

    with browser_client(store, tmp_path) as client:
        submit_password(client, "lan.nguyen", GOOD_PASSWORD)
        forged = client.post("/signout", data={"form_token": "forged"})
        still = client.get("/coverage")

    assert forged.status_code == 303 and forged.headers["location"] == "/"
    assert still.status_code == 200


def test_a_form_with_a_forged_token_is_refused_403_naming_why_and_recorded(store, tmp_path):
    with transaction(store.sessions) as session:
        new_user(session, "quan.tri", role=Role.ANALYST)

    with browser_client(store, tmp_path) as client:
        submit_password(client, "quan.tri", GOOD_PASSWORD)
        genuine = form_token(client.get("/coverage").text)
        answer = client.post(
            "/settings/headlines", data={"codes": "CPI", "form_token": genuine[::-1]}
        )

    detail = "the form is stale or came from another site; reload the page"
    assert answer.status_code == 403
    assert detail in answer.text
    with store.session() as session:
        refusal = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "access.refused")
        ).one()
    assert refusal.summary == f"403 bad-form-token: {detail}"
    assert refusal.object_id == "POST /settings/headlines"


def test_a_wrong_password_is_401_and_a_locked_account_429_even_with_the_right_one(store, tmp_path):
    with transaction(store.sessions) as session:
        new_user(session, "lan.nguyen")
    limits = {
        "signin_account_free_failures": 1,
        "signin_account_lock_failures": 2,
        "signin_lock_minutes": 15,
    }
    app = create_app(store.settings(data_dir=tmp_path, **limits))
    with TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False) as client:
        token = form_token(client.get("/signin").text)

        def attempt(password: str):  # type: ignore[no-untyped-def]
            form = {"username": "lan.nguyen", "password": password, "form_token": token}
            return client.post("/signin", data=form)

        first, second, right = attempt("guess-one"), attempt("guess-two"), attempt(GOOD_PASSWORD)
    app.state.engine.dispose()

    wrong = "Tên đăng nhập hoặc mật khẩu không đúng."
    assert (first.status_code, alert(first.text)) == (401, wrong)
    assert (second.status_code, alert(second.text)) == (401, wrong)
    assert right.status_code == 429
    assert alert(right.text) == "Quá nhiều lần thử. Vui lòng đợi vài phút rồi thử lại."
    assert int(right.headers["Retry-After"]) > 14 * 60
    assert COOKIE_NAME not in right.headers.get("set-cookie", "")
