"""A real server on a free port, a store made for the page tests, and Chromium to drive it.

The store is built once per test process: a few indicators with national and provincial
values, a revision, and people of three roles. Screenshots of the main pages are kept in
``test-artifacts/screenshots`` (not committed) for a person to look at.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import axe_playwright_python
import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import Store, make_store
from govops.catalog.areas import areas_on
from govops.catalog.models import Agency
from govops.core.db import transaction
from govops.core.periods import Period
from govops.datastore.bulk import load_csv_file
from govops.datastore.rows import IncomingRow
from govops.datastore.writes import Payload, store_observations
from govops.security import audit
from govops.security.accounts import NewUser, create_user
from govops.security.models import User
from govops.security.permissions import Clearance, Role
from govops.security.totp import confirm_enrolment, secret_box_for, start_enrolment
from govops.web.app import create_app
from served import served

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "lantern-harbour-river-42"
MERGER = date(2025, 7, 1)
FIRST_PUBLISHED = "2025-11-20T02:00:00+00:00"


@dataclass
class Site:
    url: str
    store: Store
    data_dir: Path
    totp_secret: str


def _months(first: str, last: str) -> list[Period]:
    return Period.span(Period.parse(first), Period.parse(last))


def _rows(session: Session) -> list[IncomingRow]:
    rows: list[IncomingRow] = []

    def add(indicator: str, area: str, period: Period, value: Decimal) -> None:
        rows.append(IncomingRow(len(rows) + 1, indicator, area, period.code, str(value)))

    for i, period in enumerate(_months("2023-M01", "2025-M10")):
        add("EXPORTS", "VN", period, Decimal(30000) + 250 * i)
        add("IMPORTS", "VN", period, Decimal(28000) + 200 * i)
        add("CPI", "VN", period, Decimal("100") + Decimal("0.3") * i)
        add("RETAIL_SALES", "VN", period, Decimal(500000) + 1234 * i)
    for i, period in enumerate(Period.span(Period.parse("2023-Q1"), Period.parse("2025-Q3"))):
        add("GDP_GROWTH_Q", "VN", period, Decimal("5.5") + Decimal("0.2") * (i % 5))
    for period in _months("2025-M01", "2025-M10"):
        day = period.start if period.start >= MERGER else period.end
        for n, area in enumerate(areas_on(session, day, level="province")):
            add("EXPORTS", area.code, period, Decimal(100) + 7 * n + period.start.month)
    return rows


def _build(folder: Path) -> tuple[Store, str]:
    store, _ = make_store("sqlite", folder)
    # The first figures as published in October 2025; the revision is recorded today.
    with transaction(store.sessions) as session:
        lines = [
            f"{r.indicator},{r.area},{r.period},{r.value},{FIRST_PUBLISHED}"
            for r in _rows(session)
        ]
    path = folder / "first.csv"
    path.write_text("indicator,area,period,value,recorded_at\n" + "\n".join(lines) + "\n")
    with transaction(store.sessions) as session:
        load_csv_file(session, path)
    revised = [IncomingRow(1, "EXPORTS", "VN", "2025-M09", "33100.5")]
    with transaction(store.sessions) as session:
        store_observations(session, revised, Payload(b"revision", "text/csv", "test"))
    secret = _people(store, folder)
    return store, secret


def _people(store: Store, folder: Path) -> str:
    with transaction(store.sessions) as session:
        office = session.scalars(select(Agency).where(Agency.code == "VPCP")).one()
        people = [
            NewUser("analyst", "Nguyễn Văn An", Role.ANALYST, agency_id=office.id),
            NewUser("viewer", "Trần Thị Bình", Role.VIEWER),
            NewUser("admin", "Lê Quản Trị", Role.ADMINISTRATOR, clearance=Clearance.RESTRICTED),
        ]
        for person in people:
            create_user(
                session, person, PASSWORD, by=audit.COMMAND_LINE, must_change_password=False
            )
    box = secret_box_for(store.settings(data_dir=folder))
    with transaction(store.sessions) as session:
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        enrolment = start_enrolment(session, admin, box)
        code = pyotp.TOTP(enrolment.secret).now()
        confirm_enrolment(session, admin, code, box, by=audit.COMMAND_LINE)
    return enrolment.secret


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("site")
    store, secret = _build(folder)
    app = create_app(store.settings(data_dir=folder))
    with served(app) as address:
        yield Site(address, store, folder, secret)
    store.engine.dispose()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("console", lambda message: _keep_error(page, message))
    return page


def _keep_error(page: Page, message) -> None:  # type: ignore[no-untyped-def]
    if message.type == "error":
        page.errors.append(message.text)  # type: ignore[attr-defined]


def sign_in(page: Page, site: Site, username: str = "analyst", target: str = "/") -> None:
    page.goto(site.url + target)
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


def screenshot(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def current_totp(secret: str) -> str:
    """A code the server accepts: the next step's, since a code is good only once and the
    current step's may have been spent at enrolment."""
    return pyotp.TOTP(secret).at(time.time() + 30)


AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def accessibility_violations(page: Page) -> list[str]:
    """What axe-core finds against WCAG 2.1 A and AA on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    found = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => v.id + ': ' + v.help + ' ' + "
        "v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(' | ')))",
        WCAG_AA,
    )
    return list(found)
