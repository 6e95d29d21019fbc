"""A data answer written as JSON without models reads exactly as its declared model would."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from govops.catalog.models import Area, Indicator
from govops.core.periods import Frequency, Period
from govops.datastore.analytics import DataAnswer, Point, SeriesAnswer
from govops.datastore.schemas import DataOut, data_json
from govops.datastore.transforms import Transform


def _answer(indicator: Indicator) -> DataAnswer:
    area = Area(id=7, code="24", name_vi="Tỉnh Bắc Ninh", name_en="Bac Ninh", level="province")
    area.valid_from, area.valid_to = date(2025, 7, 1), None
    stamp = datetime(2025, 8, 20, 1, 2, 3, 456, tzinfo=UTC)
    months = [Period.parse(f"2025-M{month:02d}") for month in (5, 6, 7, 8)]
    points = [
        Point(months[0], Decimal("15.5"), "P", stamp, None),
        Point(months[1], None, "M", None, 'ghi chú "trích dẫn" \\ và dòng\nmới'),
        Point(months[2], Decimal("1E+16"), "A", stamp, None),
        Point(months[3], Decimal("-0.10"), "E", datetime(2025, 9, 1, tzinfo=UTC), "ước tính"),
    ]
    notes = ["values before 2025-07-01 assembled from predecessors 24 Tỉnh Bắc Giang"]
    return DataAnswer(
        indicator,
        Frequency.MONTHLY,
        Transform.NONE,
        "billion VND",
        1,
        None,
        [SeriesAnswer(area, points, notes), SeriesAnswer(area, [], [])],
    )


def test_the_answer_written_without_models_matches_the_declared_model():
    retail = Indicator(code="RETAIL_SALES", name_vi="Tổng mức bán lẻ", name_en="Retail sales")
    written = data_json(_answer(retail))

    parsed = DataOut.model_validate_json(written)
    assert json.loads(written) == json.loads(parsed.model_dump_json())
    first, missing, large, estimated = parsed.series[0].points
    assert (first.period, first.value, first.status) == ("2025-M05", 15.5, "P")
    assert first.recorded_at == datetime(2025, 8, 20, 1, 2, 3, 456, tzinfo=UTC)
    assert (missing.value, missing.note) == (None, 'ghi chú "trích dẫn" \\ và dòng\nmới')
    assert (large.value, estimated.value, estimated.note) == (1e16, -0.1, "ước tính")
    assert parsed.series[0].area.name_vi == "Tỉnh Bắc Ninh"
    assert parsed.series[1].points == []
