"""Signing in and out in a browser, with and without the second factor."""

from __future__ import annotations

import pyotp
from playwright.sync_api import Page, expect

from govops.core.db import transaction
from govops.security import audit
from govops.security.accounts import NewUser, create_user
from govops.security.permissions import Role
from tests.browser.conftest import (
    PASSWORD,
    Site,
    accessibility_violations,
    current_totp,
    screenshot,
    sign_in,
)


def test_a_page_sends_a_stranger_to_sign_in_and_back_to_the_page_afterwards(
    page: Page, site: Site
):
    page.goto(site.url + "/coverage")
    expect(page).to_have_url(site.url + "/signin?next=%2Fcoverage")
    screenshot(page, "signin")

    page.get_by_label("Tên đăng nhập").fill("analyst")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()

    expect(page).to_have_url(site.url + "/coverage")
    expect(page.locator("header")).to_contain_text("Nguyễn Văn An")
    expect(page.locator("header")).to_contain_text("Văn phòng Chính phủ")


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(page: Page, site: Site):
    page.goto(site.url + "/signin")
    page.get_by_label("Tên đăng nhập").fill("analyst")
    page.get_by_label("Mật khẩu").fill("not-the-password")
    page.get_by_role("button", name="Đăng nhập").click()

    expect(page.get_by_role("alert")).to_have_text("Tên đăng nhập hoặc mật khẩu không đúng.")
    expect(page.get_by_label("Tên đăng nhập")).to_have_value("analyst")


def test_an_account_with_a_second_factor_asks_for_the_code(page: Page, site: Site):
    sign_in(page, site, "admin")
    expect(page).to_have_url(site.url + "/signin/code?next=%2F")
    page.goto(site.url + "/")
    expect(page).to_have_url(site.url + "/signin/code?next=%2F")  # no page before the code

    page.get_by_label("Mã").fill("000000")
    page.get_by_role("button", name="Tiếp tục").click()
    expect(page.get_by_role("alert")).to_contain_text("Mã không khớp")

    page.get_by_label("Mã").fill(current_totp(site.totp_secret))
    page.get_by_role("button", name="Tiếp tục").click()
    expect(page).to_have_url(site.url + "/")
    expect(page.locator("header")).to_contain_text("Lê Quản Trị")


def test_a_new_leader_enrols_the_second_factor_then_chooses_a_password(page: Page, site: Site):
    with transaction(site.store.sessions) as session:
        create_user(
            session,
            NewUser("lanh.dao", "Phạm Lãnh Đạo", Role.LEADER),
            PASSWORD,
            by=audit.COMMAND_LINE,
            must_change_password=True,
        )

    sign_in(page, site, "lanh.dao", target="/coverage")
    expect(page).to_have_url(site.url + "/signin/enrol?next=%2Fcoverage")
    expect(page.get_by_role("img", name="Mã QR của khóa")).to_be_visible()
    assert accessibility_violations(page) == []
    screenshot(page, "signin-enrol")
    key = page.locator("#key").inner_text().replace(" ", "")
    page.get_by_label("Mã", exact=True).fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Tiếp tục").click()

    expect(page.get_by_role("heading", name="Mã khôi phục")).to_be_visible()
    expect(page.get_by_role("list", name="Mã khôi phục").get_by_role("listitem")).to_have_count(10)
    screenshot(page, "signin-recovery-codes")
    page.get_by_role("link", name="Tiếp tục").click()

    expect(page).to_have_url(site.url + "/signin/password?next=%2Fcoverage")
    page.get_by_label("Mật khẩu hiện tại").fill(PASSWORD)
    page.get_by_label("Mật khẩu mới", exact=True).fill("mangrove-lantern-ferry-19")
    page.get_by_label("Nhập lại mật khẩu mới").fill("mangrove-lantern-ferry-19")
    page.get_by_role("button", name="Đổi mật khẩu").click()

    expect(page).to_have_url(site.url + "/coverage")
    expect(page.locator("header")).to_contain_text("Phạm Lãnh Đạo")
    assert accessibility_violations(page) == []


def test_signing_out_ends_the_session_on_the_server(page: Page, site: Site):
    sign_in(page, site)
    cookie = next(c for c in page.context.cookies() if c["name"] == "govops_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(site.url + "/signin")

    page.context.add_cookies([{**cookie}])  # the old cookie, kept by a thief
    page.goto(site.url + "/")
    expect(page).to_have_url(site.url + "/signin?next=%2F")
