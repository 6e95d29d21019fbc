"""The warnings inbox in a browser: a warning's evidence and chart, acknowledging, a task."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser import conftest as shared
from tests.browser.conftest import Site, accessibility_violations, screenshot, sign_in
from tests.test_targets_pages import site as targets_site

# The browser tests' fixtures and the site of the targets page tests, used here by name.
context, page, site = shared.context, shared.page, targets_site


def open_warning(page: Page, site: Site, words: str, username: str = "analyst") -> None:
    sign_in(page, site, username=username, target="/warnings")
    page.get_by_role("link", name=words).first.click()


def test_the_inbox_lists_what_needs_attention_with_its_severity_and_kind(page: Page, site: Site):
    sign_in(page, site, target="/warnings")

    expect(page.get_by_role("heading", level=1)).to_have_text("Hộp cảnh báo")
    threshold = page.locator("tr", has_text="vượt lên trên ngưỡng 530000")
    expect(threshold).to_contain_text("Nghiêm trọng")
    late = page.locator("tr", has_text="Chưa nhận được số liệu Chỉ số giá tiêu dùng")
    expect(late).to_contain_text("Số liệu chậm")
    screenshot(page, "warnings-inbox")
    assert accessibility_violations(page) == []


def test_a_warning_shows_its_numbers_and_draws_its_chart(page: Page, site: Site):
    open_warning(page, site, "vượt lên trên ngưỡng 530000")

    expect(page.locator(".chart .main-svg").first).to_be_visible()
    expect(page.locator("table.evidence")).to_contain_text("530000.0")
    expect(page.get_by_role("link", name="Tải bản tin CAP 1.2")).to_be_visible()
    screenshot(page, "warning")
    assert page.errors == []  # type: ignore[attr-defined]


def test_an_analyst_acknowledges_a_warning_and_it_stays_in_the_inbox_as_seen(
    page: Page, site: Site
):
    open_warning(page, site, "Chưa nhận được số liệu Kim ngạch xuất khẩu")
    page.get_by_label("Ghi chú").first.fill("Đã liên hệ Bộ Tài chính")
    page.get_by_role("button", name="Xác nhận đã xem").click()

    expect(page.locator("dd.status")).to_have_text("Đã xem")
    expect(page.locator("dl.facts")).to_contain_text("Đã liên hệ Bộ Tài chính")
    page.get_by_role("link", name="Về hộp cảnh báo").click()
    row = page.locator("tr", has_text="Chưa nhận được số liệu Kim ngạch xuất khẩu")
    expect(row).to_contain_text("Đã xem")


def test_an_analyst_turns_a_warning_into_a_task_for_an_agency(page: Page, site: Site):
    open_warning(page, site, "Chưa nhận được số liệu Kim ngạch nhập khẩu")
    page.get_by_label("Cơ quan chủ trì (mã)").fill("MOF")
    page.get_by_label("Thời hạn").fill("2099-12-31")
    page.get_by_role("button", name="Giao nhiệm vụ").click()

    expect(page.locator("dd.status")).to_have_text("Đã giao nhiệm vụ")
    expect(page.locator("dd.task")).not_to_be_empty()


def test_a_viewer_sees_warnings_but_no_forms_to_act_on_them(page: Page, site: Site):
    open_warning(page, site, "vượt lên trên ngưỡng 530000", username="viewer")

    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Xác nhận đã xem")).to_have_count(0)
