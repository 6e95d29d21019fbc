"""Tables of the datastore: submissions, series, observations (with vintages), events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govops.core.db import Base, ExactDecimal, UTCDateTime


class Submission(Base):
    """One delivery of observations: an API write, a file load, or the demo."""

    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(500))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    media_type: Mapped[str | None] = mapped_column(String(100))
    payload_digest: Mapped[str | None] = mapped_column(String(80))
    payload_size: Mapped[int | None] = mapped_column(BigInteger)
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    stored_count: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(20))
    receipt: Mapped[str | None] = mapped_column(Text)


class RawPayload(Base):
    """A payload kept exactly as received, addressed by its SHA-256 digest."""

    __tablename__ = "raw_payload"

    digest: Mapped[str] = mapped_column(String(80), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Series(Base):
    """An indicator for one area and one key of other dimension values.

    ``dims_key`` is the canonical text of the other dimensions (``SEX=F``, or empty when
    the indicator has none), so a series is found by one indexed lookup.
    """

    __tablename__ = "series"
    __table_args__ = (Index("uq_series_key", "indicator_id", "area_id", "dims_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    dims_key: Mapped[str] = mapped_column(String(300), default="")
    # The start of the newest period with a value, kept by every write so coverage and
    # freshness never scan the observations.
    latest_period_start: Mapped[date | None] = mapped_column(Date)


class Observation(Base):
    """A value of a series for a period, as recorded at one instant (one vintage).

    Rows are only ever added: a revision is a new row with a later ``recorded_at``. The
    primary key orders rows so that "latest" and "as of" are index range scans.
    """

    __tablename__ = "observation"
    # Submissions are numbered in the order they arrive and their rows are appended
    # together, so a block-range index finds a submission's rows at a fraction of the
    # cost of a b-tree on every insert (SQLite, which has no BRIN, keeps a b-tree).
    __table_args__ = (
        Index("ix_observation_submission_id", "submission_id", postgresql_using="brin"),
    )

    # No foreign keys here, on purpose: checking two references per row cost a bulk load
    # three quarters of its speed. Rows are only ever appended, by the datastore's
    # writers, which resolve the series and open the submission in the same transaction;
    # series and submissions are never deleted. `govops db check` proves it on a store.
    series_id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    value: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    # SDMX OBS_STATUS codes: A normal, P provisional, E estimated, F forecast, M missing.
    status: Mapped[str] = mapped_column(String(1), default="A")
    submission_id: Mapped[int] = mapped_column(Integer)


class OutboxEvent(Base):
    """A change announced in the same transaction as the write it describes."""

    __tablename__ = "event_outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(String(200))
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


__all__ = ["Observation", "OutboxEvent", "RawPayload", "Series", "Submission"]
