"""The exchange's pages in a browser: the flows page with the programme's count, a flow's
page and a delivery's receipt, and the registry managed through its page.

The site is the browser tests' store with the demo's 40 flows, one real delivery with
refused rows, one health check recorded, and an integration engineer of the Government
Office who may manage the registry.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import select

from govops.catalog.models import Agency
from govops.core.db import now_utc, transaction
from govops.exchange import inbound
from govops.exchange.demo import build_exchange_demo
from govops.exchange.health import flow_health, programme_count, record_health
from govops.exchange.registry import get_flow
from govops.security import audit
from govops.security.accounts import NewUser, create_user
from govops.security.permissions import Role
from govops.web.app import create_app
from served import served
from tests.browser import conftest as shared
from tests.browser.conftest import (
    PASSWORD,
    Site,
    _build,
    accessibility_violations,
    screenshot,
    sign_in,
)

context, page = shared.context, shared.page

# One row stored, one refused for its value, one for a province merged on 1 July 2025.
DELIVERY = (
    "indicator,area,period,value\n"
    "RETAIL_SALES,{area},2025-M11,51234.5\n"
    "RETAIL_SALES,{area},2025-M10,about fifty\n"
    "RETAIL_SALES,02,2025-M11,1200\n"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("exchange-site")
    store, secret = _build(folder)
    with (
        transaction(store.sessions) as session,
        Progress(console=Console(file=io.StringIO())) as progress,
    ):
        build_exchange_demo(session, now_utc(), progress)
        office = session.scalars(select(Agency.id).where(Agency.code == "VPCP")).one()
        engineer = NewUser("engineer", "Phạm Kỹ Sư", Role.INTEGRATION_ENGINEER, agency_id=office)
        create_user(session, engineer, PASSWORD, by=audit.COMMAND_LINE, must_change_password=False)
    _deliver_with_refusals(store.sessions)
    with transaction(store.sessions) as session:
        record_health(session)

    app = create_app(store.settings(data_dir=folder))
    app.state.exchange_scheduler = False
    with served(app) as address:
        yield Site(address, store, folder, secret)
    store.engine.dispose()


def _deliver_with_refusals(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        flow = get_flow(session, provincial_flow(session))
        area = flow.code.split("-")[1]
    body = DELIVERY.format(area=area).encode()
    received = inbound.receive(sessions, flow.code, body, "csv", sender=None)
    inbound.process(sessions, received.inbound_id)


def provincial_flow(session) -> str:  # type: ignore[no-untyped-def]
    """The first provincial flow the demo shows live (its validation is lenient)."""
    live = [h.flow for h in flow_health(session) if h.state.value == "live"]
    return next(code for code in live if code.startswith("UBND-"))


def test_the_flows_page_shows_every_flows_state_and_the_programmes_count(
    page: Page, site: Site
) -> None:
    with site.store.session() as session:
        found = flow_health(session)
    states = Counter(item.state.value for item in found)
    count = programme_count(found)

    sign_in(page, site)
    page.get_by_role("link", name="Trao đổi dữ liệu", exact=True).click()

    expect(page).to_have_url(site.url + "/exchange")
    expect(page.get_by_role("heading", level=1)).to_have_text("Luồng trao đổi dữ liệu")
    expect(page.locator("table.flows tbody tr")).to_have_count(40)
    expect(page.locator(".live-two-way")).to_have_text(str(count["live_two_way"]))
    expect(page.locator(".programme")).to_contain_text("trên mục tiêu 40")
    for state in ("live", "late", "failing", "not started"):
        card = page.locator(f".state-count[data-state='{state}'] .value")
        expect(card).to_have_text(str(states[state]))
    late = page.locator("tr[data-state='late']").first
    expect(late.locator("td.state")).to_have_text("Chậm")
    expect(late.locator("td.lag strong")).to_be_visible()
    expect(page.locator("tr[data-flow='MOHA-COMMUNES'] td.state")).to_have_text("Chưa bắt đầu")
    screenshot(page, "exchange-flows")
    assert accessibility_violations(page) == []
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_state_filter_and_english_show_only_the_failing_flows(page: Page, site: Site) -> None:
    sign_in(page, site, target="/exchange")
    page.get_by_role("link", name="English").click()
    page.get_by_role("link", name="Failing", exact=True).click()

    rows = page.locator("table.flows tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-flow", "UBND-12-MONTHLY")
    expect(rows.first.locator("td.state")).to_have_text("Failing")
    expect(page.locator(".programme")).to_contain_text("of a target of 40")
    page.get_by_role("link", name="Tiếng Việt").click()


def test_a_flows_page_leads_to_a_receipt_naming_each_refused_row(page: Page, site: Site) -> None:
    with site.store.session() as session:
        code = provincial_flow(session)
    sign_in(page, site, target="/exchange")
    page.get_by_role("link", name=code, exact=True).click()

    expect(page.locator("dl.agreement")).to_contain_text("RETAIL_SALES")
    expect(page.locator("dl.agreement")).to_contain_text("mềm (nhận dòng hợp lệ)")
    expect(page.locator("table.history tbody tr").first).to_contain_text("Hoạt động")
    partial = page.locator("table.deliveries tbody tr[data-status='partial']")
    expect(partial).to_have_count(1)
    partial.get_by_role("link").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Biên nhận")
    refused = page.locator("table.refused tbody tr")
    expect(refused).to_have_count(2)
    expect(refused.filter(has_text="about fifty")).to_contain_text("value")
    merged = refused.filter(has_text="02")
    expect(merged).to_contain_text("became part of 08")
    screenshot(page, "exchange-receipt")
    assert accessibility_violations(page) == []


def test_an_engineer_loads_a_flows_file_on_the_registry_page_and_bad_entries_are_named(
    page: Page, site: Site, tmp_path: Path
) -> None:
    document = tmp_path / "flows.yaml"
    document.write_text(
        "flows:\n"
        "  - code: MOLISA-LABOUR\n"
        "    name_vi: Lao động, việc làm\n"
        "    name_en: Labour and employment\n"
        "    provider: MOF\n"
        "    indicators: [RETAIL_SALES]\n"
        "    schedule: Q\n"
        "    freshness_minutes: 200000\n"
        "  - code: BROKEN-FLOW\n"
        "    name_vi: Sai\n"
        "    name_en: Wrong\n"
        "    provider: MOF\n"
        "    indicators: [NO_SUCH_INDICATOR]\n"
        "    schedule: M\n"
        "    freshness_minutes: 100\n",
        encoding="utf-8",
    )
    sign_in(page, site, username="engineer", target="/exchange/registry")
    page.get_by_label("Tệp", exact=True).set_input_files(str(document))
    page.get_by_role("button", name="Nạp", exact=True).click()

    expect(page.locator(".report [role=status]")).to_have_text(
        "1 mục đã lưu, 0 không đổi, 1 bị từ chối"
    )
    error = page.locator("table.load-errors tbody tr")
    expect(error).to_contain_text("flows[2] (BROKEN-FLOW)")
    expect(error).to_contain_text("NO_SUCH_INDICATOR")
    expect(page.locator("table.registry-flows")).to_contain_text("MOLISA-LABOUR")
    assert accessibility_violations(page) == []
    with site.store.session() as session:
        assert get_flow(session, "MOLISA-LABOUR").schedule == "Q"


def test_an_engineer_edits_a_flow_on_its_page_and_a_wrong_field_is_named(
    page: Page, site: Site
) -> None:
    sign_in(page, site, username="engineer", target="/exchange/flows/MOIT-TRADE")
    editor = page.get_by_label("Nội dung như một mục")
    text = editor.input_value()
    assert "schedule: M\n" in text and "validation_mode: strict\n" in text

    editor.fill(text.replace("validation_mode: strict", "validation_mode: lenient"))
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator("[role=status]")).to_have_text("Đã lưu.")
    expect(page.locator("dl.agreement")).to_contain_text("mềm (nhận dòng hợp lệ)")

    page.get_by_label("Nội dung như một mục").fill(text.replace("schedule: M", "schedule: often"))
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator("[role=alert]")).to_contain_text("schedule")
    with site.store.session() as session:
        flow = get_flow(session, "MOIT-TRADE")
        assert (flow.schedule, flow.validation_mode) == ("M", "lenient")


def test_an_analyst_reads_the_registry_but_has_no_form_to_change_it(
    page: Page, site: Site
) -> None:
    sign_in(page, site, target="/exchange/registry")

    expect(page.locator("table.members tbody tr").first).to_be_visible()
    expect(page.locator("table.members")).to_contain_text("TABMIS")
    expect(page.get_by_role("button", name="Nạp", exact=True)).to_have_count(0)
    page.goto(site.url + "/exchange/flows/MOF-BUDGET")
    expect(page.locator("textarea")).to_have_count(0)


def test_the_flows_page_follows_a_new_delivery_without_a_reload(page: Page, site: Site) -> None:
    with site.store.session() as session:
        before = programme_count(flow_health(session))["live_two_way"]
    sign_in(page, site, target="/exchange")
    row = page.locator("tr[data-flow='MOHA-COMMUNES']")
    expect(row.locator("td.state")).to_have_text("Chưa bắt đầu")
    page.wait_for_timeout(500)  # the page's stream is open

    body = b"indicator,area,period,value\nCOMMUNES,VN,2025,3321\n"
    received = inbound.receive(site.store.sessions, "MOHA-COMMUNES", body, "csv", sender=None)
    assert inbound.process(site.store.sessions, received.inbound_id).status == "accepted"

    expect(row.locator("td.state")).to_have_text("Hoạt động", timeout=15_000)
    expect(row).to_have_attribute("data-state", "live")
    expect(row.locator("td.count")).to_have_text("1")
    expect(page.locator(".live-two-way")).to_have_text(str(before + 1))
    with site.store.session() as session:
        waiting = sum(1 for h in flow_health(session) if h.state.value == "not started")
    expect(page.locator(".state-count[data-state='not started'] .value")).to_have_text(
        str(waiting)
    )
    assert page.errors == []  # type: ignore[attr-defined]
