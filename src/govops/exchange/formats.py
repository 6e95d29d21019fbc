"""Reading a delivery's body as observation rows, in the format its content type names.

CSV and JSON are read by the datastore's readers; XLSX workbooks are read here, first
sheet, header in the first row, with the same columns as CSV. A body whose bytes do not
match its content type is refused before any row is read.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from govops.core.errors import InvalidRequest, UnsupportedMediaType
from govops.datastore.rows import (
    CsvLayout,
    IncomingRow,
    csv_rows_from_bytes,
    json_rows_from_bytes,
)

CSV = "text/csv"
JSON = "application/json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {"csv": CSV, "json": JSON, "xlsx": XLSX}
FORMAT_OF = {media: name for name, media in MEDIA_TYPES.items()}
# A workbook is a ZIP archive; its unpacked size is bounded so a small file cannot
# expand into gigabytes in memory.
MAX_XLSX_UNPACKED = 200 * 1024 * 1024


def format_of(content_type: str | None) -> str:
    """``csv``, ``json`` or ``xlsx`` for a Content-Type header, or a 415 naming them."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media in FORMAT_OF:
        return FORMAT_OF[media]
    shown = media or "none"
    raise UnsupportedMediaType(
        f"content type {shown} is not one this hub reads; send text/csv, "
        f"application/json or {XLSX}",
        field="Content-Type",
    )


def check_body_matches(fmt: str, head: bytes) -> None:
    """Refuse a body whose first bytes contradict its content type."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if fmt == "xlsx" and not head.startswith(b"PK\x03\x04"):
        raise UnsupportedMediaType(
            "the body was sent as an XLSX workbook but is not one (no ZIP signature)",
            field="Content-Type",
        )
    if fmt == "json" and not start.startswith((b"{", b"[")):
        raise UnsupportedMediaType(
            "the body was sent as JSON but does not start with '{'", field="Content-Type"
        )
    if fmt == "csv" and (head.startswith(b"PK\x03\x04") or b"\x00" in head):
        raise UnsupportedMediaType(
            "the body was sent as CSV but is binary (an XLSX workbook?)", field="Content-Type"
        )


def read_rows(fmt: str, body: bytes) -> list[IncomingRow]:
    if fmt == "csv":
        return csv_rows_from_bytes(body)
    if fmt == "json":
        return json_rows_from_bytes(body)
    return list(xlsx_rows(body))


def xlsx_rows(body: bytes) -> Iterator[IncomingRow]:
    """Rows of the first sheet of a workbook with the CSV columns in its first row."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
        unpacked = sum(item.file_size for item in archive.infolist())
    except zipfile.BadZipFile as error:
        raise InvalidRequest(f"the XLSX workbook cannot be opened: {error}") from error
    if unpacked > MAX_XLSX_UNPACKED:
        raise InvalidRequest(
            f"the XLSX workbook unpacks to {unpacked} bytes; the limit is {MAX_XLSX_UNPACKED}"
        )
    try:
        book = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise InvalidRequest(f"the XLSX workbook cannot be read: {error}") from error
    try:
        sheet = book.worksheets[0]
        lines = ([_cell_text(cell) for cell in row] for row in sheet.iter_rows(values_only=True))
        layout = CsvLayout(lines)
        for number, cells in enumerate(lines, start=1):
            cells = cells[: len(layout.header)]
            cells += [""] * (len(layout.header) - len(cells))
            row = layout.row(number, cells)
            if row is not None:
                yield row
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # Spreadsheets keep numbers as binary floats; repr gives the shortest exact text.
        return repr(value) if not value.is_integer() else str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    if isinstance(value, Decimal):
        return str(value)
    return str(value)
