"""The situation room in a browser: headline cards, scorecard, languages, phone, wall."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from govops.core.db import transaction
from govops.datastore.rows import IncomingRow
from govops.datastore.writes import Payload, store_observations
from tests.browser.conftest import Site, accessibility_violations, screenshot, sign_in


def test_the_home_page_shows_the_months_headlines_in_vietnamese(page: Page, site: Site):
    sign_in(page, site)

    exports = page.locator(".card", has_text="Kim ngạch xuất khẩu hàng hóa")
    expect(exports.locator(".value")).to_contain_text("38.250,0")
    expect(exports).to_contain_text("T10/2025")
    expect(exports.locator(".change")).to_contain_text("so với cùng kỳ năm trước")
    expect(exports.locator("svg.spark")).to_be_visible()
    expect(page.get_by_role("heading", name="Kết quả thực hiện Chương trình")).to_be_visible()
    expect(page.get_by_role("heading", name="Độ cập nhật của dữ liệu")).to_be_visible()
    screenshot(page, "home")
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_headline_card_opens_its_indicator(page: Page, site: Site):
    sign_in(page, site)
    page.get_by_role("link", name="Chỉ số giá tiêu dùng").first.click()
    expect(page).to_have_url(re.compile(r"/indicators/CPI$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Chỉ số giá tiêu dùng")


def test_the_whole_interface_switches_to_english_and_back(page: Page, site: Site):
    sign_in(page, site)
    page.get_by_role("link", name="English").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Situation room")
    exports = page.locator(".card", has_text="Exports of goods")
    expect(exports.locator(".value")).to_contain_text("38,250.0")
    expect(exports).to_contain_text("Oct 2025")
    expect(page.get_by_role("link", name="Indicators", exact=True)).to_be_visible()
    screenshot(page, "home-english")

    page.get_by_role("link", name="Tiếng Việt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Phòng tình hình")


def test_the_coverage_page_lists_what_is_missing(page: Page, site: Site):
    sign_in(page, site, target="/coverage")
    expect(page.get_by_role("heading", name="Độ phủ dữ liệu số")).to_be_visible()
    missing = page.locator("table", has_text="Kỳ phải có").last
    expect(missing).to_contain_text("FDI_DISBURSED")
    expect(page.get_by_role("meter").first).to_be_visible()
    screenshot(page, "coverage")


def test_on_a_phone_the_home_page_needs_no_sideways_scrolling(page: Page, site: Site):
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in(page, site)
    expect(page.locator(".card").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    font = page.evaluate("getComputedStyle(document.querySelector('.card h3')).fontSize")
    assert float(font.removesuffix("px")) >= 14
    screenshot(page, "home-phone")


def test_wall_mode_rotates_its_panels_and_refreshes_without_reloading(page: Page, site: Site):
    sign_in(page, site, target="/wall?rotate=1&refresh=1")
    panels = page.locator("[data-wall] .panel")
    expect(panels).to_have_count(4)
    expect(panels.nth(0)).to_be_visible()
    page.evaluate("window.marker = 'still the same page'")

    expect(panels.nth(1)).to_be_visible(timeout=5000)
    expect(panels.nth(0)).to_be_hidden()
    expect(page.locator("[data-wall]")).to_have_attribute("data-refreshed", re.compile("[1-9]"))
    assert page.evaluate("window.marker") == "still the same page"
    screenshot(page, "wall")


def test_a_figure_that_arrives_shows_on_the_wall_without_a_reload(page: Page, site: Site):
    sign_in(page, site, target="/wall?panel=headlines&rotate=0&refresh=1")
    imports = page.locator(".card", has_text="Kim ngạch nhập khẩu hàng hóa").locator(".value")
    expect(imports).to_contain_text("34.600,0")
    page.evaluate("window.marker = 'still the same page'")

    revised = [IncomingRow(1, "IMPORTS", "VN", "2025-M10", "35123.4")]
    with transaction(site.store.sessions) as session:
        store_observations(session, revised, Payload(b"revision", "text/csv", "test"))

    expect(imports).to_contain_text("35.123,4", timeout=10000)
    assert page.evaluate("window.marker") == "still the same page"


def test_the_wall_shows_only_the_chosen_panels_and_the_map_among_them(page: Page, site: Site):
    sign_in(page, site, target="/wall?rotate=0&refresh=0")
    page.get_by_text("Chọn các bảng hiển thị").click()
    page.get_by_role("checkbox", name="Chỉ tiêu nổi bật").uncheck()
    page.get_by_role("checkbox", name="Kết quả thực hiện Chương trình").uncheck()
    page.get_by_role("button", name="Hiển thị trên màn hình tường").click()

    expect(page).to_have_url(re.compile(r"panel=map&panel=freshness"))
    expect(page.locator("[data-wall] .panel")).to_have_count(2)
    map_panel = page.locator("[data-panel=map]")
    expect(map_panel.locator("[data-map]")).to_have_attribute("data-ready", "true", timeout=15000)
    expect(map_panel.locator("path.choroplethlocation")).to_have_count(34)
    expect(map_panel.locator("h2")).to_contain_text("Kim ngạch xuất khẩu hàng hóa, T10/2025")
    screenshot(page, "wall-map")


def test_the_wall_is_legible_from_the_back_of_the_room(page: Page, site: Site):
    """On a 1080p screen every panel fits the screen, no text is under 20 px and the
    figures are 48 px or more; every panel passes the accessibility check on its dark
    background."""
    page.set_viewport_size({"width": 1920, "height": 1080})
    sign_in(page, site, target="/wall?rotate=0&refresh=0")
    expect(page.locator("[data-map]")).to_have_attribute("data-ready", "true", timeout=15000)
    panels = page.locator("[data-wall] .panel")
    for index in range(panels.count()):
        panel = panels.nth(index)
        expect(panel).to_be_visible()
        name = panel.get_attribute("data-panel")
        screenshot(page, f"wall-1080p-{name}")
        assert _smallest_text_px(page, index) >= 20, name
        assert page.evaluate("document.documentElement.scrollHeight") <= 1080, name
        assert accessibility_violations(page) == [], name
        page.keyboard.press("ArrowRight")
    value = page.locator(".card .value").first
    assert float(value.evaluate("e => getComputedStyle(e).fontSize").removesuffix("px")) >= 48
    assert page.evaluate("document.documentElement.scrollWidth") <= 1920


def _smallest_text_px(page: Page, index: int) -> float:
    return float(
        page.evaluate(
            """(index) => {
              const panel = document.querySelectorAll('[data-wall] .panel')[index];
              const sizes = [...panel.querySelectorAll('*')]
                .filter(e => [...e.childNodes].some(
                  n => n.nodeType === Node.TEXT_NODE && n.textContent.trim()))
                .filter(e => e.getClientRects().length > 0)
                .map(e => parseFloat(getComputedStyle(e).fontSize));
              return Math.min(...sizes);
            }""",
            index,
        )
    )


def test_the_home_page_can_be_used_by_keyboard_alone(page: Page, site: Site):
    sign_in(page, site)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Chuyển đến nội dung")).to_be_focused()
    page.keyboard.press("Enter")
    for _ in range(3):
        page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused and focused.startswith("/indicators/")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/indicators/[A-Z_]+$"))


def test_the_rooms_pages_pass_the_accessibility_check(page: Page, site: Site):
    sign_in(page, site)
    for path in ["/", "/coverage", "/wall?rotate=0&refresh=0"]:
        page.goto(site.url + path)
        assert accessibility_violations(page) == [], path
    page.goto(site.url + "/language?to=vi&next=/")
    page.context.clear_cookies()
    page.goto(site.url + "/signin")
    assert accessibility_violations(page) == [], "/signin"
