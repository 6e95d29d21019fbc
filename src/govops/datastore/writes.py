"""Storing a batch of observations: whole or not at all, every value traceable.

A batch becomes one submission. Its raw payload is kept as received; each row that
differs from what is already known becomes a new vintage stamped with the submission's
time; rows equal to the latest known value and status are counted, not stored again.
The change is announced through the outbox in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Select, bindparam, func, insert, select
from sqlalchemy.orm import Session

from govops.core.db import now_utc
from govops.core.errors import PayloadTooLarge, RejectedBatch, RowErrors
from govops.datastore.models import Observation, OutboxEvent, RawPayload, Submission
from govops.datastore.rows import IncomingRow
from govops.datastore.scope import WriteScope
from govops.datastore.series import (
    SeriesResolver,
    lock_indicators,
    new_data_version,
    refresh_latest_periods,
)
from govops.datastore.validation import RowValidator, ValidRow
from govops.security.permissions import Principal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Receipt:
    submission_id: int
    received_at: datetime
    rows: int
    stored: int
    unchanged: int
    series_created: int

    def as_dict(self) -> dict[str, object]:
        return {
            "submission": self.submission_id,
            "received_at": self.received_at.isoformat(),
            "rows": self.rows,
            "stored": self.stored,
            "unchanged": self.unchanged,
            "series_created": self.series_created,
        }


@dataclass(frozen=True)
class Payload:
    content: bytes
    media_type: str
    source: str

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.content).hexdigest()


def store_observations(
    session: Session,
    rows: Sequence[IncomingRow],
    payload: Payload,
    *,
    agency_id: int | None = None,
    max_rows: int = 200_000,
    writer: Principal | None = None,
) -> Receipt:
    """Validate every row, then store the batch; raise RejectedBatch and store nothing.

    With a ``writer``, rows outside what it may write are row errors too (see
    :mod:`govops.datastore.scope`).
    """
    if len(rows) > max_rows:
        raise PayloadTooLarge(
            f"the batch has {len(rows)} rows; the limit is {max_rows} per "
            "request (use `govops data load` for bulk files)"
        )
    valid = validate_batch(session, rows, writer=writer)
    return _store(session, valid, payload, agency_id=agency_id, row_count=len(rows))


def store_validated(
    session: Session,
    valid: Sequence[ValidRow],
    payload: Payload,
    *,
    agency_id: int | None = None,
    payload_kept: bool = False,
    defer_data_version: bool = False,
) -> Receipt:
    """Store rows already accepted by a :class:`RowValidator` in this transaction.

    For writers that check rows themselves and add their own rules (the exchange hub
    checks each delivery against its flow): the rows are not checked a second time. They
    must be the validator's answers, at most one per indicator, area, dimensions and
    period. With ``payload_kept``, the payload is already in ``raw_payload``. Anything
    else writes through :func:`store_observations`, which checks every row.

    With ``defer_data_version`` the rows' indicators are neither locked nor given a new
    data version: the caller calls :func:`~govops.datastore.series.new_data_version` for
    them just before it commits, so writes to the same indicators queue only for the end
    of the transaction.
    """
    return _store(
        session,
        valid,
        payload,
        agency_id=agency_id,
        row_count=len(valid),
        kept=payload_kept,
        defer_data_version=defer_data_version,
    )


def _store(
    session: Session,
    valid: Sequence[ValidRow],
    payload: Payload,
    *,
    agency_id: int | None,
    row_count: int,
    kept: bool = False,
    defer_data_version: bool = False,
) -> Receipt:
    received_at = now_utc()
    submission = _record_submission(session, payload, received_at, agency_id, row_count, kept)
    keys = [(r.indicator_id, r.area_id, r.dims_key) for r in valid]
    resolver = SeriesResolver(session)
    resolver.look_up(keys)
    # New series are made together, a thousand to a statement, not one flush each.
    resolver.create_many(key for key in keys if resolver.known(*key) is None)
    keyed = [(resolver.id_for(*key), row) for key, row in zip(keys, valid, strict=True)]
    changed = _drop_unchanged(session, keyed)
    indicators = {row.indicator_id for _, row in changed}
    if not defer_data_version:
        # Only now, just before writing: writes to the same indicators queue for this
        # lock, and everything above is reading.
        lock_indicators(session, indicators)
    _insert(session, changed, submission.id, received_at)
    refresh_latest_periods(session, {series_id for series_id, _ in changed}, new_version=False)
    if not defer_data_version:
        new_data_version(session, indicators, locked=True)

    submission.stored_count = len(changed)
    receipt = Receipt(
        submission.id,
        received_at,
        row_count,
        len(changed),
        row_count - len(changed),
        resolver.created,
    )
    submission.receipt = json.dumps(receipt.as_dict())
    announce(session, "observations.stored", f"submission/{submission.id}", receipt.as_dict())
    log.info(
        "stored submission %s: %s rows, %s new vintages",
        submission.id,
        row_count,
        len(changed),
        extra={"submission": submission.id},
    )
    return receipt


def validate_batch(
    session: Session, rows: Sequence[IncomingRow], *, writer: Principal | None = None
) -> list[ValidRow]:
    validator = RowValidator(session)
    scope = WriteScope(session, writer) if writer is not None else None
    errors = RowErrors()
    valid: list[ValidRow] = []
    seen: dict[tuple[int, int, str, object], int] = {}
    for row in rows:
        checked = validator.check(row, errors)
        if checked is None or (scope is not None and not scope.allows(row, checked, errors)):
            continue
        key = (checked.indicator_id, checked.area_id, checked.dims_key, checked.period_start)
        if key in seen:
            errors.add(
                row.number,
                "period",
                f"duplicates row {seen[key]}: the same indicator, "
                "area, dimensions and period appear twice in one batch",
                row.period,
            )
            continue
        seen[key] = row.number
        valid.append(checked)
    if errors:
        raise RejectedBatch(errors)
    return valid


def _record_submission(
    session: Session,
    payload: Payload,
    received_at: datetime,
    agency_id: int | None,
    row_count: int,
    kept: bool = False,
) -> Submission:
    digest = payload.digest
    if not kept and session.get(RawPayload, digest) is None:
        session.add(
            RawPayload(
                digest=digest,
                media_type=payload.media_type,
                size=len(payload.content),
                content=payload.content,
                received_at=received_at,
            )
        )
    submission = Submission(
        kind="api",
        source=payload.source,
        agency_id=agency_id,
        received_at=received_at,
        media_type=payload.media_type,
        payload_digest=digest,
        payload_size=len(payload.content),
        row_count=row_count,
        status="accepted",
    )
    session.add(submission)
    session.flush()
    return submission


def _drop_unchanged(
    session: Session, keyed: list[tuple[int, ValidRow]]
) -> list[tuple[int, ValidRow]]:
    if not keyed:
        return []
    starts = [row.period_start for _series_id, row in keyed]
    series_ids = sorted({series_id for series_id, _ in keyed})
    latest: dict[tuple[int, date], tuple[Decimal | None, str]] = {}
    # In pieces: a statement takes at most 65,535 parameters on PostgreSQL.
    for offset in range(0, len(series_ids), LATEST_KNOWN_SERIES_PER_QUERY):
        chunk = series_ids[offset : offset + LATEST_KNOWN_SERIES_PER_QUERY]
        latest.update(_latest_known(session, chunk, min(starts), max(starts)))
    return [
        (series_id, row)
        for series_id, row in keyed
        if latest.get((series_id, row.period_start)) != (_normal(row.value), row.status)
    ]


LATEST_KNOWN_SERIES_PER_QUERY = 5_000


def _latest_known(
    session: Session, series_ids: list[int], first: date, last: date
) -> dict[tuple[int, date], tuple[Decimal | None, str]]:
    """The newest value and status of each period from ``first`` to ``last`` of the series."""
    rows = session.execute(_LATEST_KNOWN, {"series_ids": series_ids, "first": first, "last": last})
    return {(r.series_id, r.period_start): (_normal(r.value), r.status) for r in rows}


def _latest_known_statement() -> Select[int, date, Decimal | None, str]:
    newest = (
        select(
            Observation.series_id,
            Observation.period_start,
            func.max(Observation.recorded_at).label("recorded_at"),
        )
        .where(
            Observation.series_id.in_(bindparam("series_ids", expanding=True)),
            Observation.period_start.between(bindparam("first"), bindparam("last")),
        )
        .group_by(Observation.series_id, Observation.period_start)
        .subquery()
    )
    return select(
        Observation.series_id, Observation.period_start, Observation.value, Observation.status
    ).join(
        newest,
        (Observation.series_id == newest.c.series_id)
        & (Observation.period_start == newest.c.period_start)
        & (Observation.recorded_at == newest.c.recorded_at),
    )


# Built once: every small write asks it, and building a statement of this shape (and its
# cache key) costs several times more than running it.
_LATEST_KNOWN = _latest_known_statement()


def _normal(value: Decimal | None) -> Decimal | None:
    # 1.50 and 1.5 are the same measurement; compare them as equal.
    return None if value is None else value.normalize()


def _insert(
    session: Session, keyed: list[tuple[int, ValidRow]], submission_id: int, received_at: datetime
) -> None:
    if not keyed:
        return
    session.execute(
        insert(Observation),
        [
            {
                "series_id": series_id,
                "period_start": row.period_start,
                "recorded_at": received_at,
                "value": row.value,
                "status": row.status,
                "submission_id": submission_id,
            }
            for series_id, row in keyed
        ],
    )


def announce(session: Session, event_type: str, subject: str, data: dict[str, object]) -> None:
    """Add an event to the outbox; it commits or rolls back with the caller's write."""
    session.add(
        OutboxEvent(type=event_type, subject=subject, data=json.dumps(data), created_at=now_utc())
    )
