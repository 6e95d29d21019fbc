"""Small builders of test input: only the fields that matter to a test are given."""

from __future__ import annotations

from govops.datastore.rows import IncomingRow
from govops.datastore.writes import Payload


def row(
    number: int = 1,
    *,
    indicator: str = "RETAIL_SALES",
    area: str = "01",
    period: str = "2025-M03",
    value: str | None = "1000.5",
    status: str | None = None,
    dims: dict[str, str] | None = None,
) -> IncomingRow:
    return IncomingRow(
        number=number,
        indicator=indicator,
        area=area,
        period=period,
        value=value,
        status=status,
        dims=dims or {},
    )


def payload(text: str = "test", media_type: str = "application/json") -> Payload:
    return Payload(text.encode(), media_type, source="test")


def csv_body(*lines: str, header: str = "indicator,area,period,value") -> bytes:
    return ("\n".join((header, *lines)) + "\n").encode()
