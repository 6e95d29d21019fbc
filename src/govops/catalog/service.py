"""Finding indicators, groups and agencies in the catalogue."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from govops.catalog.models import Agency, Indicator, IndicatorGroup
from govops.core.errors import NotFound
from govops.core.text import fold


def get_indicator(session: Session, code: str) -> Indicator:
    indicator = session.scalar(
        select(Indicator)
        .where(Indicator.code == code)
        .options(selectinload(Indicator.groups), selectinload(Indicator.dimensions))
    )
    if indicator is None:
        raise NotFound(
            f"indicator '{code}' is not in the catalogue; search with GET /api/v1/indicators?q=…",
            indicator=code,
        )
    return indicator


def find_indicators(
    session: Session,
    *,
    text: str | None = None,
    group: str | None = None,
    frequency: str | None = None,
    owner: str | None = None,
    after_code: str | None = None,
    limit: int = 50,
) -> Sequence[Indicator]:
    """Indicators matching every given filter, ordered by code, after ``after_code``.

    The text matches codes and names in either language, ignoring diacritics and case:
    each word must appear ("chi so gia" finds "Chỉ số giá tiêu dùng").
    """
    query = select(Indicator).options(selectinload(Indicator.groups)).order_by(Indicator.code)
    for word in fold(text or "").split():
        query = query.where(Indicator.search_text.contains(word, autoescape=True))
    if group:
        query = query.where(Indicator.groups.any(IndicatorGroup.code == group))
    if frequency:
        query = query.where(Indicator.frequency == frequency)
    if owner:
        query = query.where(Indicator.owner.has(Agency.code == owner))
    if after_code:
        query = query.where(Indicator.code > after_code)
    return session.scalars(query.limit(limit)).all()


def list_groups(session: Session) -> Sequence[IndicatorGroup]:
    return session.scalars(
        select(IndicatorGroup)
        .order_by(IndicatorGroup.code)
        .options(selectinload(IndicatorGroup.indicators))
    ).all()


def list_agencies(session: Session) -> Sequence[Agency]:
    return session.scalars(select(Agency).order_by(Agency.kind, Agency.code)).all()


def get_agency(session: Session, code: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise NotFound(f"agency '{code}' is not registered", agency=code)
    return agency
