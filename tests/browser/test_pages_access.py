"""Every page of the situation room for everyone: the accessibility check in both
languages and on a phone, no sideways scrolling on a small screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from govops.core.db import transaction
from govops.security.models import User
from govops.security.sessions import COOKIE_NAME, start_session
from tests.browser.conftest import Site, accessibility_violations, screenshot, sign_in

PAGES = {
    "home": "/",
    "search": "/indicators?q=xuat",
    "indicator": "/indicators/EXPORTS?area=01&area=79",
    "map": "/map?indicator=EXPORTS&period=2025-M03",
    "province": "/provinces/24?at=2025-06-30",
    "coverage": "/coverage",
    "wall": "/wall?rotate=0&refresh=0",
    "not-found": "/indicators/NO_SUCH_THING",
}
PHONE = {"width": 375, "height": 740}


def open_page(page: Page, site: Site, path: str) -> None:
    page.goto(site.url + path)
    if page.locator("[data-map]").count():
        expect(page.locator("[data-map]").first).to_have_attribute(
            "data-ready", "true", timeout=15000
        )
    elif page.locator("[data-chart]").count():
        expect(page.locator("[data-chart] .main-svg").first).to_be_visible(timeout=15000)


def test_every_page_passes_the_accessibility_check_in_english(page: Page, site: Site):
    sign_in(page, site)
    page.goto(site.url + "/language?to=en&next=/")
    for name, path in PAGES.items():
        open_page(page, site, path)
        expect(page.locator("html")).to_have_attribute("lang", "en")
        assert accessibility_violations(page) == [], name


@pytest.mark.parametrize("name", list(PAGES))
def test_on_a_phone_each_page_fits_the_screen_and_passes_the_check(
    page: Page, site: Site, name: str
):
    page.set_viewport_size(PHONE)
    sign_in(page, site, target=PAGES[name])
    open_page(page, site, PAGES[name])

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    assert accessibility_violations(page) == [], name
    screenshot(page, f"phone-{name}")


def test_the_headline_list_form_passes_the_accessibility_check(page: Page, site: Site):
    with transaction(site.store.sessions) as session:
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        token = start_session(session, admin, method="password+totp").token
    page.context.add_cookies([{"name": COOKIE_NAME, "value": token, "url": site.url}])

    page.goto(site.url + "/settings/headlines")
    expect(page.get_by_label("Mã chỉ tiêu")).to_be_visible()
    assert accessibility_violations(page) == [], "/settings/headlines"
    page.get_by_label("Mã chỉ tiêu").fill("EXPORTS\nNOT_A_CODE")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("alert")).to_contain_text("line 2")
    assert accessibility_violations(page) == [], "/settings/headlines with an error"


def test_the_map_can_be_used_by_keyboard_alone(page: Page, site: Site):
    """The ranking beside the map reaches every province's profile without a mouse."""
    sign_in(page, site, target="/map?indicator=EXPORTS&period=2025-M09")
    ranking = page.get_by_role("region", name="Tỉnh, thành theo giá trị")
    ranking.focus()
    first = ranking.get_by_role("link").first
    for _ in range(40):
        page.keyboard.press("Tab")
        if first.evaluate("link => link === document.activeElement"):
            break
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2, name="Lịch sử")).to_be_visible()
