"""The tasks pages through HTTP: who sees what, forms, refusals shown on the page, downloads.

The same pages are driven in a browser by tests/browser/test_pages_tasks.py.
"""

from __future__ import annotations

import io
import re
import warnings
from contextlib import contextmanager
from datetime import date, timedelta

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from conftest import Store
from govops.core.db import transaction
from govops.security.permissions import Role
from govops.security.sessions import COOKIE_NAME, start_session
from govops.tasks.models import Directive, ExtensionRequest, ProgressReport, Task
from govops.tasks.spreadsheet import COLUMNS
from govops.tasks.status import vietnam_today
from govops.web.app import create_app
from security_helpers import new_user
from tasks_helpers import directive, task

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@contextmanager
def signed_in(store: Store, tmp_path, username: str, role: Role, agency: str | None = None):
    app = create_app(store.settings(data_dir=tmp_path))
    with TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False) as client:
        with transaction(store.sessions) as session:
            user = new_user(session, username, role=role, agency=agency)
            client.cookies.set(COOKIE_NAME, start_session(session, user, method="password").token)
        yield client
    app.state.engine.dispose()


def token_of(html: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def ago(days: int) -> date:
    return vietnam_today() - timedelta(days=days)


def assign(store: Store) -> dict[str, int]:
    """Three tasks: MOC's overdue and in time, MOF's co-ordinated by MOC, MOH's alone."""
    with store.session() as session, session.begin():
        directive(session, "25/CT-TTg", issued_on=ago(60))
        made = {
            "late": task(session, "MOC", assigned_on=ago(60), due_on=ago(5), title="Nhà ở xã hội"),
            "soon": task(session, "MOC", assigned_on=ago(60), due_on=ago(-9), title="Vật liệu"),
            "shared": task(
                session,
                "MOF",
                assigned_on=ago(60),
                due_on=ago(-20),
                coordinators=("MOC",),
                title="Bội chi ngân sách",
            ),
            "other": task(session, "MOH", assigned_on=ago(60), due_on=ago(-30), title="Y tế"),
        }
        return {name: t.id for name, t in made.items()}


def rows_of(workbook: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(workbook), read_only=True).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


def test_an_officer_sees_their_agencys_tasks_soonest_first_and_not_the_others(store, tmp_path):
    ids = assign(store)
    with signed_in(store, tmp_path, "xd.officer", Role.AGENCY_OFFICER, "MOC") as client:
        page = client.get("/tasks/mine")
        assert page.status_code == 200
        shown = [int(n) for n in re.findall(r'<tr data-task="(\d+)"', page.text)]
        assert shown == [ids["late"], ids["soon"], ids["shared"]]
        assert 'data-status="overdue"' in page.text
        assert client.get(f"/tasks/{ids['other']}").status_code == 404


def test_the_list_filters_and_downloads_exactly_its_rows(store, tmp_path):
    ids = assign(store)
    with signed_in(store, tmp_path, "chuyen.vien", Role.ANALYST, "VPCP") as client:
        query = "agency=MOC&status=overdue&status=in_progress&status=not_started"
        page = client.get(f"/tasks?{query}")
        shown = [int(n) for n in re.findall(r'<tr data-task="(\d+)"', page.text)]
        assert shown == [ids["late"], ids["soon"]]
        download = client.get(f"/tasks.xlsx?{query}")
    assert download.headers["content-type"].startswith("application/vnd.openxmlformats")
    header, *rows = rows_of(download.content)
    assert header[0] == "task" and [row[0] for row in rows] == [ids["late"], ids["soon"]]


def test_a_wrong_filter_is_a_page_naming_the_field(store, tmp_path):
    with signed_in(store, tmp_path, "chuyen.vien", Role.ANALYST, "VPCP") as client:
        refused = client.get("/tasks?due_from=30/06/2025")
        assert refused.status_code == 400
        assert "due_from" in refused.text and "30/06/2025" in refused.text
        assert client.get("/tasks?agency=NOPE").status_code == 400


def test_the_scorecard_drills_down_to_overdue_tasks_and_downloads(store, tmp_path):
    ids = assign(store)
    with signed_in(store, tmp_path, "tro.ly", Role.LEADER) as client:
        start = ago(30).isoformat()
        page = client.get(f"/tasks/scorecard?start={start}&end={ago(-60).isoformat()}")
        assert page.status_code == 200
        link = re.search(r'href="(/tasks\?agency=MOC[^"]*status=overdue)"', page.text)
        assert link, "no drill-down to MOC's overdue tasks"
        overdue = client.get(link.group(1).replace("&amp;", "&"))
        assert re.findall(r'<tr data-task="(\d+)"', overdue.text) == [str(ids["late"])]
        download = client.get(f"/tasks/scorecard.xlsx?start={start}&end={ago(-60).isoformat()}")
    header, *rows = rows_of(download.content)
    by_agency = {row[1]: row for row in rows}
    assert header[:4] == ("rank", "key", "name", "total")
    assert by_agency["MOC"][header.index("overdue")] == 1
    assert by_agency["MOC"][header.index("total")] == 2


def test_a_report_with_a_file_is_kept_and_a_bad_percent_names_the_field(store, tmp_path):
    ids = assign(store)
    with signed_in(store, tmp_path, "xd.officer", Role.AGENCY_OFFICER, "MOC") as client:
        form = token_of(client.get(f"/tasks/{ids['soon']}").text)
        refused = client.post(
            f"/tasks/{ids['soon']}/report",
            data={"form_token": form, "text": "Đã họp", "percent": "120"},
        )
        assert refused.status_code == 400
        assert "percent 120 is outside 0 to 100" in refused.text
        done = client.post(
            f"/tasks/{ids['soon']}/report",
            data={"form_token": form, "text": "Đã trình dự thảo", "percent": "60"},
            files={"files": ("bao-cao.pdf", b"%PDF-1.4 report", "application/pdf")},
        )
        assert done.status_code == 303
        page = client.get(f"/tasks/{ids['soon']}").text
        link = re.search(r'href="(/tasks/\d+/attachments/\d+)"', page)
        assert link and client.get(link.group(1)).content == b"%PDF-1.4 report"
    with store.session() as session:
        [report] = session.scalars(select(ProgressReport)).all()
        assert (report.percent, report.text) == (60, "Đã trình dự thảo")


def test_an_officer_cannot_report_on_a_task_another_agency_leads(store, tmp_path):
    ids = assign(store)
    with signed_in(store, tmp_path, "xd.officer", Role.AGENCY_OFFICER, "MOC") as client:
        form = token_of(client.get(f"/tasks/{ids['shared']}").text)
        refused = client.post(
            f"/tasks/{ids['shared']}/report",
            data={"form_token": form, "text": "Xen ngang", "percent": "10"},
        )
        assert refused.status_code == 403
        assert "only the lead agency" in refused.text


def test_an_extension_asked_on_the_page_is_approved_by_the_government_office(store, tmp_path):
    ids = assign(store)
    wanted = ago(-40).isoformat()
    with signed_in(store, tmp_path, "xd.officer", Role.AGENCY_OFFICER, "MOC") as client:
        form = token_of(client.get(f"/tasks/{ids['late']}").text)
        asked = client.post(
            f"/tasks/{ids['late']}/extension",
            data={"form_token": form, "new_due_on": wanted, "reason": "Chờ ý kiến bộ"},
        )
        assert asked.status_code == 303
    with store.session() as session:
        extension = session.scalars(select(ExtensionRequest)).one()
    with signed_in(store, tmp_path, "chuyen.vien", Role.ANALYST, "VPCP") as client:
        form = token_of(client.get(f"/tasks/{ids['late']}").text)
        decided = client.post(
            f"/tasks/extensions/{extension.id}/decision",
            data={"form_token": form, "decision": "approve", "note": "Đồng ý"},
        )
        assert decided.status_code == 303
        page = client.get(f"/tasks/{ids['late']}").text
    assert 'data-status="not_started"' in page and 'data-state="approved"' in page


def test_a_form_without_the_sessions_token_is_refused(store, tmp_path):
    ids = assign(store)
    with signed_in(store, tmp_path, "xd.officer", Role.AGENCY_OFFICER, "MOC") as client:
        refused = client.post(
            f"/tasks/{ids['soon']}/report", data={"text": "Không có mã", "percent": "10"}
        )
        assert refused.status_code == 403
    with store.session() as session:
        assert session.scalars(select(ProgressReport)).all() == []


def test_a_directive_is_registered_from_its_pasted_text_with_the_tasks_confirmed(store, tmp_path):
    text = (
        "1. Giao Bộ Xây dựng chủ trì, phối hợp với Bộ Tài chính hoàn thiện cơ chế nhà ở xã "
        "hội, hoàn thành trong quý III năm 2025.\n"
        "2. Ủy ban nhân dân các tỉnh, thành phố báo cáo tình hình trước ngày 20 hằng tháng."
    )
    directive_fields = {
        "number": "99/CT-TTg",
        "kind": "chi_thi",
        "issued_on": "2025-05-02",
        "signer": "Phạm Minh Chính",
        "title": "Về phát triển nhà ở xã hội",
    }
    with signed_in(store, tmp_path, "chuyen.vien", Role.ANALYST, "VPCP") as client:
        form = token_of(client.get("/directives/new").text)
        review = client.post(
            "/directives/new", data={"form_token": form, **directive_fields, "text": text}
        )
        assert review.status_code == 200
        assert "<q>Bộ Xây dựng</q>" in review.text
        assert "<q>trong quý III năm 2025</q>" in review.text
        rows = confirm_rows(review.text)
        assert [row["lead"] for row in rows[:2]] == ["MOC", "UBND-*"]
        rows[0]["indicators"] = "CPI"
        made = client.post(
            "/directives",
            data={"form_token": form, **directive_fields, **columns(rows[:2]), "keep": ["0", "1"]},
            files={"document": ("99-CT-TTg.pdf", b"%PDF-1.4 chi thi", "application/pdf")},
        )
        assert made.status_code == 303, made.text
        page = client.get(made.headers["location"])
        assert "99/CT-TTg" in page.text
    with store.session() as session:
        saved = session.scalars(select(Directive).where(Directive.number == "99/CT-TTg")).one()
        tasks = session.scalars(select(Task).where(Task.directive_id == saved.id)).all()
        assert saved.document_name == "99-CT-TTg.pdf"
        # One task for the ministry and one for each of the 34 provinces.
        assert len(tasks) == 1 + 34
        assert {t.deadline_kind for t in tasks} == {"date", "monthly"}
        assert [len(t.indicators) for t in tasks if t.deadline_kind == "date"] == [1]


def test_one_bad_row_stores_nothing_and_the_page_names_the_row(store, tmp_path):
    fields = {
        "number": "98/CT-TTg",
        "kind": "chi_thi",
        "issued_on": "2025-05-02",
        "signer": "Phạm Minh Chính",
        "title": "Về thí điểm",
    }
    good = blank_row(title="Báo cáo kết quả", lead="MOC", due_on="2025-06-30", indicators="CPI")
    early = blank_row(title="Trình đề án", lead="MOF", due_on="2025-04-01")
    with signed_in(store, tmp_path, "chuyen.vien", Role.ANALYST, "VPCP") as client:
        form = token_of(client.get("/directives/new").text)
        refused = client.post(
            "/directives",
            data={"form_token": form, **fields, **columns([good, early]), "keep": ["0", "1"]},
        )
    assert refused.status_code == 400
    assert "task row 2 (Trình đề án)" in refused.text
    assert "before the assignment date" in refused.text
    with store.session() as session:
        assert (
            session.scalars(select(Directive).where(Directive.number == "98/CT-TTg")).all() == []
        )


def test_a_calendar_address_made_on_the_page_is_shown_once_and_revoked(store, tmp_path):
    assign(store)
    with signed_in(store, tmp_path, "xd.officer", Role.AGENCY_OFFICER, "MOC") as client:
        form = token_of(client.get("/tasks/mine").text)
        made = client.post("/tasks/calendars", data={"form_token": form, "owner": "agency"})
        address = re.search(r'class="calendar-address"[^>]*value="([^"]+)"', made.text).group(1)
        assert "BEGIN:VCALENDAR" in client.get(address).text
        feed_id = re.search(r'action="/tasks/calendars/(\d+)/revoke"', made.text).group(1)
        revoked = client.post(f"/tasks/calendars/{feed_id}/revoke", data={"form_token": form})
        assert revoked.status_code == 303
        assert client.get(address).status_code == 410
        assert address not in client.get("/tasks/mine").text


ROW_FIELDS = [
    ("task_position", "position"),
    ("task_title", "title"),
    ("task_description", "description"),
    ("lead", "lead"),
    ("coordinators", "coordinators"),
    ("deadline_kind", "deadline_kind"),
    ("due_on", "due_on"),
    ("due_day", "due_day"),
    ("until", "until"),
    ("priority", "priority"),
    ("indicators", "indicators"),
]


def blank_row(**values: str) -> dict[str, str]:
    row = {name: "" for _, name in ROW_FIELDS} | {"deadline_kind": "date", "priority": "normal"}
    return row | values


def columns(rows: list[dict[str, str]]) -> dict[str, list[str]]:
    return {form: [row[name] for row in rows] for form, name in ROW_FIELDS}


def confirm_rows(html: str) -> list[dict[str, str]]:
    """The rows of the confirmation form as a person would send them back unchanged."""
    rows = []
    for block in html.split('<fieldset class="task-row"')[1:]:
        row = blank_row()
        for form, name in ROW_FIELDS:
            chosen = re.search(
                rf'name="{form}"[^>]*value="([^"]*)"|name="{form}">(?:(?!</select>).)*?'
                r'<option value="([^"]*)" selected',
                block,
                re.S,
            )
            if chosen:
                row[name] = chosen.group(1) if chosen.group(1) is not None else chosen.group(2)
        rows.append(row)
    return rows


def import_workbook(*rows: dict[str, object]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([row.get(name) for name in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_workbook_uploaded_on_the_page_is_refused_by_row_or_imported_whole(store, tmp_path):
    good = {
        "title": "Báo cáo giải ngân",
        "lead_agency": "MOC",
        "assigned_on": "10/03/2025",
        "deadline_kind": "date",
        "due_on": "30/06/2025",
    }
    bad = import_workbook(good, {**good, "lead_agency": "BXD"}, {**good, "due_on": "31/13/2025"})
    with signed_in(store, tmp_path, "chuyen.vien", Role.ANALYST, "VPCP") as client:
        page = client.get("/task-import")
        template = client.get("/task-import/template.xlsx")
        assert rows_of(template.content)[0][:3] == ("directive", "position", "title")
        form = token_of(page.text)
        sent = {"workbook": ("giao-viec.xlsx", bad, XLSX_TYPE)}
        refused = client.post("/task-import", data={"form_token": form}, files=sent)
        assert refused.status_code == 422
        problems = re.findall(
            r'<tr data-row="(\d+)"><td class="num">\d+</td><th scope="row">(\w+)<', refused.text
        )
        assert problems == [("3", "lead_agency"), ("4", "due_on")]
        with store.session() as session:
            assert session.scalars(select(Task)).all() == []

        sent = {"workbook": ("giao-viec.xlsx", import_workbook(good, good), XLSX_TYPE)}
        done = client.post("/task-import", data={"form_token": form}, files=sent)
        assert done.status_code == 200
        assert "Đã nhập 2 nhiệm vụ từ 2 dòng" in done.text
    with store.session() as session:
        assert len(session.scalars(select(Task)).all()) == 2


def test_the_pages_read_in_english_one_click_away(store, tmp_path):
    ids = assign(store)
    with signed_in(store, tmp_path, "chuyen.vien", Role.ANALYST, "VPCP") as client:
        client.cookies.set("govops_lang", "en")
        listed = client.get("/tasks").text
        assert "Assigned tasks" in listed and ">Overdue<" in listed
        one = client.get(f"/tasks/{ids['late']}").text
        assert "Report progress" not in one  # the office does not report; it decides
        assert "History" in one and "Assigned" in one
        card = client.get("/tasks/scorecard").text
        assert "On-time rate" in card
        form = client.get("/directives/new").text
        assert "Paste its text" in form or "Propose tasks" in form
