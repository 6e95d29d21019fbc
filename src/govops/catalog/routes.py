"""Catalogue API: indicators, groups, agencies, units and areas."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govops.catalog import areas as area_service
from govops.catalog import service
from govops.catalog.models import Area, Unit
from govops.catalog.schemas import (
    AgencyOut,
    AreaDetail,
    AreaOut,
    GroupOut,
    IndicatorDetail,
    IndicatorPage,
    IndicatorSummary,
    UnitOut,
)
from govops.core.api import PROBLEM_RESPONSES, db_session, decode_cursor, encode_cursor, parse_date
from govops.core.db import today_utc
from govops.core.periods import Frequency, Period
from govops.datastore.models import Series
from govops.security.permissions import Permission, Principal
from govops.security.web import require

router = APIRouter(prefix="/api/v1", tags=["catalogue"], responses=PROBLEM_RESPONSES)
DbSession = Annotated[Session, Depends(db_session)]
CatalogReader = Annotated[Principal, require(Permission.CATALOG_READ)]


@router.get("/indicators", response_model=IndicatorPage)
def search_indicators(
    session: DbSession,
    caller: CatalogReader,
    q: Annotated[
        str | None,
        Query(
            description="Words of a code or name, in Vietnamese or "
            "English, with or without diacritics"
        ),
    ] = None,
    group: str | None = None,
    frequency: Frequency | None = None,
    owner: Annotated[str | None, Query(description="Owner agency code")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> IndicatorPage:
    """Find indicators; search ignores diacritics and case."""
    found = service.find_indicators(
        session,
        text=q,
        group=group,
        frequency=frequency.value if frequency else None,
        owner=owner,
        after_code=decode_cursor(cursor),
        limit=limit + 1,
        visible_to=caller,
    )
    items = [IndicatorSummary.of(indicator) for indicator in found[:limit]]
    more = len(found) > limit
    return IndicatorPage(items=items, next_cursor=encode_cursor(items[-1].code) if more else None)


@router.get("/indicators/{code}", response_model=IndicatorDetail)
def read_indicator(code: str, session: DbSession, caller: CatalogReader) -> IndicatorDetail:
    """One indicator's definition, rules and newest period with data."""
    indicator = service.get_indicator(session, code, visible_to=caller)
    newest = session.scalar(
        select(func.max(Series.latest_period_start)).where(Series.indicator_id == indicator.id)
    )
    latest = Period(Frequency(indicator.frequency), newest).code if newest else None
    return IndicatorDetail.of_detail(indicator, latest)


@router.get("/groups", response_model=list[GroupOut])
def list_groups(session: DbSession, caller: CatalogReader) -> list[GroupOut]:
    """Indicator groups of the programme, with their members and coverage targets."""
    return [
        GroupOut.of(group, service.visible_members(group, caller))
        for group in service.list_groups(session)
    ]


@router.get("/agencies", response_model=list[AgencyOut])
def list_agencies(session: DbSession, caller: CatalogReader) -> list[AgencyOut]:
    """Ministries, provincial committees, state groups and external systems."""
    return [AgencyOut.of(agency) for agency in service.list_agencies(session)]


@router.get("/units", response_model=list[UnitOut])
def list_units(session: DbSession, caller: CatalogReader) -> list[UnitOut]:
    """Units of measure used by indicators."""
    units = session.scalars(select(Unit).order_by(Unit.code))
    return [UnitOut.model_validate(unit, from_attributes=True) for unit in units]


@router.get("/areas", response_model=list[AreaOut])
def list_areas(
    session: DbSession,
    caller: CatalogReader,
    at: Annotated[
        str | None, Query(description="Date the versions are valid on; default today")
    ] = None,
    level: Annotated[str | None, Query(description="nation, province or commune")] = None,
    parent: Annotated[str | None, Query(description="Code of the parent area")] = None,
    q: Annotated[str | None, Query(description="Words of a name, diacritics optional")] = None,
) -> list[AreaOut]:
    """Areas valid on a date: the 63 provinces before 1 July 2025, the 34 after."""
    day = parse_date(at, field="at") or today_utc()
    if q:
        return [AreaOut.of(area) for area in area_service.search_areas(session, q, day)]
    parent_area = area_service.area_at(session, parent, day) if parent else None
    return [
        AreaOut.of(area)
        for area in area_service.areas_on(session, day, level=level, parent=parent_area)
    ]


@router.get("/areas/{code}", response_model=AreaDetail)
def read_area(
    code: str,
    session: DbSession,
    caller: CatalogReader,
    at: Annotated[str | None, Query(description="Default today")] = None,
) -> AreaDetail:
    """The version of an area valid on a date, with the versions before and after it."""
    day = parse_date(at, field="at") or today_utc()
    area = area_service.area_at(session, code, day)
    parent = session.get(Area, area.parent_id) if area.parent_id else None
    return AreaDetail(
        **AreaOut.of(area).model_dump(),
        parent=AreaOut.of(parent) if parent else None,
        predecessors=[AreaOut.of(old) for old, _ in area_service.predecessors_of(session, area)],
        successors=[AreaOut.of(new) for new in area_service.successors_of(session, area)],
        children=len(area_service.children_on(session, area, day)),
    )
