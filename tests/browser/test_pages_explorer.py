"""The indicator explorer in a browser: search, an indicator's chart, table and downloads."""

from __future__ import annotations

import re

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from govops.web import i18n
from tests.browser.conftest import Site, accessibility_violations, screenshot, sign_in


def search(page: Page, text: str) -> None:
    page.get_by_role("searchbox").fill(text)
    page.get_by_role("button", name="Tìm kiếm").click()


def test_search_finds_exports_with_and_without_diacritics(page: Page, site: Site):
    sign_in(page, site, target="/indicators")
    for text in ["xuất khẩu", "XUAT KHAU"]:
        search(page, text)
        results = page.locator(".results li")
        expect(results).to_have_count(1)
        expect(results.first).to_contain_text("Kim ngạch xuất khẩu hàng hóa")
    screenshot(page, "search")


def test_filters_narrow_the_catalogue_by_frequency_and_group(page: Page, site: Site):
    sign_in(page, site, target="/indicators")
    page.get_by_label("Kỳ hạn").select_option("Q")
    page.get_by_label("Nhóm").select_option("NSIS")
    page.get_by_role("button", name="Tìm kiếm").click()
    # The results are read once the filtered page has loaded, not from the one before it.
    page.wait_for_url(re.compile(r"group=NSIS"))
    codes = page.locator(".results .code").all_inner_texts()
    assert "GDP_GROWTH_Q" in codes and "EXPORTS" not in codes
    assert all(code.endswith("_Q") for code in codes)


def test_the_owner_agency_filter_keeps_only_that_agencys_indicators(page: Page, site: Site):
    sign_in(page, site, target="/indicators")
    page.get_by_label("Cơ quan chủ trì").select_option(label="Bộ Tài chính")
    page.get_by_role("button", name="Tìm kiếm").click()
    page.wait_for_url(re.compile(r"owner=MOF"))

    results = page.locator(".results li")
    codes = page.locator(".results .code").all_inner_texts()
    assert "EXPORTS" in codes and "CPI" not in codes
    for index in range(results.count()):
        expect(results.nth(index)).to_contain_text("Bộ Tài chính")


def test_an_indicator_page_draws_the_chart_and_the_table_behind_it(page: Page, site: Site):
    sign_in(page, site, target="/indicators")
    search(page, "xuat khau")
    page.get_by_role("link", name="Kim ngạch xuất khẩu hàng hóa").click()

    expect(page.locator(".chart .main-svg").first).to_be_visible(timeout=15000)
    expect(page.locator(".chart .ytitle")).to_have_text("triệu đô la Mỹ")
    table = page.get_by_role("region", name=re.compile("Bảng số liệu"))
    expect(table.locator("tr", has_text="T9/2025")).to_contain_text("33.100,5")
    expect(page.locator("dl.meta")).to_contain_text("Bộ Tài chính")
    revisions = page.locator("table", has_text="Giá trị điều chỉnh")
    expect(revisions).to_contain_text("T9/2025")
    screenshot(page, "indicator")
    assert page.errors == []  # type: ignore[attr-defined]


def test_changing_the_transform_and_the_areas_redraws_for_provinces(page: Page, site: Site):
    sign_in(page, site, target="/indicators/EXPORTS")
    page.get_by_label("Hiển thị", exact=True).select_option("yoy")
    page.get_by_label("Địa bàn").select_option(["01", "79"])
    page.get_by_label("Từ kỳ").fill("2025-M07")
    page.get_by_label("Đến kỳ").fill("2025-M10")
    page.get_by_role("button", name="Hiển thị").click()

    expect(page).to_have_url(re.compile(r"transform=yoy&area=01&area=79"))
    header = page.locator("thead tr").first
    expect(header).to_contain_text("Hà Nội")
    expect(header).to_contain_text("Hồ Chí Minh")
    expect(page.locator(".chart .trace")).to_have_count(2)
    expect(page.locator("h2", has_text="Bảng số liệu")).to_contain_text("%")


def test_the_xlsx_download_holds_the_cells_of_the_table(page: Page, site: Site, tmp_path):
    sign_in(page, site, target="/indicators/EXPORTS?start=2025-M08&end=2025-M10")
    with page.expect_download() as waiting:
        page.get_by_role("link", name="XLSX").click()
    path = tmp_path / "exports.xlsx"
    waiting.value.save_as(path)

    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("indicator", "area", "area_name_vi", "period", "value")
    assert [(row[3], row[4]) for row in rows[1:]] == [
        ("2025-M08", 37750),
        ("2025-M09", 33100.5),
        ("2025-M10", 38250),
    ]


def test_the_xlsx_download_holds_exactly_the_cells_the_page_shows(
    page: Page, site: Site, tmp_path
):
    query = "transform=yoy&area=01&area=79&start=2025-M07&end=2025-M10"
    sign_in(page, site, target=f"/indicators/EXPORTS?{query}")
    shown = _table_cells(page)
    with page.expect_download() as waiting:
        page.get_by_role("link", name="XLSX").click()
    path = tmp_path / "exports-yoy.xlsx"
    waiting.value.save_as(path)

    sheet = load_workbook(path).active
    downloaded = {}
    for row in sheet.iter_rows(min_row=2):
        area_name, period, value = row[2].value, row[3].value, row[4]
        places = len(value.number_format.partition(".")[2])
        label = i18n.period_label(period, "vi")
        downloaded[(area_name, label)] = i18n.number(value.value, places, "vi")
    assert len(shown) == 8 and downloaded == shown


def _table_cells(page: Page) -> dict[tuple[str, str], str]:
    """The table behind the chart as (area, period) to the number shown."""
    table = page.get_by_role("region", name=re.compile("Bảng số liệu"))
    areas = table.locator("thead th").all_inner_texts()[1:]
    cells = {}
    for row in table.locator("tbody tr").all():
        period = row.locator("th").inner_text()
        for area, cell in zip(areas, row.locator("td").all_inner_texts(), strict=True):
            cells[(area, period)] = cell.split()[0]
    return cells


def test_as_of_a_past_date_shows_the_value_before_its_revision(page: Page, site: Site):
    sign_in(page, site, target="/indicators/EXPORTS?start=2025-M09&end=2025-M09")
    table = page.get_by_role("region", name=re.compile("Bảng số liệu"))
    expect(table.locator("tr", has_text="T9/2025")).to_contain_text("33.100,5")

    page.get_by_label("Theo số liệu biết đến ngày").fill("2025-12-01")
    page.get_by_role("button", name="Hiển thị").click()

    expect(page.locator(".note").first).to_contain_text("01/12/2025")
    expect(table.locator("tr", has_text="T9/2025")).to_contain_text("38.000,0")


def test_the_explorers_pages_pass_the_accessibility_check(page: Page, site: Site):
    sign_in(page, site)
    for path in ["/indicators?q=xuat", "/indicators/EXPORTS?area=01&area=79"]:
        page.goto(site.url + path)
        page.wait_for_load_state("networkidle")
        assert accessibility_violations(page) == [], path
