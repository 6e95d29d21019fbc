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
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from govops.core.db import now_utc, sqlite_timestamp_text
from govops.core.errors import Conflict, InvalidRequest, RejectedBatch, RowErrors
from govops.datastore.models import Submission
from govops.datastore.rows import CsvLayout, decode_text
from govops.datastore.series import SeriesKey, SeriesResolver, refresh_latest_periods
from govops.datastore.validation import RowValidator
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
    received_at = now_utc()
    submission = Submission(
        kind=kind,
        source=path.name,
        received_at=received_at,
        media_type="text/csv",
        payload_size=path.stat().st_size,
        status="accepted",
    )
    session.add(submission)
    session.flush()

    # The file's digest is computed beside the load, not before it: hashing releases
    # the interpreter's lock, and a separate pass over a gigabyte cost a second.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="govops-digest") as hasher:
        digesting = hasher.submit(_file_digest, path)
        with (
            path.open(encoding="utf-8-sig", newline="") as handle,
            _ReadingProgress(handle.fileno(), progress),
        ):
            writer = _writer_for(session, submission.id, received_at)
            try:
                count, created = _stream(session, csv.reader(handle), writer)
            finally:
                writer.close()
        digest = submission.payload_digest = digesting.result()

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


class _ReadingProgress:
    """Reports the bytes of the file read so far, from a thread of its own.

    Counting in the loop over rows cost a twentieth of a load; the file's position,
    looked at a few times a second, costs nothing per row.
    """

    INTERVAL_SECONDS = 0.2

    def __init__(self, descriptor: int, progress: Progress | None) -> None:
        self.descriptor = descriptor
        self.progress = progress
        self.reported = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="govops-load-progress")

    def __enter__(self) -> _ReadingProgress:
        if self.progress is not None:
            self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.progress is None:
            return
        self._stop.set()
        self._thread.join()
        self._report()

    def _watch(self) -> None:
        while not self._stop.wait(self.INTERVAL_SECONDS):
            self._report()

    def _report(self) -> None:
        assert self.progress is not None
        position = os.lseek(self.descriptor, 0, os.SEEK_CUR)
        if position > self.reported:
            self.progress(position - self.reported)
            self.reported = position


# A value the fast path passes to the database as it was written; anything else (exponents,
# signs, separators, words) gets the full check and its error message.
_PLAIN_NUMBER = re.compile(r"-?[0-9]{1,18}(?:\.[0-9]{1,12})?")
_FAST_STATUSES = {"": "A", "A": "A", "P": "P", "E": "E", "F": "F"}


def _stream(session: Session, reader: Iterator[list[str]], writer: BlockWriter) -> tuple[int, int]:
    """Check every row and hand the valid ones to the writer, block by block.

    Rows whose codes were seen before take a fast path of dictionary look-ups; the first
    row of each new code, and every row that looks unusual, takes the full check.
    """
    layout = CsvLayout(reader)
    validator = RowValidator(session, allow_recorded_at=True)
    resolver = SeriesResolver(session)
    errors = RowErrors()
    stamps: dict[str, str] = {"": writer.default_stamp}
    position = layout.positions
    plain = not layout.dimension_columns
    at_indicator, at_area, at_period = position["indicator"], position["area"], position["period"]
    at_value, at_status = position["value"], position.get("status")
    at_recorded = position.get("recorded_at")
    width = len(layout.header)
    waiting = SeriesWait(resolver, writer)
    # Series ids of plain rows already met, so most rows skip the resolver's bookkeeping.
    series_of: dict[tuple[int, int], int] = {}
    add_row = writer.add
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            known = None
            if plain and len(cells) == width:
                known = validator.known_key(cells[at_indicator], cells[at_area], cells[at_period])
            if known is not None and not errors:
                value = cells[at_value]
                status = _FAST_STATUSES.get(cells[at_status] if at_status is not None else "")
                stamp = writer.default_stamp
                if at_recorded is not None:
                    stamp = stamps.get(cells[at_recorded], "")
                if status and stamp and _PLAIN_NUMBER.fullmatch(value):
                    indicator_id, area_id, period = known
                    series_id = series_of.get((indicator_id, area_id))
                    if series_id is not None:
                        add_row(number, series_id, period.start, stamp, value, status)
                        continue
                    series_id = resolver.known(indicator_id, area_id, "")
                    if series_id is not None:
                        series_of[indicator_id, area_id] = series_id
                    waiting.add(
                        number, (indicator_id, area_id, ""), period.start, stamp, value, status
                    )
                    continue
            _check_fully(layout, number, cells, validator, waiting, errors, stamps)
    except csv.Error as error:
        raise InvalidRequest(f"the CSV file cannot be read after row {number}: {error}") from error
    if errors:
        raise RejectedBatch(errors)
    waiting.flush()
    writer.finish()
    refresh_latest_periods(session, resolver.touched)
    return number, resolver.created


def _check_fully(
    layout: CsvLayout,
    number: int,
    cells: list[str],
    validator: RowValidator,
    waiting: SeriesWait,
    errors: RowErrors,
    stamps: dict[str, str],
) -> None:
    row = layout.row(number, cells)
    if row is None:
        return
    checked = validator.check(row, errors)
    if checked is None or errors:
        return  # after the first error, keep reading only to report more
    stamp = waiting.writer.default_stamp
    if checked.recorded_at is not None and row.recorded_at is not None:
        stamp = stamps.setdefault(row.recorded_at, waiting.writer.stamp_text(checked.recorded_at))
    value = None if checked.value is None else str(checked.value)
    key = (checked.indicator_id, checked.area_id, checked.dims_key)
    waiting.add(number, key, checked.period_start, stamp, value, checked.status)


class SeriesWait:
    """Rows whose series does not exist yet wait here, so series are created in batches."""

    LIMIT = 5_000

    def __init__(self, resolver: SeriesResolver, writer: BlockWriter) -> None:
        self.resolver = resolver
        self.writer = writer
        self._rows: list[tuple[int, SeriesKey, date, str, str | None, str]] = []

    def add(
        self,
        number: int,
        key: SeriesKey,
        period_start: date,
        stamp: str,
        value: str | None,
        status: str,
    ) -> None:
        series_id = self.resolver.known(*key)
        if series_id is not None:
            self.writer.add(number, series_id, period_start, stamp, value, status)
            return
        self._rows.append((number, key, period_start, stamp, value, status))
        if len(self._rows) >= self.LIMIT:
            self.flush()

    def flush(self) -> None:
        if not self._rows:
            return
        self.writer.settle()
        self.resolver.create_many(row[1] for row in self._rows)
        for number, key, period_start, stamp, value, status in self._rows:
            series_id = self.resolver.known(*key)
            assert series_id is not None
            self.writer.add(number, series_id, period_start, stamp, value, status)
        self._rows = []


class BlockWriter:
    """Collects rows ready for the database and sends them a block at a time, from a thread
    of its own.

    While the database stores one block, the next is checked here: the load takes about
    as long as the slower of the two instead of their sum (both drivers let go of the
    interpreter's lock while the database works). A block holds the connection until it
    is stored, and checking the next rows may need that connection to create a series, so
    ``settle`` waits for the block in flight before any other statement.
    """

    def __init__(self, session: Session, submission_id: int, received_at: datetime) -> None:
        self.session = session
        self.submission_id = submission_id
        self.default_stamp = self.stamp_text(received_at)
        self._first_row = 0
        # Period starts as text, made once per period rather than once per row.
        self._days: dict[date, str] = {}
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="govops-block")
        self._in_flight: tuple[Future[None], int] | None = None

    def stamp_text(self, moment: datetime) -> str:
        raise NotImplementedError

    def add(
        self,
        number: int,
        series_id: int,
        period_start: date,
        stamp: str,
        value: str | None,
        status: str,
    ) -> None:
        raise NotImplementedError

    def _take_block(self) -> object | None:
        """The rows collected since the last block, in the form ``_send`` takes."""
        raise NotImplementedError

    def _send(self, driver_connection: Any, block: Any) -> None:
        raise NotImplementedError

    def _refusal(self, error: Exception, first_row: int) -> Exception | None:
        """The error to tell the sender of the file, when the database refused a row."""
        raise NotImplementedError

    def flush(self) -> None:
        block = self._take_block()
        if block is None:
            return
        self.settle()
        driver = self.session.connection().connection.driver_connection
        sent = self._sender.submit(self._send, driver, block)
        self._in_flight = (sent, self._first_row)

    def settle(self) -> None:
        """Wait for the block in flight; its error, if any, is raised here."""
        if self._in_flight is None:
            return
        sent, first_row = self._in_flight
        self._in_flight = None
        try:
            sent.result()
        except Exception as error:
            refusal = self._refusal(error, first_row)
            if refusal is not None:
                raise refusal from error
            raise

    def finish(self) -> None:
        self.flush()
        self.settle()

    def close(self) -> None:
        # After a failure elsewhere the transaction is rolled back, which must not happen
        # while a block is still being stored: wait for it, keeping the first error.
        if self._in_flight is not None:
            self._in_flight[0].exception()
            self._in_flight = None
        self._sender.shutdown()

    def duplicate(self, where: str, first_row: int) -> Conflict:
        return Conflict(f"{_DUPLICATE_ADVICE}; {where} (block from row {first_row})")


def _writer_for(session: Session, submission_id: int, received_at: datetime) -> BlockWriter:
    if session.get_bind().dialect.name == "postgresql":
        return CopyWriter(session, submission_id, received_at)
    return SqliteWriter(session, submission_id, received_at)


_DUPLICATE_ADVICE = (
    "the file holds the same indicator, area, dimensions and period twice "
    "(or a vintage with the same recorded_at is already stored)"
)


class SqliteWriter(BlockWriter):
    """Sends each block as one ``executemany`` of parameter tuples."""

    SQL = (
        "INSERT INTO observation (series_id, period_start, recorded_at, value, status, "
        "submission_id) VALUES (?, ?, ?, ?, ?, ?)"
    )

    def __init__(self, session: Session, submission_id: int, received_at: datetime) -> None:
        super().__init__(session, submission_id, received_at)
        self._rows: list[tuple[object, ...]] = []

    def stamp_text(self, moment: datetime) -> str:
        return sqlite_timestamp_text(moment)

    def add(
        self,
        number: int,
        series_id: int,
        period_start: date,
        stamp: str,
        value: str | None,
        status: str,
    ) -> None:
        # Once per row of a file: the steps are written out here rather than called.
        rows = self._rows
        if not rows:
            self._first_row = number
        day = self._days.get(period_start)
        if day is None:
            day = self._days[period_start] = period_start.isoformat()
        rows.append((series_id, day, stamp, value, status, self.submission_id))
        if len(rows) >= BLOCK_ROWS:
            self.flush()

    def _take_block(self) -> list[tuple[object, ...]] | None:
        block, self._rows = self._rows, []
        return block or None

    def _send(self, driver_connection: Any, block: Any) -> None:
        cursor = driver_connection.cursor()
        try:
            cursor.executemany(self.SQL, block)
        finally:
            cursor.close()

    def _refusal(self, error: Exception, first_row: int) -> Exception | None:
        if "UNIQUE" in str(error):
            return self.duplicate("SQLite does not say which row", first_row)
        return None


_COPY_NULL = "\\N"


class CopyWriter(BlockWriter):
    """Sends each block as one COPY of tab-separated text.

    A COPY holds the connection until it ends (psycopg's lock makes any other statement
    wait for it), so every block is a COPY of its own.
    """

    SQL = (
        "COPY observation (series_id, period_start, recorded_at, value, status, "
        "submission_id) FROM STDIN"
    )

    def __init__(self, session: Session, submission_id: int, received_at: datetime) -> None:
        super().__init__(session, submission_id, received_at)
        self._lines: list[str] = []
        self._suffix = f"\t{submission_id}\n"

    def stamp_text(self, moment: datetime) -> str:
        return moment.isoformat()

    def add(
        self,
        number: int,
        series_id: int,
        period_start: date,
        stamp: str,
        value: str | None,
        status: str,
    ) -> None:
        # Once per row of a file: the steps are written out here rather than called.
        lines = self._lines
        if not lines:
            self._first_row = number
        day = self._days.get(period_start)
        if day is None:
            day = self._days[period_start] = period_start.isoformat()
        shown = _COPY_NULL if value is None else value
        lines.append(f"{series_id}\t{day}\t{stamp}\t{shown}\t{status}{self._suffix}")
        if len(lines) >= BLOCK_ROWS:
            self.flush()

    def _take_block(self) -> str | None:
        block, self._lines = self._lines, []
        return "".join(block) or None

    def _send(self, driver_connection: Any, block: Any) -> None:
        with driver_connection.cursor() as cursor, cursor.copy(self.SQL) as copy:
            copy.write(block)

    def _refusal(self, error: Exception, first_row: int) -> Exception | None:
        if "duplicate key" in str(error):
            return self.duplicate(_key_of(error), first_row)
        return None


def _key_of(error: Exception) -> str:
    text = str(error)
    start = text.find("Key (")
    return text[start:].splitlines()[0] if start >= 0 else text.splitlines()[0]
