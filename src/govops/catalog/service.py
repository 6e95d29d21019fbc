"""Finding indicators, groups and agencies in the catalogue."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session, selectinload

from govops.catalog.models import Agency, Indicator, IndicatorGroup
from govops.core.errors import NotFound
from govops.core.text import fold
from govops.security.permissions import Clearance, Principal, can_read_classification


def get_indicator(
    session: Session, code: str, *, visible_to: Principal | None = None
) -> Indicator:
    """The indicator of ``code``; for a reader without the clearance to see it, the same
    NotFound as for a code that does not exist, so its existence does not leak."""
    # Dimensions come along: every data query checks its key against them. Groups load
    # when a page or the catalogue API asks for them, not on every read of data.
    indicator = session.scalar(
        select(Indicator).where(Indicator.code == code).options(selectinload(Indicator.dimensions))
    )
    if indicator is None or (visible_to is not None and not is_visible(indicator, visible_to)):
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
    visible_to: Principal | None = None,
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
    if visible_to is not None:
        query = query.where(visible_condition(visible_to))
    return session.scalars(query.limit(limit)).all()


def is_visible(indicator: Indicator, reader: Principal) -> bool:
    return can_read_classification(
        reader, indicator.classification, owner_agency_id=indicator.owner_agency_id
    )


def visible_condition(reader: Principal) -> ColumnElement[bool]:
    """:func:`is_visible` in SQL: a classification within the reader's clearance, or an
    indicator of the reader's own agency. An unknown classification is never within."""
    readable = [level.value for level in Clearance if level.rank <= reader.clearance.rank]
    owned = Indicator.owner_agency_id == reader.agency_id if reader.agency_id else false()
    return or_(Indicator.classification.in_(readable), owned)


def list_groups(session: Session) -> Sequence[IndicatorGroup]:
    """Every group with all its members; readers see them through :func:`visible_members`."""
    return session.scalars(
        select(IndicatorGroup)
        .order_by(IndicatorGroup.code)
        .options(selectinload(IndicatorGroup.indicators))
    ).all()


def visible_members(group: IndicatorGroup, reader: Principal) -> list[Indicator]:
    return [indicator for indicator in group.indicators if is_visible(indicator, reader)]


def list_agencies(session: Session) -> Sequence[Agency]:
    return session.scalars(select(Agency).order_by(Agency.kind, Agency.code)).all()
