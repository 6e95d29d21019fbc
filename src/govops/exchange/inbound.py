"""Deliveries into a flow: kept first, checked next, stored whole or as the flow allows.

1. :func:`receive` keeps the raw payload (content-addressed) and a ``pending`` delivery
   in one transaction, after checking who sends it and its idempotency key.
2. :func:`process` checks every row against the catalogue and the flow's rules and, in
   one transaction, stores the accepted rows, the receipt and the event announcing them.
   A crash in between leaves the delivery pending; :func:`recover_pending` finishes it.

Strict flows store all rows or none; lenient flows store the valid rows and refuse the
rest. Either way the receipt lists every refused row with its field and reason.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from govops.catalog.models import Indicator
from govops.core.db import now_utc, transaction
from govops.core.errors import Conflict, GovopsError, InvalidRequest, RejectedBatch, RowErrors
from govops.datastore.bulk import load_csv_file
from govops.datastore.models import RawPayload
from govops.datastore.rows import IncomingRow
from govops.datastore.series import new_data_version
from govops.datastore.validation import RowValidator, ValidRow
from govops.datastore.writes import Payload, Receipt, store_validated
from govops.exchange.events import announce_in_order
from govops.exchange.formats import MEDIA_TYPES, check_body_matches, read_rows
from govops.exchange.models import ExchangeFlow, Inbound, PayloadPiece
from govops.exchange.registry import flow_indicators, flow_rules, get_flow
from govops.exchange.rules import Checked, check_ranges, check_sums, jump_warnings
from govops.security.errors import PermissionDenied
from govops.security.permissions import Principal

log = logging.getLogger(__name__)

# CSV bodies larger than this are loaded by the bulk path in constant memory: all rows
# or none, whatever the flow's mode, and without the sum and jump rules (which need the
# whole delivery in memory).
BULK_BYTES = 8 * 1024 * 1024
# Smaller CSV bodies with more rows than this take the bulk path too: the row-by-row path
# holds every row, checked, in memory and names every series in its queries. JSON and
# XLSX bodies, read only that way, may hold at most this many rows.
BULK_ROWS = 20_000
# Large payloads are kept and read back in pieces of this size.
PIECE_BYTES = 1024 * 1024
# The first bytes of a body, enough to tell whether it is what its content type says.
HEAD_BYTES = 512
# An event carries the stored observations up to this many; beyond it, the consumer
# reads them from the submission named in the event.
EVENT_OBSERVATIONS = 500
DELIVERY_EVENT = "exchange.delivery.stored"
PROCESS_ATTEMPTS = 3
# Called after a delivery is stored, to wake whoever sends events onward.
_listeners: list[Callable[[], None]] = []
_listeners_lock = threading.Lock()


def on_stored(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener`` after each stored delivery; answers a function that removes it."""
    with _listeners_lock:
        _listeners.append(listener)

    def remove() -> None:
        with _listeners_lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return remove


def _stored() -> None:
    with _listeners_lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener()


class IdempotencyKeyReused(GovopsError):
    status = 422
    code = "idempotency-key-reused"
    title = "Idempotency key reused with a different body"


@dataclass(frozen=True)
class Received:
    inbound_id: int
    # False when the idempotency key named an earlier delivery of the same body.
    new: bool


class Body:
    """A delivery's body as it arrives: in memory up to the bulk size, then in a temporary
    file, with its size, first bytes and SHA-256 counted on the way in."""

    def __init__(self) -> None:
        self.file = tempfile.SpooledTemporaryFile(max_size=BULK_BYTES)  # noqa: SIM115
        self.size = 0
        self.head = b""
        self._hash = hashlib.sha256()

    @classmethod
    def of(cls, content: bytes) -> Body:
        body = cls()
        body.write(content)
        return body

    def write(self, chunk: bytes) -> None:
        self.file.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[: HEAD_BYTES - len(self.head)]

    @property
    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()

    def content(self) -> bytes:
        self.file.seek(0)
        return self.file.read()

    def pieces(self) -> Iterator[bytes]:
        self.file.seek(0)
        while piece := self.file.read(PIECE_BYTES):
            yield piece

    def close(self) -> None:
        self.file.close()


def kept_in_pieces(fmt: str, size: int) -> bool:
    """Whether a payload is kept in pieces: CSV above the bulk size, loaded in constant
    memory. Other formats are read whole to be checked, so they are kept whole."""
    return fmt == "csv" and size > BULK_BYTES


def receive(
    sessions: sessionmaker[Session],
    flow_code: str,
    body: bytes | Body,
    fmt: str,
    *,
    sender: Principal | None,
    idempotency_key: str | None = None,
    transport: str = "push",
) -> Received:
    """Keep the payload and a pending delivery; refuse a sender that is not the provider."""
    if isinstance(body, bytes):
        spooled = Body.of(body)
        try:
            return receive(
                sessions,
                flow_code,
                spooled,
                fmt,
                sender=sender,
                idempotency_key=idempotency_key,
                transport=transport,
            )
        finally:
            spooled.close()
    check_body_matches(fmt, body.head)
    with transaction(sessions) as session:
        flow = get_flow(session, flow_code)
        if sender is not None:
            _check_sender(flow, sender)
        if idempotency_key is not None:
            earlier = _earlier(session, flow.id, idempotency_key)
            if earlier is not None:
                return _same_or_refuse(earlier, body.digest, idempotency_key)
        received_at = now_utc()
        _keep_payload(session, body, fmt, received_at)
        inbound = _keep(session, flow, body, fmt, received_at, sender, idempotency_key, transport)
    return Received(inbound, True)


def _check_sender(flow: ExchangeFlow, sender: Principal) -> None:
    if sender.agency_id != flow.provider_agency_id:
        raise PermissionDenied(
            f"flow {flow.code} is delivered by its provider's systems only; this key "
            "belongs to another agency",
            field="flow",
        )


def _earlier(session: Session, flow_id: int, key: str) -> Inbound | None:
    return session.scalar(
        select(Inbound).where(Inbound.flow_id == flow_id, Inbound.idempotency_key == key)
    )


def _same_or_refuse(earlier: Inbound, digest: str, key: str) -> Received:
    if earlier.payload_digest != digest:
        raise IdempotencyKeyReused(
            f"Idempotency-Key '{key}' was used for delivery {earlier.id} with a different "
            "body; use a new key for a new delivery",
            field="Idempotency-Key",
            delivery=earlier.id,
        )
    return Received(earlier.id, False)


def _keep_payload(session: Session, body: Body, fmt: str, received_at: datetime) -> None:
    """Keep the bytes as received, once per digest (content-addressed)."""
    if kept_in_pieces(fmt, body.size):
        already = session.scalar(
            select(PayloadPiece.seq).where(PayloadPiece.digest == body.digest).limit(1)
        )
        if already is None:
            # Written piece by piece without the ORM, so no piece stays in memory.
            for seq, piece in enumerate(body.pieces()):
                session.execute(
                    insert(PayloadPiece), {"digest": body.digest, "seq": seq, "content": piece}
                )
        return
    # One statement, whether or not the same bytes came before; the kept copy is not
    # read back (it holds the whole body).
    dialect = session.get_bind().dialect.name
    insert_once = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(RawPayload)
    session.execute(
        insert_once.values(
            digest=body.digest,
            media_type=MEDIA_TYPES[fmt],
            size=body.size,
            content=body.content(),
            received_at=received_at,
        ).on_conflict_do_nothing(index_elements=[RawPayload.digest])
    )


def _keep(
    session: Session,
    flow: ExchangeFlow,
    body: Body,
    fmt: str,
    received_at: datetime,
    sender: Principal | None,
    idempotency_key: str | None,
    transport: str,
) -> int:
    inbound = Inbound(
        flow_id=flow.id,
        agency_id=flow.provider_agency_id,
        key_id=sender.key_id if sender else None,
        idempotency_key=idempotency_key,
        transport=transport,
        payload_digest=body.digest,
        media_type=MEDIA_TYPES[fmt],
        payload_size=body.size,
        received_at=received_at,
        status="pending",
    )
    session.add(inbound)
    try:
        session.flush()
    except IntegrityError as error:
        # Two requests with the same key at once: the other one was kept first.
        raise Conflict(
            f"a delivery with Idempotency-Key '{idempotency_key}' is being received; "
            "retry to get its receipt",
            field="Idempotency-Key",
        ) from error
    return inbound.id


def process(
    sessions: sessionmaker[Session], inbound_id: int, content: bytes | None = None
) -> Inbound:
    """Check and store a pending delivery; a delivery already processed is answered as is.

    ``content``, the body just kept by :func:`receive`, saves reading it back; without
    it (recovery, replay) the kept payload is read.

    Concurrent deliveries touching the same indicators may deadlock in the database; the
    one chosen as victim is rolled back whole and processed again.
    """
    for attempt in range(PROCESS_ATTEMPTS):
        try:
            with _processing_slots:
                return _process_once(sessions, inbound_id, content)
        except OperationalError as error:
            if attempt + 1 == PROCESS_ATTEMPTS or not _is_transient(error):
                raise
            log.warning("delivery %s met %s; processing it again", inbound_id, error.orig)
            time.sleep(random.uniform(0.05, 0.2) * (attempt + 1))
    raise AssertionError("unreachable")


# Deliveries processed at once in one process; the others wait their turn here, before
# their transaction begins. One process runs Python on one core at a time: forty
# deliveries processed together share it forty ways, and the one holding the lock on its
# indicators waits for its turn while every delivery sharing them waits for it.
# With two, on the 2-core machine, 40 flows pushing at once reach their subscribers in
# p95 440-490 ms; with forty (no limit), 630-820 ms.
PROCESSING_AT_ONCE = 2
_processing_slots = threading.BoundedSemaphore(PROCESSING_AT_ONCE)


def _is_transient(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    return "deadlock" in text or "database is locked" in text or "could not serialize" in text


# Statements every delivery runs, built once: building one costs more than running it.
_CLAIM = (
    update(Inbound)
    .where(Inbound.id == bindparam("inbound_id"), Inbound.status == "pending")
    .values(attempts=Inbound.attempts + 1)
    .returning(Inbound)
)
_LOCK_INDICATORS = (
    select(Indicator.id)
    .where(Indicator.code.in_(bindparam("codes", expanding=True)))
    .order_by(Indicator.id)
    .with_for_update(key_share=True)  # FOR NO KEY UPDATE, as the write takes
)


def _process_once(
    sessions: sessionmaker[Session], inbound_id: int, content: bytes | None
) -> Inbound:
    with transaction(sessions) as session:
        claimed = session.scalar(_CLAIM, {"inbound_id": inbound_id})
        if claimed is not None:
            _process_claimed(session, claimed, content)
        inbound = claimed or session.get(Inbound, inbound_id)
        assert inbound is not None, f"delivery {inbound_id} does not exist"
    if inbound.status in ("accepted", "partial"):
        _stored()
    return inbound


def _process_claimed(session: Session, inbound: Inbound, content: bytes | None) -> None:
    flow = session.get(ExchangeFlow, inbound.flow_id)
    assert flow is not None
    fmt = {media: name for name, media in MEDIA_TYPES.items()}[inbound.media_type]
    outcome: Outcome
    if fmt == "csv" and inbound.payload_size > BULK_BYTES:
        outcome = _store_bulk_or_refuse(session, flow, inbound)
    else:
        if content is None:
            content = _content(session, inbound.payload_digest)
        if fmt == "csv" and content.count(b"\n") > BULK_ROWS + 1:
            outcome = _store_bulk_or_refuse(session, flow, inbound)
        else:
            outcome = _store_rows(session, flow, inbound, content, fmt)
    _finish(session, flow, inbound, outcome)


def _refused_whole(error: GovopsError) -> Outcome:
    if isinstance(error, RejectedBatch):
        return Outcome(rows=0, refused=error.row_errors)
    refused = RowErrors()
    refused.add(int(error.extensions.get("row", 0) or 0), "body", error.detail)
    return Outcome(rows=0, refused=refused)


def _store_bulk_or_refuse(session: Session, flow: ExchangeFlow, inbound: Inbound) -> Outcome:
    # The loader may refuse a row after storing earlier ones: the savepoint undoes them.
    savepoint = session.begin_nested()
    try:
        outcome = _store_bulk(session, flow, inbound)
    except GovopsError as error:
        savepoint.rollback()
        return _refused_whole(error)
    savepoint.commit()
    return outcome


def _lock_indicators(session: Session, flow: ExchangeFlow) -> None:
    """On PostgreSQL, lock the flow's indicators in id order before a bulk load.

    The loader marks the indicators it changed at its end. Two deliveries sharing
    indicators could otherwise take those locks late and in the order each met them, and
    deadlock; taken first and in order, the second delivery simply waits for the first.
    (A small delivery takes them in order at its very end instead, see _finish.)
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(_LOCK_INDICATORS, {"codes": flow_indicators(flow)})


@dataclass
class Outcome:
    rows: int
    refused: RowErrors
    warnings: RowErrors | None = None
    submission_id: int | None = None
    accepted: int = 0
    stored: int = 0
    unchanged: int = 0
    observations: list[dict[str, Any]] | None = None
    # Indicators stored to whose new data version is left to the end of the transaction.
    indicator_ids: set[int] = field(default_factory=set)


def _store_rows(
    session: Session, flow: ExchangeFlow, inbound: Inbound, content: bytes, fmt: str
) -> Outcome:
    refused, warnings = RowErrors(), RowErrors()
    try:
        rows = read_rows(fmt, content)
        if len(rows) > BULK_ROWS:
            raise InvalidRequest(
                f"the {fmt.upper()} body has {len(rows)} rows; at most {BULK_ROWS} are read "
                "from JSON or XLSX, send larger deliveries as CSV"
            )
        checked = _check_rows(session, flow, rows, refused, warnings)
    except GovopsError as error:
        # Nothing is written until every row is checked, so there is nothing to undo.
        return _refused_whole(error)
    outcome = Outcome(rows=len(rows), refused=refused, warnings=warnings)
    if (refused and flow.validation_mode == "strict") or not checked:
        return outcome
    # The same bytes as the delivery's, so the datastore's submission names its payload.
    payload = Payload(content, inbound.media_type, source=f"flow {flow.code}")
    # The rows were checked; storing them refuses none (no savepoint needed).
    valid = [c.valid for c in checked]
    receipt = _store_checked(session, valid, payload, inbound)
    outcome.indicator_ids = {row.indicator_id for row in valid}
    outcome.submission_id = receipt.submission_id
    outcome.accepted, outcome.stored = len(checked), receipt.stored
    outcome.unchanged = receipt.unchanged
    outcome.observations = [_observation(c.row) for c in checked[:EVENT_OBSERVATIONS]]
    return outcome


def _store_checked(
    session: Session, rows: list[ValidRow], payload: Payload, inbound: Inbound
) -> Receipt:
    # Checked once, by _check_rows, with the validator of the datastore's own writes.
    # Deliveries sharing indicators (every provincial report carries the same ones) queue
    # only for the last statements of their transactions: see _finish.
    return store_validated(
        session,
        rows,
        payload,
        agency_id=inbound.agency_id,
        payload_kept=True,
        defer_data_version=True,
    )


def _check_rows(
    session: Session,
    flow: ExchangeFlow,
    rows: Sequence[IncomingRow],
    refused: RowErrors,
    warnings: RowErrors,
) -> list[Checked]:
    carried = set(flow_indicators(flow))
    validator = RowValidator(session)
    validator.preload(carried & {row.indicator for row in rows}, {row.area for row in rows})
    checked: list[Checked] = []
    seen: dict[tuple[int, int, str, object], int] = {}
    for row in rows:
        if row.indicator not in carried:
            refused.add(
                row.number,
                "indicator",
                f"is not carried by flow {flow.code} ({', '.join(sorted(carried))})",
                row.indicator,
            )
            continue
        valid = validator.check(row, refused)
        if valid is None:
            continue
        key = (valid.indicator_id, valid.area_id, valid.dims_key, valid.period_start)
        if key in seen:
            refused.add(
                row.number, "period", f"duplicates row {seen[key]} of this delivery", row.period
            )
            continue
        seen[key] = row.number
        checked.append(Checked(row, valid))
    rules = flow_rules(flow)
    checked = check_ranges(rules, checked, refused)
    checked = check_sums(session, rules, checked, refused)
    jump_warnings(session, rules, checked, warnings)
    return checked


def _content(session: Session, digest: str) -> bytes:
    payload = session.get(RawPayload, digest)
    assert payload is not None, f"payload {digest} was not kept"
    return payload.content


def _store_bulk(session: Session, flow: ExchangeFlow, inbound: Inbound) -> Outcome:
    _lock_indicators(session, flow)
    with tempfile.TemporaryDirectory(prefix="govops-exchange-") as folder:
        path = Path(folder) / f"{flow.code}-{inbound.id}.csv"
        _write_payload(session, inbound, path)
        _check_bulk_indicators(flow, path)
        report = load_csv_file(session, path, kind="exchange")
    return Outcome(
        rows=report.rows,
        refused=RowErrors(),
        submission_id=report.submission_id,
        accepted=report.rows,
        stored=report.rows,
    )


def _write_payload(session: Session, inbound: Inbound, path: Path) -> None:
    """The payload into a file, piece by piece (or whole, if it was kept whole)."""
    digest = inbound.payload_digest
    seqs = list(
        session.scalars(
            select(PayloadPiece.seq)
            .where(PayloadPiece.digest == digest)
            .order_by(PayloadPiece.seq)
        )
    )
    if not seqs:
        path.write_bytes(_content(session, digest))
        return
    with path.open("wb") as handle:
        for seq in seqs:
            handle.write(
                session.execute(
                    select(PayloadPiece.content).where(
                        PayloadPiece.digest == digest, PayloadPiece.seq == seq
                    )
                ).scalar_one()
            )
    if path.stat().st_size != inbound.payload_size:
        raise GovopsError(
            f"the kept payload has {path.stat().st_size} bytes, not {inbound.payload_size}"
        )


def _check_bulk_indicators(flow: ExchangeFlow, path: Path) -> None:
    """Refuse a bulk file holding indicators the flow does not carry, before loading."""
    carried = set(flow_indicators(flow))
    errors = RowErrors()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = handle.readline().strip().split(",")
        if "indicator" not in header:
            return  # the loader names the missing column
        at = header.index("indicator")
        for number, line in enumerate(handle, start=1):
            cells = line.split(",")
            code = cells[at].strip() if at < len(cells) else ""
            if code and code not in carried:
                errors.add(number, "indicator", f"is not carried by flow {flow.code}", code)
    if errors:
        raise RejectedBatch(errors)


def _observation(row: IncomingRow) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "indicator": row.indicator,
        "area": row.area,
        "period": row.period,
        "value": row.value,
        "status": row.status or "A",
    }
    if row.dims:
        shown["dims"] = row.dims
    return shown


def _finish(session: Session, flow: ExchangeFlow, inbound: Inbound, outcome: Outcome) -> None:
    accepted = outcome.submission_id is not None
    inbound.status = "rejected" if not accepted else "partial" if outcome.refused else "accepted"
    inbound.processed_at = now_utc()
    inbound.submission_id = outcome.submission_id
    inbound.row_count = outcome.rows
    inbound.accepted_count = outcome.accepted
    # Every row a strict flow refuses counts, not only those with errors.
    inbound.refused_count = max(outcome.rows - outcome.accepted, 0)
    inbound.warning_count = outcome.warnings.total if outcome.warnings else 0
    receipt = _receipt(flow, inbound, outcome)
    inbound.receipt = json.dumps(receipt, ensure_ascii=False)
    if accepted:
        data = {
            "flow": flow.code,
            "delivery": inbound.id,
            "submission": outcome.submission_id,
            "rows": outcome.accepted,
            "stored": outcome.stored,
            "observations": outcome.observations,
            "truncated": outcome.observations is None
            or outcome.accepted > len(outcome.observations),
        }
        # Last but the event: the lock on the indicators' rows it takes is held until the
        # commit, so deliveries sharing indicators wait for each other as briefly as can be.
        new_data_version(session, outcome.indicator_ids)
        announce_in_order(session, DELIVERY_EVENT, f"flow/{flow.code}", data)
    log.info(
        "delivery %s to flow %s: %s, %s rows, %s refused",
        inbound.id,
        flow.code,
        inbound.status,
        outcome.rows,
        inbound.refused_count,
        extra={"delivery": inbound.id, "flow": flow.code},
    )


def _receipt(flow: ExchangeFlow, inbound: Inbound, outcome: Outcome) -> dict[str, Any]:
    return {
        "delivery": inbound.id,
        "flow": flow.code,
        "status": inbound.status,
        "validation_mode": flow.validation_mode,
        "received_at": inbound.received_at.isoformat(),
        "processed_at": inbound.processed_at.isoformat() if inbound.processed_at else None,
        "payload_digest": inbound.payload_digest,
        "submission": outcome.submission_id,
        "rows": outcome.rows,
        "accepted": outcome.accepted,
        "stored": outcome.stored,
        "unchanged": outcome.unchanged,
        "refused": inbound.refused_count,
        "error_count": outcome.refused.total,
        "refused_rows": [error.as_dict() for error in outcome.refused.errors],
        "warnings": [w.as_dict() for w in outcome.warnings.errors] if outcome.warnings else [],
    }


def receipt_of(inbound: Inbound) -> dict[str, Any]:
    if inbound.receipt is None:
        return {
            "delivery": inbound.id,
            "status": inbound.status,
            "received_at": inbound.received_at.isoformat(),
            "payload_digest": inbound.payload_digest,
        }
    receipt: dict[str, Any] = json.loads(inbound.receipt)
    return receipt


def get_delivery(session: Session, inbound_id: int) -> Inbound:
    inbound = session.get(Inbound, inbound_id)
    if inbound is None:
        from govops.core.errors import NotFound

        raise NotFound(f"no delivery {inbound_id}", field="delivery")
    return inbound


def recover_pending(
    sessions: sessionmaker[Session], *, older_than: timedelta, now: datetime | None = None
) -> int:
    """Process deliveries left pending (by a crash, or a processing still under way on
    another server when ``older_than`` is short); answers how many were finished."""
    before = (now or now_utc()) - older_than
    with sessions() as session:
        waiting = list(
            session.scalars(
                select(Inbound.id)
                .where(Inbound.status == "pending", Inbound.received_at <= before)
                .order_by(Inbound.id)
            )
        )
    finished = 0
    for inbound_id in waiting:
        if process(sessions, inbound_id).status != "pending":
            finished += 1
    return finished


def replay(
    sessions: sessionmaker[Session],
    *,
    flow_code: str | None = None,
    delivery_ids: Sequence[int] = (),
    only_refused: bool = True,
) -> list[Inbound]:
    """Process stored payloads again, as new deliveries of the same bytes.

    For after a fix in the catalogue or a flow's rules: by default the deliveries that
    were refused in whole or in part. The earlier deliveries and their receipts stay.
    """
    with transaction(sessions) as session:
        query = select(Inbound).order_by(Inbound.id)
        if flow_code is not None:
            query = query.where(Inbound.flow_id == get_flow(session, flow_code).id)
        if delivery_ids:
            query = query.where(Inbound.id.in_(delivery_ids))
        elif only_refused:
            query = query.where(Inbound.status.in_(("rejected", "partial")))
        originals = list(session.scalars(query))
        copies = []
        for original in originals:
            copy = Inbound(
                flow_id=original.flow_id,
                agency_id=original.agency_id,
                key_id=original.key_id,
                transport="replay",
                payload_digest=original.payload_digest,
                media_type=original.media_type,
                payload_size=original.payload_size,
                received_at=now_utc(),
                status="pending",
            )
            session.add(copy)
            copies.append(copy)
        session.flush()
        ids = [copy.id for copy in copies]
    return [process(sessions, inbound_id) for inbound_id in ids]


def recent_deliveries(session: Session, flow_id: int, limit: int = 20) -> list[Inbound]:
    """A flow's latest deliveries, newest first."""
    return list(
        session.scalars(
            select(Inbound)
            .where(Inbound.flow_id == flow_id)
            .order_by(Inbound.id.desc())
            .limit(limit)
        )
    )
