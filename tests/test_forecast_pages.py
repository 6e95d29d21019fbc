"""The forecast accuracy page in a browser: realised errors by indicator and model."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from rich.console import Console
from rich.progress import Progress

from conftest import make_store
from govops.core.db import transaction
from govops.forecasting.demo import build_forecasting_demo
from govops.security import audit
from govops.security.accounts import NewUser, create_user
from govops.security.permissions import Role
from govops.web.app import create_app
from served import served
from tests.test_forecast_demo import AS_OF, load_cpi_with_two_releases

PASSWORD = "lantern-harbour-river-42"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("forecast-site")
    store, _drop = make_store("sqlite", folder)
    load_cpi_with_two_releases(store, folder)
    with transaction(store.sessions) as session:
        quiet = Progress(console=Console(file=io.StringIO()))
        build_forecasting_demo(session, AS_OF, quiet)
        analyst = NewUser("analyst", "Nguyễn Văn An", Role.ANALYST)
        create_user(session, analyst, PASSWORD, by=audit.COMMAND_LINE, must_change_password=False)
    app = create_app(store.settings(data_dir=folder))
    with served(app) as address:
        yield address
    store.engine.dispose()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_the_accuracy_page_lists_realised_errors_and_the_latest_runs(page: Page, site: str):
    page.goto(site + "/forecasts/accuracy")
    page.get_by_label("Tên đăng nhập").fill("analyst")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()

    row = page.locator("tbody tr", has_text="Chỉ số giá tiêu dùng")
    expect(row).to_be_visible()
    expect(row.locator("td").nth(2)).to_have_text("6")  # periods measured
    runs = page.locator("table").nth(1).locator("tbody tr")
    expect(runs).to_have_count(2)
    expect(page.get_by_role("link", name="Độ chính xác dự báo")).to_be_visible()


def test_an_indicator_chart_draws_the_forecast_fan_with_both_intervals(page: Page, site: str):
    page.goto(site + "/indicators/CPI")
    page.get_by_label("Tên đăng nhập").fill("analyst")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()

    legend = page.locator(".chart .legend")
    for name in ("Khoảng dự báo 95%", "Khoảng dự báo 80%", "Dự báo — Việt Nam"):
        expect(legend.get_by_text(name, exact=True)).to_be_visible()
    # The 95% band and the 80% band inside it are two filled shapes on the chart.
    expect(page.locator(".chart .scatterlayer .trace .js-fill")).to_have_count(2)
    expect(page.locator(".forecast-note").first).to_contain_text("lập lúc")
    expect(page.locator(".forecast-note").first).to_contain_text("từ số liệu đến T10/2026")
