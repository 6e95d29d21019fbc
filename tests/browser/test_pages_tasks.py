"""The tasks pages in a browser: an agency officer's tasks, reports, extensions and
completion; the Government Office's lists, scorecard and directive registration.

A server of its own on a free port, on a store with a directive, tasks of three
ministries and people of three roles, so these tests change nothing the other pages see.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pyotp
import pytest
from icalendar import Calendar
from openpyxl import Workbook, load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import select

from conftest import Store, make_store
from govops.core.db import transaction
from govops.security import audit
from govops.security.accounts import NewUser, create_user
from govops.security.models import User
from govops.security.permissions import Role
from govops.security.totp import confirm_enrolment, secret_box_for, start_enrolment
from govops.tasks import progress
from govops.tasks.spreadsheet import COLUMNS
from govops.tasks.status import vietnam_today
from served import served
from tasks_helpers import agency, directive, officer, specialist, task
from tests.browser.conftest import (
    PASSWORD,
    accessibility_violations,
    current_totp,
    screenshot,
    sign_in,
)

TODAY = vietnam_today()


@dataclass
class TaskSite:
    url: str
    store: Store
    ids: dict[str, int]
    leader_secret: str


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def _fill(store: Store) -> dict[str, int]:
    with transaction(store.sessions) as session:
        directive(session, "25/CT-TTg", issued_on=days(-90))
        made = {
            "overdue": task(
                session, "MOC", assigned_on=days(-90), due_on=days(-5), title="Trình đề án nhà ở"
            ),
            "soon": task(
                session, "MOC", assigned_on=days(-90), due_on=days(9), title="Báo cáo vật liệu"
            ),
            "later": task(
                session, "MOC", assigned_on=days(-90), due_on=days(40), title="Rà soát quy hoạch"
            ),
            "shared": task(
                session,
                "MOF",
                assigned_on=days(-90),
                due_on=days(20),
                coordinators=("MOC",),
                title="Cân đối vốn đầu tư công",
            ),
            "health": task(
                session, "MOH", assigned_on=days(-90), due_on=days(-3), title="Phòng chống dịch"
            ),
            "done": task(
                session,
                "MOF",
                assigned_on=days(-90),
                due_on=days(-20),
                title="Báo cáo thu ngân sách",
            ),
        }
        ids = {name: made_task.id for name, made_task in made.items()}
    with transaction(store.sessions) as session:
        completion = progress.submit_completion(
            session,
            ids["done"],
            evidence="Công văn số 12/BTC",
            completed_on=days(-25),
            by=officer(session, "MOF"),
        )
        progress.decide_completion(session, completion.id, accept=True, by=specialist(session))
    with transaction(store.sessions) as session:
        people = [
            NewUser(
                "xd.officer",
                "Phạm Thu Phương",
                Role.AGENCY_OFFICER,
                agency_id=agency(session, "MOC"),
            ),
            NewUser(
                "chuyen.vien", "Nguyễn Thị Lan", Role.ANALYST, agency_id=agency(session, "VPCP")
            ),
            NewUser("tro.ly", "Trần Văn Trợ", Role.LEADER),
        ]
        for person in people:
            create_user(
                session, person, PASSWORD, by=audit.COMMAND_LINE, must_change_password=False
            )
    return ids


def _enrol_leader(store: Store, folder: Path) -> str:
    """The leader's second factor, as leaders sign in with one."""
    box = secret_box_for(store.settings(data_dir=folder))
    with transaction(store.sessions) as session:
        leader = session.scalars(select(User).where(User.username == "tro.ly")).one()
        enrolment = start_enrolment(session, leader, box)
        code = pyotp.TOTP(enrolment.secret).now()
        confirm_enrolment(session, leader, code, box, by=audit.COMMAND_LINE)
    return enrolment.secret


def sign_in_leader(page: Page, site: TaskSite, target: str) -> None:
    sign_in(page, site, "tro.ly", target=target)  # type: ignore[arg-type]
    page.get_by_label("Mã").fill(current_totp(site.leader_secret))
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_load_state()


@pytest.fixture(scope="module")
def tasks_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TaskSite]:
    from govops.web.app import create_app

    folder = tmp_path_factory.mktemp("tasks-site")
    store, _ = make_store("sqlite", folder)
    ids = _fill(store)
    secret = _enrol_leader(store, folder)
    app = create_app(store.settings(data_dir=folder))
    with served(app) as address:
        yield TaskSite(address, store, ids, secret)
    store.engine.dispose()


def rows_shown(page: Page) -> list[str]:
    return page.locator("table.tasks tbody th a").all_inner_texts()


def test_an_officer_sees_her_agencys_tasks_by_deadline_with_the_overdue_in_red(
    page: Page, tasks_site: TaskSite
):
    sign_in(page, tasks_site, "xd.officer", target="/tasks/mine")  # type: ignore[arg-type]

    expect(page.get_by_role("heading", level=1)).to_contain_text("Nhiệm vụ của cơ quan tôi")
    assert rows_shown(page) == [
        "Trình đề án nhà ở",
        "Báo cáo vật liệu",
        "Cân đối vốn đầu tư công",
        "Rà soát quy hoạch",
    ]
    overdue = page.locator('tr[data-status="overdue"] td.status strong')
    expect(overdue).to_have_text("Quá hạn")
    assert overdue.evaluate("e => getComputedStyle(e).color") == "rgb(165, 22, 29)"
    expect(page.get_by_text("Phòng chống dịch")).to_have_count(0)
    assert accessibility_violations(page) == []
    screenshot(page, "tasks-mine")
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_download_holds_the_rows_of_the_page(page: Page, tasks_site: TaskSite):
    sign_in(page, tasks_site, "xd.officer", target="/tasks/mine")  # type: ignore[arg-type]
    with page.expect_download() as waiting:
        page.get_by_role("link", name="XLSX").click()
    workbook = load_workbook(io.BytesIO(Path(waiting.value.path()).read_bytes()))
    header, *rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    titles = [row[header.index("title")] for row in rows]
    assert titles == rows_shown(page)


def test_the_office_filters_the_list_by_agency_status_and_deadline(
    page: Page, tasks_site: TaskSite
):
    sign_in(page, tasks_site, "chuyen.vien", target="/tasks")  # type: ignore[arg-type]
    assert len(rows_shown(page)) == 6

    page.get_by_label("Cơ quan", exact=True).select_option("MOC")
    page.get_by_label("Tình trạng").select_option(["not_started", "overdue"])
    page.get_by_label("Hạn từ ngày").fill(days(-10).isoformat())
    page.get_by_label("đến ngày").fill(days(10).isoformat())
    page.get_by_role("button", name="Xem", exact=True).click()

    expect(page.locator("table.tasks tbody tr")).to_have_count(2)
    assert rows_shown(page) == ["Trình đề án nhà ở", "Báo cáo vật liệu"]
    expect(page.get_by_label("Cơ quan", exact=True)).to_have_value("MOC")
    screenshot(page, "tasks-list-filtered")


def test_the_scorecard_drills_down_to_an_agencys_overdue_tasks(page: Page, tasks_site: TaskSite):
    start, end = days(-60).isoformat(), days(60).isoformat()
    target = f"/tasks/scorecard?start={start}&end={end}"
    sign_in_leader(page, tasks_site, target)

    line = page.locator('table.scorecard tr[data-key="MOF"]')
    expect(line.locator("td").nth(1)).to_have_text("2")
    expect(page.locator('table.scorecard tr[data-key="MOF"] td.num').nth(7)).to_have_text(
        "100,0 %"
    )
    assert accessibility_violations(page) == []
    screenshot(page, "tasks-scorecard")

    page.get_by_role("link", name="Xem nhiệm vụ quá hạn: Bộ Xây dựng (1)").click()
    expect(page.locator("table.tasks tbody tr")).to_have_count(1)
    assert rows_shown(page) == ["Trình đề án nhà ở"]


def test_an_officer_reports_progress_with_a_file_and_asks_for_more_time(
    page: Page, tasks_site: TaskSite, tmp_path: Path
):
    signed = tmp_path / "bao-cao-tien-do.pdf"
    signed.write_bytes(b"%PDF-1.4 signed report")
    sign_in(page, tasks_site, "xd.officer", target=f"/tasks/{tasks_site.ids['later']}")  # type: ignore[arg-type]

    page.locator("summary", has_text="Báo cáo tiến độ").click()
    page.get_by_label("Nội dung báo cáo").fill("Đã hoàn thành dự thảo, đang lấy ý kiến.")
    page.get_by_label("Tiến độ, %").fill("60")
    page.locator("#report-files").set_input_files(str(signed))
    page.get_by_role("button", name="Báo cáo tiến độ").click()

    report = page.locator("ul.reports li").first
    expect(report).to_contain_text("60 %")
    expect(report.get_by_role("link", name="bao-cao-tien-do.pdf")).to_be_visible()
    expect(page.locator(".task-status")).to_contain_text("Đang thực hiện trong hạn")

    page.locator("summary", has_text="Đề nghị gia hạn").click()
    page.get_by_label("Thời hạn đề nghị").fill(days(30).isoformat())
    page.get_by_label("Lý do").fill("Chờ ý kiến thẩm định")
    page.get_by_role("button", name="Đề nghị gia hạn").click()
    refused = page.get_by_role("alert")
    expect(refused).to_contain_text("must be after the current one")

    page.get_by_label("Thời hạn đề nghị").fill(days(70).isoformat())
    page.get_by_label("Lý do").fill("Chờ ý kiến thẩm định")
    page.get_by_role("button", name="Đề nghị gia hạn").click()
    expect(page.locator('ul.extensions li[data-state="pending"]')).to_contain_text(
        "Chờ quyết định"
    )
    screenshot(page, "task-reported")


def test_a_completion_is_marked_by_the_agency_and_accepted_by_the_office(
    page: Page, tasks_site: TaskSite, browser
):
    task_page = f"/tasks/{tasks_site.ids['soon']}"
    sign_in(page, tasks_site, "xd.officer", target=task_page)  # type: ignore[arg-type]
    page.locator("summary", has_text="Báo cáo hoàn thành").click()
    page.get_by_label("Kết quả, minh chứng").fill("Đã trình Thủ tướng tại Tờ trình số 45/TTr-BXD")
    page.get_by_role("button", name="Báo cáo hoàn thành").click()
    expect(page.locator('ul.completions li[data-state="submitted"]')).to_be_visible()

    office = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(office, tasks_site, "chuyen.vien", target=task_page)  # type: ignore[arg-type]
    office.get_by_role("button", name="Công nhận hoàn thành").click()
    expect(office.locator(".task-status")).to_contain_text("Hoàn thành đúng hạn")
    expect(office.locator('tr[data-event="completion_accepted"]')).to_have_count(1)
    office.context.close()


def test_a_directive_is_registered_from_its_pasted_text_after_confirming_the_tasks(
    page: Page, tasks_site: TaskSite
):
    sign_in(page, tasks_site, "chuyen.vien", target="/directives/new")  # type: ignore[arg-type]
    page.get_by_label("Số, ký hiệu").fill("31/CT-TTg")
    page.get_by_label("Người ký").fill("Phạm Minh Chính")
    page.get_by_label("Trích yếu").fill("Về phát triển nhà ở xã hội")
    page.get_by_label("Nội dung văn bản").fill(
        "1. Giao Bộ Xây dựng chủ trì, phối hợp với Bộ Tài chính hoàn thiện cơ chế ưu đãi, "
        f"hoàn thành trước ngày {days(45):%d/%m/%Y}.\n"
        "2. Bộ Y tế rà soát tiêu chuẩn, báo cáo Thủ tướng Chính phủ trong tháng "
        f"{days(80):%m/%Y}."
    )
    page.get_by_role("button", name="Đề xuất nhiệm vụ").click()

    first = page.locator("fieldset.task-row").nth(0)
    expect(first.locator(".from-words")).to_contain_text("Bộ Xây dựng")
    expect(first.get_by_label("Cơ quan chủ trì")).to_have_value("MOC")
    expect(first.get_by_label("Hạn (ngày)")).to_have_value(days(45).isoformat())
    second = page.locator("fieldset.task-row").nth(1)
    expect(second.get_by_label("Cơ quan chủ trì")).to_have_value("MOH")
    second.get_by_label("Mức ưu tiên").select_option("high")
    screenshot(page, "directive-confirm")
    page.get_by_role("button", name="Đăng ký").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Chỉ thị 31/CT-TTg")
    expect(page.locator("table.tasks tbody tr")).to_have_count(2)
    expect(page.locator("table.tasks")).to_contain_text("Cao")


def test_a_calendar_address_is_made_read_and_revoked(page: Page, tasks_site: TaskSite):
    sign_in(page, tasks_site, "xd.officer", target="/tasks/mine")  # type: ignore[arg-type]
    page.get_by_role("button", name="Tạo địa chỉ lịch của cơ quan").click()
    address = page.get_by_label("Địa chỉ lịch mới (chỉ hiện một lần)").input_value()

    answer = page.request.get(address)
    assert answer.status == 200
    summaries = {str(e["SUMMARY"]) for e in Calendar.from_ical(answer.body()).walk("VEVENT")}
    assert "[MOC] Báo cáo vật liệu" in summaries and "[MOF] Cân đối vốn đầu tư công" in summaries

    page.locator("table.calendars button").last.click()
    expect(page.locator("table.calendars tbody tr").last).to_contain_text("Đã thu hồi")
    assert page.request.get(address).status == 410


def test_a_workbook_is_uploaded_its_bad_rows_named_then_imported(
    page: Page, tasks_site: TaskSite, tmp_path: Path
):
    def workbook(name: str, *rows: dict[str, object]) -> Path:
        book = Workbook()
        sheet = book.active
        sheet.append(COLUMNS)
        for row in rows:
            sheet.append([row.get(column) for column in COLUMNS])
        book.save(tmp_path / name)
        return tmp_path / name

    row = {
        "title": "Báo cáo tiến độ dự án cao tốc",
        "lead_agency": "MOC",
        "assigned_on": days(-1),
        "deadline_kind": "date",
        "due_on": days(30),
    }
    sign_in(page, tasks_site, "chuyen.vien", target="/tasks")  # type: ignore[arg-type]
    page.get_by_role("link", name="Nhập nhiệm vụ từ Excel").click()
    page.get_by_label("Tệp Excel (.xlsx)").set_input_files(
        str(workbook("sai.xlsx", row, {**row, "lead_agency": "BXD"}))
    )
    page.get_by_role("button", name="Nhập nhiệm vụ từ Excel").click()
    expect(page.get_by_role("alert")).to_contain_text("chưa lưu dòng nào")
    problem = page.locator('table.row-problems tr[data-row="3"]')
    expect(problem).to_contain_text("lead_agency")
    expect(problem).to_contain_text("BXD")
    screenshot(page, "tasks-import-refused")

    page.get_by_label("Tệp Excel (.xlsx)").set_input_files(str(workbook("dung.xlsx", row)))
    page.get_by_role("button", name="Nhập nhiệm vụ từ Excel").click()
    expect(page.get_by_role("status")).to_contain_text("Đã nhập 1 nhiệm vụ từ 1 dòng")
