"""Tables of the catalogue: units, agencies, groups, dimensions, indicators, areas."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    event,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from govops.core.db import Base, ExactDecimal, UTCDateTime


class Unit(Base):
    __tablename__ = "unit"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    symbol: Mapped[str | None] = mapped_column(String(40))


class Agency(Base):
    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))


group_member = Table(
    "indicator_group_member",
    Base.metadata,
    Column("group_id", ForeignKey("indicator_group.id", ondelete="CASCADE"), primary_key=True),
    Column("indicator_id", ForeignKey("indicator.id", ondelete="CASCADE"), primary_key=True),
)


class IndicatorGroup(Base):
    __tablename__ = "indicator_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    description_en: Mapped[str | None] = mapped_column(Text)
    # Share of member indicators that must have data for their latest due period.
    coverage_target: Mapped[Decimal | None] = mapped_column(ExactDecimal)

    indicators: Mapped[list[Indicator]] = relationship(
        secondary=group_member, back_populates="groups", order_by="Indicator.code"
    )


class Dimension(Base):
    __tablename__ = "dimension"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))

    values: Mapped[list[DimensionValue]] = relationship(
        back_populates="dimension", order_by="DimensionValue.code", cascade="all, delete-orphan"
    )


class DimensionValue(Base):
    __tablename__ = "dimension_value"
    __table_args__ = (Index("uq_dimension_value_code", "dimension_id", "code", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dimension_id: Mapped[int] = mapped_column(ForeignKey("dimension.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))

    dimension: Mapped[Dimension] = relationship(back_populates="values")


indicator_dimension = Table(
    "indicator_dimension",
    Base.metadata,
    Column("indicator_id", ForeignKey("indicator.id", ondelete="CASCADE"), primary_key=True),
    Column("dimension_id", ForeignKey("dimension.id"), primary_key=True),
    Column("position", Integer, nullable=False, default=0),
)


class Indicator(Base):
    __tablename__ = "indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    description_vi: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    methodology_vi: Mapped[str | None] = mapped_column(Text)
    methodology_en: Mapped[str | None] = mapped_column(Text)
    unit_code: Mapped[str] = mapped_column(ForeignKey("unit.code"))
    frequency: Mapped[str] = mapped_column(String(4))
    decimals: Mapped[int] = mapped_column(Integer, default=1)
    area_rule: Mapped[str] = mapped_column(String(20))
    weight_indicator_code: Mapped[str | None] = mapped_column(String(60))
    time_rule: Mapped[str] = mapped_column(String(20))
    classification: Mapped[str] = mapped_column(String(20), default="public")
    owner_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    official_code: Mapped[str | None] = mapped_column(String(40))
    formula: Mapped[str | None] = mapped_column(String(500))
    release: Mapped[str | None] = mapped_column(String(300))
    # Names and codes folded (no diacritics, lower case) so search ignores both.
    search_text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Grows whenever anything an answer about this indicator depends on changes: its own
    # definition, its observations, or any area. Answers are cached under it.
    data_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    unit: Mapped[Unit] = relationship(lazy="joined")
    owner: Mapped[Agency | None] = relationship(lazy="joined")
    groups: Mapped[list[IndicatorGroup]] = relationship(
        secondary=group_member, back_populates="indicators", order_by="IndicatorGroup.code"
    )
    dimensions: Mapped[list[Dimension]] = relationship(
        secondary=indicator_dimension, order_by=indicator_dimension.c.position
    )


class Area(Base):
    """One version of an area (địa bàn), valid from ``valid_from`` until before ``valid_to``.

    A code is only meaningful with a date: code 24 was Bắc Giang until 1 July 2025 and is
    the new Bắc Ninh from then on, so those are two rows.
    """

    __tablename__ = "area"
    __table_args__ = (Index("ix_area_code_validity", "code", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    search_text: Mapped[str] = mapped_column(Text, default="")

    def is_valid_on(self, day: date) -> bool:
        started = self.valid_from is None or self.valid_from <= day
        return started and (self.valid_to is None or day < self.valid_to)


class AreaLineage(Base):
    """An edge from an area version to the one that took over (all or ``share`` of) it."""

    __tablename__ = "area_lineage"

    id: Mapped[int] = mapped_column(primary_key=True)
    predecessor_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    successor_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    effective_date: Mapped[date] = mapped_column(Date)
    # None means the whole predecessor went to this successor.
    share: Mapped[Decimal | None] = mapped_column(ExactDecimal)


@event.listens_for(Session, "before_flush")
def _version_what_answers_depend_on(session: Session, _context: Any, _instances: Any) -> None:
    changed = session.new | session.dirty | session.deleted
    for item in changed:
        if isinstance(item, Indicator) and item in session.dirty and session.is_modified(item):
            item.data_version = (item.data_version or 0) + 1
    if any(isinstance(item, Area | AreaLineage) for item in changed):
        # Areas change at boundary reforms: rare enough to let every indicator's answers
        # be read afresh.
        session.connection().execute(
            update(Indicator).values(data_version=Indicator.data_version + 1)
        )
