"""A data answer as CSV or XLSX: the same rows a person sees in the JSON answer."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from openpyxl import Workbook
from openpyxl.styles import Font

from govops.datastore.analytics import DataAnswer

COLUMNS = [
    "indicator",
    "area",
    "area_name_vi",
    "period",
    "value",
    "unit",
    "status",
    "recorded_at",
    "note",
]


def answer_rows(answer: DataAnswer) -> Iterator[list[object]]:
    for series in answer.series:
        for point in series.points:
            yield [
                answer.indicator.code,
                series.area.code,
                series.area.name_vi,
                point.period.code,
                point.value,
                answer.unit,
                point.status,
                point.recorded_at.isoformat() if point.recorded_at else None,
                point.note,
            ]


def answer_csv(answer: DataAnswer) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in answer_rows(answer):
        writer.writerow(["" if cell is None else cell for cell in row])
    return buffer.getvalue()


def answer_xlsx(answer: DataAnswer) -> bytes:
    workbook = Workbook(write_only=False)
    sheet = workbook.active
    assert sheet is not None
    sheet.title = answer.indicator.code[:31]
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    number_format = "0" if answer.decimals == 0 else "0." + "0" * answer.decimals
    for row in answer_rows(answer):
        value = row[4]
        # Spreadsheets hold binary floating point; the exact decimal is in the CSV answer.
        row[4] = None if value is None else float(value)  # type: ignore[arg-type]
        sheet.append(row)
        sheet.cell(row=sheet.max_row, column=5).number_format = number_format
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHI", (16, 8, 28, 12, 16, 22, 8, 28, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
