"""Tasks from the spreadsheets agencies keep: a template, row checks, a whole-or-nothing load.

The workbook is read twice in openpyxl's read-only mode, row by row, so memory stays
flat whatever its length: the first pass checks every row and collects only the
problems; the second, run only when there are none, stores the tasks.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.models import Agency, Indicator
from govops.core.db import now_utc
from govops.core.errors import InvalidRequest, RejectedBatch, RowErrors
from govops.security import audit
from govops.tasks.access import check_assigner
from govops.tasks.deadlines import Deadline, DeadlineKind, deliverables
from govops.tasks.models import Directive
from govops.tasks.service import (
    NewTask,
    Priority,
    build_task,
    record_event,
    refresh_current,
    task_facts,
)

log = logging.getLogger(__name__)

COLUMNS = [
    "directive",
    "position",
    "title",
    "description",
    "lead_agency",
    "coordinating_agencies",
    "assigned_on",
    "deadline_kind",
    "due_on",
    "due_day",
    "recurs_until",
    "priority",
    "indicators",
]
REQUIRED = {"title", "lead_agency", "assigned_on", "deadline_kind"}
MAX_ROWS = 100_000
# Rows stored per flush: large enough for batched INSERTs, small enough to keep memory flat.
BATCH = 500
EXAMPLE = [
    "25/CT-TTg",
    "3",
    "Đẩy nhanh giải ngân vốn đầu tư công các dự án giao thông trọng điểm",
    "",
    "MOC",
    "MOF, UBND-01",
    date(2025, 3, 10),
    "date",
    date(2025, 6, 30),
    None,
    None,
    "high",
    "",
]


@dataclass(frozen=True)
class ImportReport:
    rows: int
    created: int


def template() -> bytes:
    """An empty workbook with the columns, one example row and lists for the choices."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "tasks"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append(EXAMPLE)
    kinds = DataValidation(
        type="list", formula1='"' + ",".join(k.value for k in DeadlineKind) + '"'
    )
    kinds.add(f"H2:H{MAX_ROWS + 1}")
    priorities = DataValidation(type="list", formula1='"' + ",".join(Priority) + '"')
    priorities.add(f"L2:L{MAX_ROWS + 1}")
    sheet.add_data_validation(kinds)
    sheet.add_data_validation(priorities)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_tasks(
    session: Session,
    path: Path,
    *,
    by: audit.Actor,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Store every row's task, or none and raise RejectedBatch naming each bad row."""
    check_assigner(by.principal)
    reader = _RowReader(session)
    errors = RowErrors()
    count = 0
    for number, cells in _rows(path):
        count += 1
        if count > MAX_ROWS:
            raise InvalidRequest(
                f"the workbook has more than {MAX_ROWS} rows; split it", field="file"
            )
        reader.check(number, cells, errors)
        if progress and count % 500 == 0:
            progress(500)
    if errors:
        raise RejectedBatch(errors)

    created = 0
    batch: list[NewTask] = []
    for number, cells in _rows(path):
        new = reader.check(number, cells, errors)
        assert new is not None  # every row passed the first pass
        batch.append(new)
        if len(batch) == BATCH:
            created += _store(session, batch, reader, by)
            batch = []
            if progress:
                progress(BATCH)
    created += _store(session, batch, reader, by)
    audit.record(
        session,
        "task.import",
        by=by,
        object_type="file",
        object_id=path.name,
        summary=f"{created} tasks from {count} rows",
    )
    log.info("imported %s tasks from %s", created, path.name)
    return ImportReport(count, created)


def _store(session: Session, batch: list[NewTask], reader: _RowReader, by: audit.Actor) -> int:
    """Store a batch of checked rows with two flushes, whatever its length.

    The first pass checked every reference, so the tasks are built without asking the
    database again; the batch is then let go, so memory stays flat.
    """
    stamp = now_utc()
    tasks = [
        build_task(
            new,
            coordinator_ids=sorted(set(new.coordinator_ids)),
            indicator_ids=sorted({reader.indicators[code] for code in new.indicator_codes}),
            dues=deliverables(new.deadline, new.assigned_on),
            stamp=stamp,
        )
        for new in batch
    ]
    session.add_all(tasks)
    session.flush()

    for task in tasks:
        refresh_current(task)
        record_event(session, task, "assigned", by, task_facts(task))
    session.flush()
    session.expunge_all()
    return len(tasks)


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number as the spreadsheet shows it, cells by column name) for non-empty rows."""
    # The file is opened here, not by openpyxl, so it is closed even when a pass stops early.
    with path.open("rb") as handle:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a file that is not XLSX
            raise InvalidRequest(
                f"{path.name} is not an XLSX workbook ({type(error).__name__}); save it as .xlsx",
                field="file",
            ) from error
        try:
            yield from _sheet_rows(workbook.worksheets[0])
        finally:
            workbook.close()


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    lines = sheet.iter_rows(values_only=True)
    try:
        header = [str(c).strip().lower() if c is not None else "" for c in next(lines, ())]
        missing = [name for name in COLUMNS if name not in header]
        if missing:
            raise InvalidRequest(
                f"the first row lacks the column(s) {', '.join(missing)}; start from "
                "`govops tasks template`",
                field="header",
            )
        for number, values in enumerate(lines, start=2):
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            yield number, dict(zip(header, values, strict=False))
    finally:
        lines.close()


class _RowReader:
    """Checks rows against the catalogue, with look-ups cached for the whole file."""

    def __init__(self, session: Session) -> None:
        self.agencies = {a.code: a.id for a in session.execute(select(Agency.code, Agency.id))}
        self.directives = {
            d.number: d.id for d in session.execute(select(Directive.number, Directive.id))
        }
        self.indicators = {
            i.code: i.id for i in session.execute(select(Indicator.code, Indicator.id))
        }

    def check(self, number: int, cells: dict[str, Any], errors: RowErrors) -> NewTask | None:
        before = errors.total
        for name in sorted(REQUIRED):
            if _text(cells.get(name)) == "":
                errors.add(number, name, "is empty; it is required")
        lead = self._agency(number, "lead_agency", _text(cells.get("lead_agency")), errors)
        coordinators = [
            self._agency(number, "coordinating_agencies", code, errors)
            for code in _codes(cells.get("coordinating_agencies"))
        ]
        if lead is not None and lead in coordinators:
            errors.add(
                number,
                "coordinating_agencies",
                "names the lead agency; it cannot also co-ordinate",
                _text(cells.get("lead_agency")),
            )
        directive = self._directive(number, _text(cells.get("directive")), errors)
        deadline = self._deadline(number, cells, errors)
        assigned_on = _date(number, "assigned_on", cells.get("assigned_on"), errors)
        priority = self._priority(number, _text(cells.get("priority")) or "normal", errors)
        indicators = _codes(cells.get("indicators"))
        for code in indicators:
            if code not in self.indicators:
                errors.add(number, "indicators", "is not in the catalogue", code)
        # The deadline's own rules only once its fields read well, so one typo is one error.
        if deadline is not None and assigned_on is not None and errors.total == before:
            try:
                deliverables(deadline, assigned_on)
            except InvalidRequest as refused:
                errors.add(number, str(refused.extensions.get("field")), refused.detail)
        if errors.total > before or lead is None or assigned_on is None or deadline is None:
            return None
        return NewTask(
            title=_text(cells.get("title")),
            description=_text(cells.get("description")),
            lead_agency_id=lead,
            assigned_on=assigned_on,
            deadline=deadline,
            directive_id=directive,
            position=_text(cells.get("position"))[:20],
            coordinator_ids=[c for c in coordinators if c is not None],
            priority=priority,
            indicator_codes=indicators,
            source=f"import row {number}",
        )

    def _agency(self, number: int, field: str, code: str, errors: RowErrors) -> int | None:
        if not code:
            return None
        found = self.agencies.get(code)
        if found is None:
            errors.add(number, field, "is not an agency code of the catalogue", code)
        return found

    def _directive(self, number: int, text: str, errors: RowErrors) -> int | None:
        if not text:
            return None
        found = self.directives.get(text)
        if found is None:
            errors.add(number, "directive", "is not registered; register it first", text)
        return found

    def _priority(self, number: int, text: str, errors: RowErrors) -> Priority:
        try:
            return Priority(text.lower())
        except ValueError:
            errors.add(number, "priority", "must be high, normal or low", text)
            return Priority.NORMAL

    def _deadline(self, number: int, cells: dict[str, Any], errors: RowErrors) -> Deadline | None:
        text = _text(cells.get("deadline_kind")).lower()
        if not text:
            return None
        try:
            kind = DeadlineKind(text)
        except ValueError:
            errors.add(
                number, "deadline_kind", "must be date, monthly, quarterly or standing", text
            )
            return None
        due_on = _date(number, "due_on", cells.get("due_on"), errors)
        until = _date(number, "recurs_until", cells.get("recurs_until"), errors)
        day = _day(number, cells.get("due_day"), errors)
        return Deadline(kind, due_on, day, until)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _codes(value: Any) -> list[str]:
    return [part.strip() for part in _text(value).replace(";", ",").split(",") if part.strip()]


def _date(number: int, field: str, value: Any, errors: RowErrors) -> date | None:
    if value is None or _text(value) == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    for parse in (date.fromisoformat, _vietnamese_date):
        try:
            return parse(text)
        except ValueError:
            continue
    errors.add(number, field, "is not a date like 30/06/2025 or 2025-06-30", text)
    return None


def _vietnamese_date(text: str) -> date:
    day, month, year = (int(part) for part in text.split("/"))
    return date(year, month, day)


def _day(number: int, value: Any, errors: RowErrors) -> int | None:
    if value is None or _text(value) == "":
        return None
    try:
        return int(float(_text(value)))
    except ValueError:
        errors.add(number, "due_day", "is not a day of the month from 1 to 31", _text(value))
        return None
