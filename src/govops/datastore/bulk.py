"""Loading observation files of millions of rows in constant memory.

The file is read once, row by row; valid rows go to the database in blocks (COPY on
PostgreSQL, executemany on SQLite) inside one transaction, so a file is stored whole or
not at all. Rows are not compared with what is already stored (that would cost a read per
row): every row becomes a vintage stamped with the load's time, or with its own
``recorded_at`` when the file backfills past vintages.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from govops.core.db import now_utc, sqlite_timestamp_text
from govops.core.errors import Conflict, InvalidRequest, RejectedBatch, RowErrors
from govops.datastore.models import Submission
from govops.datastore.rows import decode_text, read_csv_rows
from govops.datastore.series import SeriesResolver, refresh_latest_periods
from govops.datastore.validation import RowValidator, ValidRow
from govops.datastore.writes import announce

log = logging.getLogger(__name__)

BLOCK_ROWS = 50_000
Progress = Callable[[int], None]


@dataclass(frozen=True)
class LoadReport:
    submission_id: int
    rows: int
    series_created: int
    digest: str


def load_csv_file(
    session: Session, path: Path, *, kind: str = "file", progress: Progress | None = None
) -> LoadReport:
    """Store every row of the CSV file at ``path``; raise RejectedBatch and store nothing."""
    with path.open("rb") as probe:
        decode_text(probe.read(4096), what="CSV")
    digest = _file_digest(path)
    received_at = now_utc()
    submission = Submission(
        kind=kind,
        source=path.name,
        received_at=received_at,
        media_type="text/csv",
        payload_digest=digest,
        payload_size=path.stat().st_size,
        status="accepted",
    )
    session.add(submission)
    session.flush()

    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = _counting_progress(handle, progress)
        writer = _writer_for(session, submission.id, received_at)
        count, created = _stream(session, read_csv_rows(rows), writer)

    submission.row_count = submission.stored_count = count
    submission.receipt = json.dumps(
        {
            "submission": submission.id,
            "received_at": received_at.isoformat(),
            "rows": count,
            "stored": count,
            "unchanged": 0,
            "series_created": created,
        }
    )
    announce(
        session,
        "observations.loaded",
        f"submission/{submission.id}",
        {"submission": submission.id, "rows": count, "source": path.name},
    )
    log.info("loaded %s rows from %s as submission %s", count, path.name, submission.id)
    return LoadReport(submission.id, count, created, digest)


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def _counting_progress(handle: io.TextIOBase, progress: Progress | None) -> Iterator[str]:
    for line in handle:
        if progress is not None:
            progress(len(line))
        yield line


def _stream(session: Session, rows: Iterator[Any], writer: BlockWriter) -> tuple[int, int]:
    validator = RowValidator(session, allow_recorded_at=True)
    resolver = SeriesResolver(session)
    errors = RowErrors()
    block: list[tuple[int, ValidRow]] = []
    count = 0
    try:
        for row in rows:
            count += 1
            checked = validator.check(row, errors)
            if checked is None or errors:
                continue  # after the first error, keep reading only to report more
            series_id = resolver.id_for(checked.indicator_id, checked.area_id, checked.dims_key)
            block.append((series_id, checked))
            if len(block) >= BLOCK_ROWS:
                writer.write(block)
                block = []
    except csv.Error as error:
        raise InvalidRequest(f"the CSV file cannot be read after row {count}: {error}") from error
    if errors:
        raise RejectedBatch(errors)
    writer.write(block)
    writer.finish()
    refresh_latest_periods(session, resolver.touched)
    return count, resolver.created


class BlockWriter:
    def __init__(self, session: Session, submission_id: int, received_at: datetime) -> None:
        self.session = session
        self.submission_id = submission_id
        self.received_at = received_at

    def write(self, block: list[tuple[int, ValidRow]]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Flush anything buffered; duplicate keys surface here at the latest."""


def _writer_for(session: Session, submission_id: int, received_at: datetime) -> BlockWriter:
    if session.get_bind().dialect.name == "postgresql":
        return CopyWriter(session, submission_id, received_at)
    return SqliteWriter(session, submission_id, received_at)


_DUPLICATE_ADVICE = (
    "the file holds the same indicator, area, dimensions and period twice "
    "(or a vintage with the same recorded_at is already stored)"
)


class SqliteWriter(BlockWriter):
    SQL = (
        "INSERT INTO observation (series_id, period_start, recorded_at, value, status, "
        "submission_id) VALUES (?, ?, ?, ?, ?, ?)"
    )

    def write(self, block: list[tuple[int, ValidRow]]) -> None:
        if not block:
            return
        default_stamp = sqlite_timestamp_text(self.received_at)
        cursor = self.session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(
                self.SQL,
                [
                    (
                        series_id,
                        row.period_start.isoformat(),
                        sqlite_timestamp_text(row.recorded_at)
                        if row.recorded_at
                        else default_stamp,
                        None if row.value is None else str(row.value),
                        row.status,
                        self.submission_id,
                    )
                    for series_id, row in block
                ],
            )
        except Exception as error:
            if "UNIQUE" in str(error):
                raise Conflict(
                    f"{_DUPLICATE_ADVICE}; in the block from row {block[0][1].number}"
                ) from error
            raise


_COPY_NULL = "\\N"


class CopyWriter(BlockWriter):
    """Sends each block as one COPY on the session's connection.

    A COPY holds its connection until it ends, and validating the next rows may need that
    connection (to create a series), so every block is a COPY of its own.
    """

    SQL = (
        "COPY observation (series_id, period_start, recorded_at, value, status, "
        "submission_id) FROM STDIN"
    )

    def __init__(self, session: Session, submission_id: int, received_at: datetime) -> None:
        super().__init__(session, submission_id, received_at)
        self._default_stamp = received_at.isoformat()

    def write(self, block: list[tuple[int, ValidRow]]) -> None:
        if not block:
            return
        suffix = f"\t{self.submission_id}\n"
        lines = [
            f"{series_id}\t{row.period_start.isoformat()}\t"
            f"{row.recorded_at.isoformat() if row.recorded_at else self._default_stamp}\t"
            f"{_COPY_NULL if row.value is None else row.value}\t{row.status}{suffix}"
            for series_id, row in block
        ]
        raw = self.session.connection().connection.driver_connection
        try:
            with raw.cursor() as cursor, cursor.copy(self.SQL) as copy:  # type: ignore[union-attr]
                copy.write("".join(lines))
        except Exception as error:
            if "duplicate key" in str(error):
                raise Conflict(f"{_DUPLICATE_ADVICE}: {_key_of(error)}") from error
            raise


def _key_of(error: Exception) -> str:
    text = str(error)
    start = text.find("Key (")
    return text[start:].splitlines()[0] if start >= 0 else text.splitlines()[0]
