"""Shapes of data answers and write receipts in the API."""

from __future__ import annotations

from datetime import datetime

import pydantic_core
from pydantic import BaseModel, Field

from govops.datastore.analytics import DataAnswer


class PointOut(BaseModel):
    period: str
    value: float | None = Field(
        description="Rounded to the indicator's decimals when "
        "computed; exact decimals are in the CSV answer"
    )
    status: str = Field(
        description="SDMX OBS_STATUS: A normal, P provisional, E estimated, F forecast, M missing"
    )
    recorded_at: datetime | None
    note: str | None = None


class AreaRef(BaseModel):
    id: int
    code: str
    name_vi: str
    name_en: str
    valid_from: str | None
    valid_to: str | None


class SeriesOut(BaseModel):
    area: AreaRef
    notes: list[str]
    points: list[PointOut]


class DataOut(BaseModel):
    indicator: str
    name_vi: str
    name_en: str
    frequency: str
    transform: str
    unit: str
    decimals: int
    as_of: datetime | None
    series: list[SeriesOut]


def data_json(answer: DataAnswer) -> bytes:
    """The answer in the shape of :class:`DataOut`, written without a model per point.

    Validating thousands of points into models costs more than the query itself; the
    values are already of the declared types, so they are serialised as they are.
    """
    tree = {
        "indicator": answer.indicator.code,
        "name_vi": answer.indicator.name_vi,
        "name_en": answer.indicator.name_en,
        "frequency": answer.frequency.value,
        "transform": answer.transform.value,
        "unit": answer.unit,
        "decimals": answer.decimals,
        "as_of": answer.as_of,
        "series": [
            {
                "area": {
                    "id": s.area.id,
                    "code": s.area.code,
                    "name_vi": s.area.name_vi,
                    "name_en": s.area.name_en,
                    "valid_from": s.area.valid_from.isoformat() if s.area.valid_from else None,
                    "valid_to": s.area.valid_to.isoformat() if s.area.valid_to else None,
                },
                "notes": s.notes,
                "points": [
                    {
                        "period": p.period.code,
                        "value": None if p.value is None else float(p.value),
                        "status": p.status,
                        "recorded_at": p.recorded_at,
                        "note": p.note,
                    }
                    for p in s.points
                ],
            }
            for s in answer.series
        ],
    }
    return pydantic_core.to_json(tree)


class ReceiptOut(BaseModel):
    submission: int
    received_at: str
    rows: int
    stored: int = Field(description="Rows stored as new vintages")
    unchanged: int = Field(description="Rows equal to the latest known value and status")
    series_created: int


class IndicatorCoverageOut(BaseModel):
    code: str
    name_vi: str
    name_en: str
    frequency: str
    due_period: str | None
    latest_period: str | None
    covered: bool


class GroupCoverageOut(BaseModel):
    code: str
    name_vi: str
    name_en: str
    indicators: int
    covered: int
    share: float
    target: float | None
    meets_target: bool | None
    missing: list[IndicatorCoverageOut]


class CoverageOut(BaseModel):
    date: str
    groups: list[GroupCoverageOut]
