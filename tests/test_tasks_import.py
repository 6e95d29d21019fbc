"""Importing tasks from a workbook: the template, row checks, whole or nothing, the command."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from govops.cli import app
from govops.core.errors import InvalidRequest, RejectedBatch
from govops.core.settings import get_settings
from govops.tasks.models import Task
from govops.tasks.service import history
from govops.tasks.spreadsheet import COLUMNS, import_tasks, template
from tasks_helpers import directive, officer, specialist


def workbook(path: Path, *rows: list[object], header: list[str] = COLUMNS) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def row(**cells: object) -> list[object]:
    values = {
        "directive": "25/CT-TTg",
        "title": "Hoàn thiện hồ sơ dự án đường vành đai 4",
        "lead_agency": "MOC",
        "coordinating_agencies": "MOF; UBND-01",
        "assigned_on": date(2025, 3, 10),
        "deadline_kind": "date",
        "due_on": "30/06/2025",
        "priority": "high",
    }
    values.update(cells)
    return [values.get(name) for name in COLUMNS]


def test_the_template_has_every_column_and_an_example_that_imports(store, tmp_path):
    path = tmp_path / "template.xlsx"
    path.write_bytes(template())
    sheet = load_workbook(io.BytesIO(path.read_bytes())).active
    assert [c.value for c in sheet[1]] == COLUMNS
    with store.session() as session, session.begin():
        directive(session)
        report = import_tasks(session, path, by=specialist(session))
        assert report.created == 1


def test_good_rows_become_tasks_with_their_agencies_and_deadlines(store, tmp_path):
    path = workbook(
        tmp_path / "tasks.xlsx",
        row(),
        row(
            title="Báo cáo tình hình giải ngân",
            deadline_kind="monthly",
            due_on=None,
            due_day=20,
            recurs_until="2025-12-31",
            coordinating_agencies=None,
        ),
    )
    with store.session() as session, session.begin():
        directive(session)
        report = import_tasks(session, path, by=specialist(session))
        assert (report.rows, report.created) == (2, 2)
        tasks = session.scalars(select(Task).order_by(Task.id)).all()
        assert tasks[0].occurrences[0].due_on == date(2025, 6, 30)
        assert len(tasks[0].coordinators) == 2
        assert len(tasks[1].occurrences) == 10
        assert tasks[1].current_occurrence_id == tasks[1].occurrences[0].id
        assert [e.kind for e in history(session, tasks[1].id, specialist(session).principal)] == [
            "assigned"
        ]


def test_bad_rows_are_each_reported_and_nothing_is_stored(store, tmp_path):
    path = workbook(
        tmp_path / "bad.xlsx",
        row(),
        row(lead_agency="BXD"),
        row(due_on="2025-02-01"),
        row(due_on="31/13/2025", priority="urgent"),
        row(directive="99/CT-TTg", title=None),
        row(coordinating_agencies="MOF, MOC"),
    )
    with store.session() as session, session.begin():
        directive(session)
        with pytest.raises(RejectedBatch) as refused:
            import_tasks(session, path, by=specialist(session))
        found = {(e.row, e.field) for e in refused.value.row_errors.errors}
        assert found == {
            (3, "lead_agency"),
            (4, "deadline"),
            (5, "due_on"),
            (5, "priority"),
            (6, "directive"),
            (6, "title"),
            (7, "coordinating_agencies"),
        }
        assert session.scalar(select(func.count()).select_from(Task)) == 0


def test_a_workbook_without_the_template_columns_is_refused_naming_them(store, tmp_path):
    path = workbook(tmp_path / "other.xlsx", ["x"], header=["title", "deadline"])
    with store.session() as session, session.begin():
        with pytest.raises(InvalidRequest) as refused:
            import_tasks(session, path, by=specialist(session))
        assert "lead_agency" in refused.value.detail


def test_a_file_that_is_not_a_workbook_is_refused(store, tmp_path):
    path = tmp_path / "tasks.xlsx"
    path.write_text("title,lead_agency\n")
    with store.session() as session, session.begin():
        with pytest.raises(InvalidRequest) as refused:
            import_tasks(session, path, by=specialist(session))
        assert "not an XLSX workbook" in refused.value.detail


def test_an_agency_officer_cannot_import(store, tmp_path):
    path = workbook(tmp_path / "tasks.xlsx", row())
    with store.session() as session, session.begin():
        with pytest.raises(Exception) as refused:
            import_tasks(session, path, by=officer(session, "MOC"))
        assert refused.value.status == 403  # type: ignore[attr-defined]


def test_the_import_command_reports_bad_rows_and_then_imports(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("GOVOPS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(app, ["init"], catch_exceptions=False).exit_code == 0
        bad = workbook(tmp_path / "bad.xlsx", row(directive=None, lead_agency="NOPE"))
        refused = runner.invoke(app, ["tasks", "import", str(bad)], catch_exceptions=False)
        assert refused.exit_code == 1
        assert "row 2, lead_agency" in refused.output
        good = workbook(tmp_path / "good.xlsx", row(directive=None), row(directive=None))
        done = runner.invoke(app, ["tasks", "import", str(good)], catch_exceptions=False)
        assert done.exit_code == 0, done.output
        assert "imported 2 tasks from 2 rows" in done.output
    finally:
        get_settings.cache_clear()
