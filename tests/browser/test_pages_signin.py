"""Signing in and out in a browser, with and without the second factor."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, Site, current_totp, screenshot, sign_in


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
    expect(page).to_have_url(site.url + "/signin?next=%2F")  # no page before the code

    sign_in(page, site, "admin")
    page.get_by_label("Mã").fill("000000")
    page.get_by_role("button", name="Tiếp tục").click()
    expect(page.get_by_role("alert")).to_contain_text("Mã không khớp")

    page.get_by_label("Mã").fill(current_totp(site.totp_secret))
    page.get_by_role("button", name="Tiếp tục").click()
    expect(page).to_have_url(site.url + "/")
    expect(page.locator("header")).to_contain_text("Lê Quản Trị")


def test_signing_out_ends_the_session_on_the_server(page: Page, site: Site):
    sign_in(page, site)
    cookie = next(c for c in page.context.cookies() if c["name"] == "govops_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(site.url + "/signin")

    page.context.add_cookies([{**cookie}])  # the old cookie, kept by a thief
    page.goto(site.url + "/")
    expect(page).to_have_url(site.url + "/signin?next=%2F")
