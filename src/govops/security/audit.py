"""The audit log: who did what, when, from where, chained so that changes show.

Each entry's hash is SHA-256 over its canonical JSON content followed by the previous
entry's hash; the first entry follows ``GENESIS_HASH``. Altering an entry breaks its own
hash, removing one leaves a gap in the sequence, and reordering breaks the links, so
:func:`verify_chain` names the first entry that is not as it was written.

Removing entries from the end leaves a shorter chain that is still whole. An auditor
guards against that by noting the head (``ChainReport.last_sequence`` and
``head_hash``) at each verification and checking that the next one still contains it.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import Select, String, func, select, text, type_coerce
from sqlalchemy.orm import Session

from govops.core.db import now_utc
from govops.core.text import nfc
from govops.security.models import AuditEntry
from govops.security.permissions import OPERATOR, Permission, Principal, require_permission

GENESIS_HASH = "0" * 64

# The columns an entry's hash covers, in the order the verifier reads them.
CHAINED_FIELDS = (
    "sequence",
    "recorded_at",
    "actor_user_id",
    "actor_key_id",
    "actor_name",
    "agency_id",
    "action",
    "object_type",
    "object_id",
    "summary",
    "client_address",
    "request_id",
)

# Any fixed 64-bit number names the lock; this is the first 8 bytes of
# SHA-256("govops audit chain"), so no other part of govops picks it by chance.
_CHAIN_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"govops audit chain").digest()[:8], "big", signed=True
)


@dataclass(frozen=True)
class Actor:
    """Who did something, and the request it came with, as the log records them."""

    principal: Principal
    client_address: str | None = None
    request_id: str | None = None


COMMAND_LINE = Actor(OPERATOR, client_address="local")


def record(
    session: Session,
    action: str,
    *,
    by: Actor,
    object_type: str | None = None,
    object_id: object = None,
    summary: str = "",
    agency_id: int | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction: it commits with the change it
    describes, or not at all.

    The chain is locked from here to the end of the transaction, so a writer appends
    last, just before it commits.
    """
    _lock_chain(session)
    head = session.execute(
        select(AuditEntry.sequence, AuditEntry.entry_hash)
        .order_by(AuditEntry.sequence.desc())
        .limit(1)
    ).first()
    principal = by.principal
    entry = AuditEntry(
        sequence=1 if head is None else head.sequence + 1,
        recorded_at=now_utc(),
        actor_user_id=principal.user_id,
        actor_key_id=principal.key_id,
        actor_name=nfc(principal.name)[:200],
        agency_id=principal.agency_id if agency_id is None else agency_id,
        action=action,
        object_type=object_type,
        object_id=_cut(None if object_id is None else str(object_id), 200),
        summary=nfc(summary),
        # A request id comes from a header the client chooses: cut to the column's size.
        client_address=_cut(by.client_address, 100),
        request_id=_cut(by.request_id, 100),
        previous_hash=GENESIS_HASH if head is None else head.entry_hash,
    )
    entry.entry_hash = chain_hash(entry_content(entry), entry.previous_hash)
    session.add(entry)
    session.flush()
    return entry


def _cut(value: str | None, length: int) -> str | None:
    return None if value is None else value[:length]


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # Held until commit or rollback; the next writer then reads the new head.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    else:
        # SQLite serialises writers, but a transaction that has only read does not yet
        # hold the write lock: a statement that writes (here, nothing) takes it before
        # the head is read, so two writers cannot read the same head.
        session.execute(text("DELETE FROM audit_entry WHERE 0 = 1"))


def entry_content(entry: Any) -> dict[str, Any]:
    """The hashed content of an entry (a model or a row with the same names)."""
    return content_from_values(tuple(getattr(entry, name) for name in CHAINED_FIELDS))


def content_from_values(values: Sequence[Any]) -> dict[str, Any]:
    """The hashed content from values in the order of CHAINED_FIELDS (values after those
    are left out)."""
    content = dict(zip(CHAINED_FIELDS, values, strict=False))
    content["recorded_at"] = canonical_time(content["recorded_at"])
    return content


def canonical_time(value: datetime | str) -> str:
    """An instant as ISO 8601 in UTC with microseconds.

    Text is SQLite's stored form of a UTC timestamp, which verify_chain reads as it is.
    """
    if isinstance(value, str):
        value = datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


# Canonical JSON: keys sorted, no spaces, text as UTF-8 rather than \u escapes.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(content: dict[str, Any], previous_hash: str) -> str:
    canonical = _CANONICAL.encode(content)
    return hashlib.sha256(canonical.encode() + previous_hash.encode()).hexdigest()


# The verifier's way to the same canonical JSON, without building a dict per entry: the
# keys in sorted order around each value, each value written as the encoder writes it
# (tests/test_security_audit.py checks both agree on any content).
_SORTED_PLACES = sorted(range(len(CHAINED_FIELDS)), key=lambda place: CHAINED_FIELDS[place])
_TEMPLATE = (
    "{"
    + ",".join(f"{_CANONICAL.encode(CHAINED_FIELDS[place])}:%s" for place in _SORTED_PLACES)
    + "}"
)
_WRITE_VALUE: dict[type, Callable[[Any], str]] = {
    str: json.encoder.encode_basestring,  # what the encoder uses when ensure_ascii is off
    int: int.__repr__,
    type(None): lambda _: "null",
}


def canonical_json(values: Sequence[Any], recorded_at: str) -> str:
    """The canonical JSON of an entry's values (in CHAINED_FIELDS order) whose time is
    already canonical text; equal to ``_CANONICAL.encode(content_from_values(values))``."""
    written = []
    for place in _SORTED_PLACES:
        value = recorded_at if place == 1 else values[place]
        writer = _WRITE_VALUE.get(type(value))
        written.append(writer(value) if writer else _CANONICAL.encode(value))
    return _TEMPLATE % tuple(written)


def _hash_of_row(row: Sequence[Any], previous_hash: str) -> str:
    canonical = canonical_json(row, _canonical_stored_time(row[1]))
    return hashlib.sha256(canonical.encode() + previous_hash.encode()).hexdigest()


def _canonical_stored_time(stored: str | datetime) -> str:
    # SQLite's text "2025-01-01 01:00:01.000001" is UTC: rewritten, not parsed (parsing
    # costs as much as hashing). PostgreSQL's is canonical already (see _entries_in_order).
    if isinstance(stored, str):
        if len(stored) == 32 and stored.endswith("+00:00") and stored[10] == "T":
            return stored
        if len(stored) == 26 and stored[10] == " " and stored[19] == ".":
            return f"{stored[:10]}T{stored[11:]}+00:00"
    return canonical_time(stored)


@dataclass(frozen=True)
class ChainBreak:
    """The first entry that is not as it was written, and what is wrong with it."""

    sequence: int
    problem: str  # "missing", "out of order" or "altered"
    detail: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    last_sequence: int
    head_hash: str
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def count_entries(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def verify_chain(
    session: Session,
    *,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 20_000,
) -> ChainReport:
    """Walk the whole log in order, holding one batch of rows at a time, and stop at the
    first break. ``progress`` hears how many entries each batch checked."""
    expected, previous, checked = 1, GENESIS_HASH, 0
    for rows in _entries_in_order(session, batch_size):
        for row in rows:
            found = _check_entry(row, expected, previous)
            if found is not None:
                return ChainReport(checked, expected - 1, previous, found)
            expected, previous, checked = expected + 1, row[-1], checked + 1
        if progress is not None:
            progress(len(rows))
    return ChainReport(checked, expected - 1, previous, None)


def _entries_in_order(session: Session, batch_size: int) -> Iterator[list[Any]]:
    columns: list[Any] = [getattr(AuditEntry, name) for name in CHAINED_FIELDS]
    # The time as text: SQLite's stored text, or PostgreSQL's written canonically by the
    # server. Converting it to a datetime in Python would cost as much as the hashing.
    columns[1] = type_coerce(AuditEntry.recorded_at, String)
    connection = session.connection()
    postgresql = connection.dialect.name == "postgresql"
    if postgresql:
        columns[1] = func.to_char(
            func.timezone("UTC", AuditEntry.recorded_at), _POSTGRES_CANONICAL_TIME
        )
    statement = select(*columns, AuditEntry.previous_hash, AuditEntry.entry_hash).order_by(
        AuditEntry.sequence
    )
    # The driver's own tuples: rows made by SQLAlchemy would double the cost of reading.
    # The statement holds no value from outside, so its one constant is written inline.
    sql = str(
        statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    )
    driver = connection.connection.dbapi_connection
    assert driver is not None
    # A named (server-side) cursor on PostgreSQL holds one batch in memory at a time;
    # SQLite's cursor reads lazily by itself.
    cursor = driver.cursor(name="audit_verify") if postgresql else driver.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(batch_size):
            yield list(rows)
    finally:
        cursor.close()


_POSTGRES_CANONICAL_TIME = 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'


def _check_entry(row: Any, expected: int, previous: str) -> ChainBreak | None:
    sequence, stored_previous, stored_hash = row[0], row[-2], row[-1]
    if sequence != expected:
        before = f"after entry {expected - 1}" if expected > 1 else "at the start"
        return ChainBreak(
            expected, "missing", f"entry {expected} is missing: {before} comes entry {sequence}"
        )
    if stored_previous != previous:
        return ChainBreak(
            sequence,
            "out of order",
            f"entry {sequence} was not chained after entry {sequence - 1}: entries were "
            f"reordered, or entry {sequence - 1} was altered and its hash recomputed",
        )
    if _hash_of_row(row, stored_previous) != stored_hash:
        return ChainBreak(
            sequence,
            "altered",
            f"entry {sequence} was altered: its content does not match its hash",
        )
    return None


@dataclass(frozen=True)
class AuditFilter:
    """Which entries an auditor asks for; every field left empty matches everything.

    ``since`` is inclusive and ``until`` exclusive, so consecutive ranges do not overlap.
    """

    user_id: int | None = None
    agency_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def describe(self) -> str:
        parts = [
            f"{name}={value.isoformat() if isinstance(value, datetime) else value}"
            for name, value in vars(self).items()
            if value is not None
        ]
        return ", ".join(parts) or "all entries"


def select_entries(wanted: AuditFilter) -> Select[AuditEntry]:
    statement = select(AuditEntry)
    if wanted.user_id is not None:
        statement = statement.where(AuditEntry.actor_user_id == wanted.user_id)
    if wanted.agency_id is not None:
        statement = statement.where(AuditEntry.agency_id == wanted.agency_id)
    if wanted.action is not None:
        statement = statement.where(AuditEntry.action == wanted.action)
    if wanted.since is not None:
        statement = statement.where(AuditEntry.recorded_at >= wanted.since)
    if wanted.until is not None:
        statement = statement.where(AuditEntry.recorded_at < wanted.until)
    return statement


def list_entries(
    session: Session, wanted: AuditFilter, *, limit: int = 100, before: int | None = None
) -> list[AuditEntry]:
    """The newest matching entries first; ``before`` (a sequence) pages further back."""
    statement = select_entries(wanted)
    if before is not None:
        statement = statement.where(AuditEntry.sequence < before)
    return list(session.scalars(statement.order_by(AuditEntry.sequence.desc()).limit(limit)))


EXPORT_COLUMNS = (
    "sequence",
    "recorded_at",
    "recorded_at_local",
    *CHAINED_FIELDS[2:],
    "previous_hash",
    "entry_hash",
)
# A spreadsheet runs a cell that starts with one of these as a formula; such text
# (a display name, a summary) is written with a leading apostrophe instead.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_csv(
    session: Session, out: TextIO, wanted: AuditFilter, *, by: Actor, timezone: str
) -> int:
    """Write the matching entries in order as CSV, record the export, answer the count.

    Times are UTC in ``recorded_at`` and in ``timezone`` in ``recorded_at_local``.
    """
    require_permission(by.principal, Permission.AUDIT_EXPORT)
    zone = ZoneInfo(timezone)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    statement = select_entries(wanted).order_by(AuditEntry.sequence)
    for entry in session.scalars(statement.execution_options(yield_per=5_000)):
        writer.writerow(_export_row(entry, zone))
        count += 1
    record(session, "audit.export", by=by, summary=f"{count} entries: {wanted.describe()}")
    return count


def _export_row(entry: AuditEntry, zone: ZoneInfo) -> list[object]:
    local = entry.recorded_at.astimezone(zone).isoformat(timespec="seconds")
    values = [entry.sequence, canonical_time(entry.recorded_at), local]
    values += [getattr(entry, name) for name in CHAINED_FIELDS[2:]]
    values += [entry.previous_hash, entry.entry_hash]
    return [_safe_cell(value) for value in values]


def _safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value
