"""Task lists as CSV and XLSX: the same rows and columns a person sees in the list."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from govops.tasks.queries import TaskRow
from govops.tasks.scorecard import ScoreLine
from govops.tasks.status import TaskStatus

COLUMNS = [
    "task",
    "directive",
    "position",
    "title",
    "lead_agency",
    "lead_agency_name",
    "priority",
    "deadline_kind",
    "assigned_on",
    "due_on",
    "period",
    "percent",
    "completed_on",
    "status",
    "status_vi",
]


SCORECARD_COLUMNS = [
    "rank",
    "key",
    "name",
    "total",
    "completed_on_time",
    "completed_late",
    "in_progress",
    "overdue",
    "not_started",
    "on_time_rate",
    "completion_rate",
]


def score_cells(line: ScoreLine) -> list[object]:
    """One scorecard line as the download writes it; rates in percent, empty when none."""
    c = line.counts
    return [
        line.rank,
        line.key,
        line.name,
        line.total,
        c[TaskStatus.COMPLETED_ON_TIME],
        c[TaskStatus.COMPLETED_LATE],
        c[TaskStatus.IN_PROGRESS],
        c[TaskStatus.OVERDUE],
        c[TaskStatus.NOT_STARTED],
        None if line.on_time_rate is None else float(line.on_time_rate),
        None if line.completion_rate is None else float(line.completion_rate),
    ]


def table_csv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return buffer.getvalue()


def row_cells(row: TaskRow) -> list[object]:
    return [
        row.id,
        row.directive_number or "",
        row.position,
        row.title,
        row.lead_agency_code,
        row.lead_agency_name,
        row.priority,
        row.deadline_kind,
        row.assigned_on,
        row.due_on,
        row.period,
        row.percent,
        row.completed_on,
        row.status.value,
        row.status.label_vi,
    ]


def tasks_csv(rows: Iterable[TaskRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row_cells(row)])
    return buffer.getvalue()


def tasks_xlsx(rows: Iterable[TaskRow], *, title: str = "tasks") -> bytes:
    """A workbook written row by row (openpyxl's write-only mode keeps memory flat)."""
    return table_xlsx(COLUMNS, (row_cells(row) for row in rows), title=title)


def table_xlsx(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, title: str = "sheet"
) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    header = []
    for name in columns:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
