"""Bulk files: stored whole or not at all, vintages backfilled, progress reported."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from govops.core.db import transaction
from govops.core.errors import Conflict, InvalidRequest, RejectedBatch, UnsupportedMediaType
from govops.datastore.analytics import DataQuery, run_query
from govops.datastore.bulk import load_csv_file
from govops.datastore.models import Observation, Submission


def write_csv(folder: Path, *lines: str, header: str = "indicator,area,period,value") -> Path:
    path = folder / "observations.csv"
    path.write_text("\n".join((header, *lines)) + "\n", encoding="utf-8")
    return path


def stored_rows(store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(Observation)) or 0


def test_a_file_is_stored_with_its_digest_and_progress_is_reported(store, tmp_path):
    lines = [
        f"RETAIL_SALES,{code},2025-M0{month},{month}.5"
        for code in ("01", "79")
        for month in range(1, 10)
    ]
    path = write_csv(tmp_path, *lines)
    seen: list[int] = []
    with transaction(store.sessions) as session:
        report = load_csv_file(session, path, progress=seen.append)
    assert report.rows == 18
    assert sum(seen) == path.stat().st_size
    with store.session() as session:
        submission = session.get(Submission, report.submission_id)
        assert submission is not None and submission.payload_digest == report.digest
        assert submission.source == "observations.csv"
    assert stored_rows(store) == 18


def test_one_bad_row_at_the_end_stores_nothing_and_is_named(store, tmp_path):
    good = [f"RETAIL_SALES,01,2025-M0{month},1" for month in range(1, 10)]
    path = write_csv(tmp_path, *good, "RETAIL_SALES,27,2025-M08,1", "RETAIL_SALES,01,2025-M10,1,5")
    malformed = r"row 11 \(line 12\) has 5 cells; the header has 4"
    with pytest.raises(InvalidRequest, match=malformed), transaction(store.sessions) as s:
        load_csv_file(s, path)
    assert stored_rows(store) == 0


def test_every_bad_row_is_reported_not_only_the_first(store, tmp_path):
    path = write_csv(
        tmp_path,
        "RETAIL_SALES,27,2025-M08,1",
        "NOPE,01,2025-M01,1",
        "RETAIL_SALES,01,2025-Q1,1",
        "RETAIL_SALES,01,2025-M01,1,5",
    )
    path.write_text(path.read_text().replace("1,5", '"1,5"'))
    with pytest.raises(RejectedBatch) as raised, transaction(store.sessions) as session:
        load_csv_file(session, path)
    found = [(e.row, e.field) for e in raised.value.row_errors.errors]
    assert found == [(1, "area"), (2, "indicator"), (3, "period"), (4, "value")]
    assert "became part of 24 Bắc Ninh" in raised.value.row_errors.errors[0].reason
    assert stored_rows(store) == 0


def test_a_duplicate_row_in_a_file_is_refused_whole(store, tmp_path):
    path = write_csv(
        tmp_path,
        "RETAIL_SALES,01,2025-M01,1",
        "RETAIL_SALES,01,2025-M02,1",
        "RETAIL_SALES,01,2025-M01,2",
    )
    with pytest.raises(Conflict, match="twice"), transaction(store.sessions) as session:
        load_csv_file(session, path)
    assert stored_rows(store) == 0


def test_recorded_at_backfills_past_vintages_readable_as_of(store, tmp_path):
    path = write_csv(
        tmp_path,
        "GDP_GROWTH_A,VN,2020,2.91,A,2021-01-06T09:00:00+07:00",
        "GDP_GROWTH_A,VN,2020,2.87,A,2022-01-06T09:00:00+07:00",
        header="indicator,area,period,value,status,recorded_at",
    )
    with transaction(store.sessions) as session:
        load_csv_file(session, path)
    with store.session() as session:
        first = run_query(
            session,
            DataQuery(
                "GDP_GROWTH_A",
                ("VN",),
                "2020",
                "2020",
                as_of=_instant("2021-06-01T00:00:00+07:00"),
            ),
        )
        latest = run_query(session, DataQuery("GDP_GROWTH_A", ("VN",), "2020", "2020"))
    assert first.series[0].points[0].value == Decimal("2.91")
    assert latest.series[0].points[0].value == Decimal("2.87")


def test_a_binary_file_is_refused_before_anything_is_read(store, tmp_path):
    path = tmp_path / "book.csv"
    path.write_bytes(b"PK\x03\x04" + bytes(200))
    with pytest.raises(UnsupportedMediaType), transaction(store.sessions) as session:
        load_csv_file(session, path)


def _instant(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text)


def test_a_second_file_for_known_series_moves_their_newest_period(store, tmp_path):
    first = write_csv(tmp_path, "RETAIL_SALES,01,2025-M01,1", "RETAIL_SALES,79,2025-M01,1")
    with transaction(store.sessions) as session:
        load_csv_file(session, first)
    second = write_csv(tmp_path, "RETAIL_SALES,79,2025-M02,1", "RETAIL_SALES,01,2025-M03,1")
    with transaction(store.sessions) as session:
        load_csv_file(session, second)
    with store.session() as session:
        from govops.datastore.models import Series

        newest = sorted(d.isoformat() for d in session.scalars(select(Series.latest_period_start)))
    assert newest == ["2025-02-01", "2025-03-01"]
