"""The map of the provinces and a province's profile in a browser."""

from __future__ import annotations

import re

import pytest
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


def largest_shape_share(page: Page) -> float:
    """The largest province's box as a share of the map's: a shape wound the wrong way
    round covers the whole frame instead of its province."""
    return float(
        page.evaluate(
            """() => {
              const frame = document.querySelector('[data-map]').getBoundingClientRect();
              const boxes = [...document.querySelectorAll('[data-map] path.choroplethlocation')]
                .map(p => p.getBoundingClientRect());
              const largest = Math.max(...boxes.map(b => b.width * b.height));
              return largest / (frame.width * frame.height);
            }"""
        )
    )


def _index(page: Page, code: str) -> int:
    codes = page.evaluate("document.querySelector('[data-map]').data[0].locations")
    return list(codes).index(code)


def test_the_map_after_the_merger_draws_34_provinces_with_hover_values(page: Page, site: Site):
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    open_map(page, site, "indicator=EXPORTS&period=2025-M09")
    expect(page.locator("[data-map] path.choroplethlocation")).to_have_count(34)
    assert largest_shape_share(page) < 0.2
    assert "Hà Nội" in hover_province(page, "01")
    expect(page.locator(".credit")).to_contain_text("geoBoundaries")
    expect(page.locator(".credit")).to_contain_text("Hoàng Sa")
    screenshot(page, "map-34")
    assert page.errors == []  # type: ignore[attr-defined]
    # No tile, font or script from anywhere but this server.
    assert [url for url in asked if not url.startswith((site.url, "data:"))] == []


def test_the_legend_is_in_the_indicators_unit_in_the_pages_language(page: Page, site: Site):
    open_map(page, site, "indicator=EXPORTS&period=2025-M09")
    expect(page.locator("[data-map] .colorbar .cbtitle")).to_have_text("triệu đô la Mỹ")

    page.get_by_role("link", name="English").click()
    expect(page.locator("[data-map]")).to_have_attribute("data-ready", "true", timeout=15000)
    expect(page.locator("[data-map] .colorbar .cbtitle")).to_have_text("USD million")
    expect(page.locator("[data-map] .scattergeo text").first).to_have_text("Hoàng Sa archipelago")

    page.locator("#transform").select_option("yoy")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("[data-map]")).to_have_attribute("data-ready", "true", timeout=15000)
    expect(page.locator("[data-map] .colorbar .cbtitle")).to_have_text("percent")


@pytest.mark.parametrize("period", ["2025-M09", "2025-M03"])
def test_the_islands_of_hoang_sa_and_truong_sa_are_on_the_map(page: Page, site: Site, period):
    open_map(page, site, f"indicator=EXPORTS&period={period}")
    names = page.locator("[data-map] .scattergeo text")
    expect(names).to_have_text(["Quần đảo Hoàng Sa", "Quần đảo Trường Sa"])
    plot = page.locator("[data-map] .geolayer .bg, [data-map] .geo .bg").first
    frame = plot.bounding_box() or page.locator("[data-map]").bounding_box()
    assert frame is not None
    for index in range(2):
        box = names.nth(index).bounding_box()
        assert box is not None and box["width"] > 0
        assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"]
    # Đà Nẵng's shape reaches out to the islets of Hoàng Sa, Khánh Hòa's to Trường Sa.
    extents = page.evaluate(
        """() => Object.fromEntries(document.querySelector('[data-map]').data[0].geojson
             .features.map(f => [f.properties.code,
                                 Math.max(...f.geometry.coordinates.flat(2).map(p => p[0]))]))"""
    )
    assert extents["48"] > 112 and extents["56"] > 114


def test_a_month_before_the_merger_draws_the_63_provinces_of_its_time(page: Page, site: Site):
    open_map(page, site, "indicator=EXPORTS&period=2025-M03")
    expect(page.locator("[data-map] path.choroplethlocation")).to_have_count(63)
    assert largest_shape_share(page) < 0.2
    assert "Hà Nội" in hover_province(page, "01")
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
