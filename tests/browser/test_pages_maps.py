"""The map of the provinces and a province's profile in a browser."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Site, accessibility_violations, screenshot, sign_in


def open_map(page: Page, site: Site, query: str) -> None:
    sign_in(page, site, target=f"/map?{query}")
    expect(page.locator("[data-map]")).to_have_attribute("data-ready", "true", timeout=15000)


def hover_province(page: Page, code: str) -> str:
    """Hover the middle of a province's shape and read the label plotly shows."""
    shape = page.locator("[data-map] path.choroplethlocation").nth(_index(page, code))
    box = shape.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    label = page.locator("[data-map] .hoverlayer .hovertext")
    expect(label).to_be_visible()
    return label.text_content() or ""


def _index(page: Page, code: str) -> int:
    codes = page.evaluate("document.querySelector('[data-map]').data[0].locations")
    return list(codes).index(code)


def test_the_map_after_the_merger_draws_34_provinces_with_hover_values(page: Page, site: Site):
    open_map(page, site, "indicator=EXPORTS&period=2025-M09")
    expect(page.locator("[data-map] path.choroplethlocation")).to_have_count(34)
    assert "Hà Nội" in hover_province(page, "01")
    expect(page.locator(".credit")).to_contain_text("geoBoundaries")
    expect(page.locator(".credit")).to_contain_text("Hoàng Sa")
    screenshot(page, "map-34")
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_month_before_the_merger_draws_the_63_provinces_of_its_time(page: Page, site: Site):
    open_map(page, site, "indicator=EXPORTS&period=2025-M03")
    expect(page.locator("[data-map] path.choroplethlocation")).to_have_count(63)
    ranking = page.get_by_role("region", name=re.compile("Tỉnh, thành theo giá trị"))
    expect(ranking.locator("tbody tr")).to_have_count(63)
    screenshot(page, "map-63")


def test_the_hover_shows_the_value_in_vietnamese_notation(page: Page, site: Site):
    open_map(page, site, "indicator=EXPORTS&period=2025-M09")
    row = page.locator("tbody tr", has_text="Hà Nội")
    value = row.locator("td").nth(2).inner_text()
    assert re.fullmatch(r"\d+,0", value)
    assert value in hover_province(page, "01")


def test_clicking_a_province_opens_its_profile_with_its_history(page: Page, site: Site):
    open_map(page, site, "indicator=EXPORTS&period=2025-M09")
    shape = page.locator("[data-map] path.choroplethlocation").nth(_index(page, "24"))
    box = shape.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    expect(page).to_have_url(re.compile(r"/provinces/24\?at=2025-09-30$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bắc Ninh")
    history = page.locator("ul", has_text="Bắc Giang")
    expect(history).to_contain_text("Tỉnh Bắc Ninh")
    expect(page.locator("tbody tr", has_text="Kim ngạch xuất khẩu")).to_contain_text("/34")
    screenshot(page, "province")


def test_the_map_and_profile_pass_the_accessibility_check(page: Page, site: Site):
    open_map(page, site, "indicator=EXPORTS&period=2025-M09")
    assert accessibility_violations(page) == [], "/map"
    page.goto(site.url + "/provinces/24")
    assert accessibility_violations(page) == [], "/provinces/24"
