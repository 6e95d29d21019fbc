"""Observation rows as they arrive, from CSV and JSON bodies, before validation.

Every reader yields :class:`IncomingRow` with text fields and the row's number (1 is the
first data row; in a CSV file that is line 2), so errors can name the row and field.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from govops.core.errors import InvalidRequest, UnsupportedMediaType

REQUIRED_COLUMNS = ("indicator", "area", "period", "value")
OPTIONAL_COLUMNS = ("status", "recorded_at")


@dataclass(frozen=True, slots=True)
class IncomingRow:
    number: int
    indicator: str
    area: str
    period: str
    value: str | None
    status: str | None = None
    dims: dict[str, str] = field(default_factory=dict)
    recorded_at: str | None = None


def decode_text(body: bytes, *, what: str) -> str:
    if body.startswith(b"PK\x03\x04"):
        raise UnsupportedMediaType(
            f"the {what} body is a ZIP archive (an XLSX workbook?), not text; send it with "
            "the content type of what it is"
        )
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnsupportedMediaType(
            f"the {what} body is not UTF-8 text (byte {error.start} cannot be decoded); "
            "save the file as UTF-8"
        ) from error


class CsvLayout:
    """Where each column sits in a CSV of observations, read from its header line."""

    def __init__(self, reader: Iterator[list[str]]) -> None:
        self.header = _read_header(reader)
        self.positions = {name: index for index, name in enumerate(self.header)}
        self.dimension_columns = [
            name
            for name in self.header
            if name not in REQUIRED_COLUMNS and name not in OPTIONAL_COLUMNS
        ]

    def row(self, number: int, cells: list[str]) -> IncomingRow | None:
        """The row, or None for a blank one; a row of the wrong width is refused."""
        if not any(cell.strip() for cell in cells):
            return None  # blank lines, and the ",,," rows spreadsheets leave at the end
        if len(cells) != len(self.header):
            raise InvalidRequest(
                f"row {number} (line {number + 1}) has {len(cells)} cells; the header has "
                f"{len(self.header)}",
                row=number,
                line=number + 1,
            )
        positions = self.positions
        return IncomingRow(
            number=number,
            indicator=cells[positions["indicator"]].strip(),
            area=cells[positions["area"]].strip(),
            period=cells[positions["period"]].strip(),
            value=_blank_to_none(cells[positions["value"]]),
            status=_cell(cells, positions, "status"),
            dims={name: cells[positions[name]].strip() for name in self.dimension_columns},
            recorded_at=_cell(cells, positions, "recorded_at"),
        )


def read_csv_rows(lines: Iterable[str]) -> Iterator[IncomingRow]:
    """Rows of a CSV with columns indicator, area, period, value[, status][, recorded_at].

    Any other column is a dimension, named by its code (``SEX``), its cells the values.
    """
    reader = csv.reader(lines)
    layout = CsvLayout(reader)
    for number, cells in enumerate(reader, start=1):
        row = layout.row(number, cells)
        if row is not None:
            yield row


def _read_header(reader: Iterator[list[str]]) -> list[str]:
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise InvalidRequest(
            f"the CSV body is empty; expected a header line {','.join(REQUIRED_COLUMNS)}"
        ) from None
    except csv.Error as error:
        raise InvalidRequest(f"the CSV header cannot be read: {error}") from error
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise InvalidRequest(
            f"the CSV header lacks column(s) {', '.join(missing)}; it has {', '.join(header)}",
            missing_columns=missing,
        )
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise InvalidRequest(f"the CSV header repeats column(s) {', '.join(duplicated)}")
    return header


def _cell(cells: list[str], positions: dict[str, int], name: str) -> str | None:
    index = positions.get(name)
    return None if index is None else _blank_to_none(cells[index])


def _blank_to_none(text: str) -> str | None:
    text = text.strip()
    return text or None


def csv_rows_from_bytes(body: bytes) -> list[IncomingRow]:
    text = decode_text(body, what="CSV")
    try:
        return list(read_csv_rows(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise InvalidRequest(f"the CSV body cannot be read: {error}") from error


def json_rows_from_bytes(body: bytes) -> list[IncomingRow]:
    """Rows of ``{"observations": [{"indicator", "area", "period", "value", …}]}``."""
    text = decode_text(body, what="JSON")
    try:
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise InvalidRequest(
            f"the JSON body is not valid JSON: {error.msg} at line {error.lineno}, "
            f"column {error.colno}"
        ) from error
    items = document.get("observations") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise InvalidRequest('the JSON body must be an object with a list "observations"')
    return [_json_row(number, item) for number, item in enumerate(items, start=1)]


def _json_row(number: int, item: Any) -> IncomingRow:
    if not isinstance(item, dict):
        raise InvalidRequest(f"observation {number} must be an object", row=number)
    missing = [name for name in ("indicator", "area", "period") if not item.get(name)]
    if missing:
        raise InvalidRequest(
            f"observation {number} lacks field(s) {', '.join(missing)}",
            row=number,
            missing_fields=missing,
        )
    dims = item.get("dims") or {}
    if not isinstance(dims, dict):
        raise InvalidRequest(f"observation {number}: dims must be an object", row=number)
    value = item.get("value")
    return IncomingRow(
        number=number,
        indicator=str(item["indicator"]).strip(),
        area=str(item["area"]).strip(),
        period=str(item["period"]).strip(),
        value=None if value is None else _json_value_text(value),
        status=_optional_text(item.get("status")),
        dims={str(key): str(val) for key, val in dims.items()},
        recorded_at=_optional_text(item.get("recorded_at")),
    )


def _json_value_text(value: Any) -> str:
    # A JSON true would otherwise read as 1; refuse it during validation as not a number.
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)
