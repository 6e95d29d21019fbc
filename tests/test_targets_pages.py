"""The targets page in a browser: status, probability and the latest actual, two languages.

The site is the browser tests' store (national series to October 2025) with targets and
one run of the warning checks, served with the targets and warnings pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from govops.alerts.service import RuleSpec, create_rule, run_checks
from govops.core.db import transaction
from govops.security import audit
from govops.targets.service import TargetSpec, load_targets
from govops.web.app import create_app
from served import served
from tests.browser import conftest as shared
from tests.browser.conftest import (
    Site,
    _build,
    accessibility_violations,
    screenshot,
    sign_in,
)

# The browser tests' fixtures, used here by name.
context, page = shared.context, shared.page

CHECKED_ON = date(2025, 12, 10)  # November figures were due on 6 December


def _targets() -> list[tuple[int, TargetSpec]]:
    common = {"area": "VN", "source": "Test resolution", "source_kind": "other"}
    specs = [
        TargetSpec(
            indicator="RETAIL_SALES", period="2025", comparator="at_least", low="6200000", **common
        ),
        TargetSpec(
            indicator="RETAIL_SALES", period="2024", comparator="at_least", low="6000000", **common
        ),
        TargetSpec(
            indicator="CPI",
            period="2025",
            comparator="at_most",
            low="4.5",
            basis="growth",
            **common,
        ),
    ]
    return list(enumerate(specs, start=1))


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("targets-site")
    store, secret = _build(folder)
    with transaction(store.sessions) as session:
        load_targets(session, _targets(), by=audit.COMMAND_LINE)
        rule = RuleSpec(
            "threshold", "Retail above 530,000", "RETAIL_SALES", "VN", "severe", {"above": 530000}
        )
        create_rule(session, rule, today=CHECKED_ON, by=audit.COMMAND_LINE)
        run_checks(session, today=CHECKED_ON)

    app = create_app(store.settings(data_dir=folder))
    with served(app) as address:
        yield Site(address, store, folder, secret)
    store.engine.dispose()


def test_the_targets_page_shows_each_targets_status_and_probability(page: Page, site: Site):
    sign_in(page, site, target="/targets")

    expect(page.get_by_role("heading", level=1)).to_have_text("Mục tiêu kế hoạch")
    year_under_way = page.locator("tr", has_text="T10/2025").filter(has_text="≥ 6.200.000")
    expect(year_under_way.locator("td.status")).to_have_text("Đúng tiến độ")
    expect(year_under_way).to_contain_text("%")
    complete = page.locator("tr", has_text="≥ 6.000.000")
    expect(complete.locator("td.status")).to_have_text("Đạt")
    inflation = page.locator("tr", has_text="tăng so với kỳ trước")
    expect(inflation).to_be_visible()
    screenshot(page, "targets")
    assert accessibility_violations(page) == []
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_year_filter_and_english_show_only_that_years_targets(page: Page, site: Site):
    sign_in(page, site, target="/targets")
    page.get_by_role("link", name="English").click()
    page.get_by_label("Year").select_option("2024")
    page.get_by_role("button", name="Show").click()

    rows = page.locator("table.targets tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td.status")).to_have_text("Achieved")
    expect(rows.first).to_contain_text("≥ 6,000,000")
    page.get_by_role("link", name="Tiếng Việt").click()


def test_the_navigation_leads_to_the_targets_page(page: Page, site: Site):
    sign_in(page, site)
    page.get_by_role("link", name="Mục tiêu", exact=True).click()

    expect(page).to_have_url(site.url + "/targets")
