"""Tables of targets: plan targets and the thresholds that turn probabilities into status."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govops.core.db import Base, ExactDecimal, UTCDateTime


class Target(Base):
    """A desired value of an indicator for an area and a period (mục tiêu kế hoạch).

    Its status is never stored: it follows from the figures each time it is read. A target
    replaced by a later decision of its issuer keeps its row and points to its successor.
    """

    __tablename__ = "target"
    __table_args__ = (
        Index(
            "uq_target_key",
            "indicator_id",
            "area_id",
            "frequency",
            "period_start",
            "basis",
            "source",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    frequency: Mapped[str] = mapped_column(String(4))
    period_start: Mapped[date] = mapped_column(Date)
    comparator: Mapped[str] = mapped_column(String(12))
    low: Mapped[Decimal] = mapped_column(ExactDecimal)
    high: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    tolerance: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    basis: Mapped[str] = mapped_column(String(12), default="level")
    source: Mapped[str] = mapped_column(String(300))
    source_kind: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("target.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))


class TargetPolicy(Base):
    """The probabilities at which a target counts as on track or off track (one row)."""

    __tablename__ = "target_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    on_track_from: Mapped[Decimal] = mapped_column(ExactDecimal)
    off_track_below: Mapped[Decimal] = mapped_column(ExactDecimal)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(200))


__all__ = ["Target", "TargetPolicy"]
