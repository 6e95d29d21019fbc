"""The reference set-up for Viet Nam: areas, the catalogue, provincial People's Committees."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.areas import AreaLoadReport, areas_on, load_reference_areas
from govops.catalog.catalogue_file import (
    CatalogueLoadReport,
    load_catalogue,
    read_reference_catalogue,
)
from govops.catalog.models import Agency
from govops.catalog.rules import AgencyKind
from govops.core.db import today_utc


@dataclass
class ReferenceLoadReport:
    areas: AreaLoadReport
    catalogue: CatalogueLoadReport
    provincial_agencies_created: int


def load_reference(session: Session, *, include_communes: bool = True) -> ReferenceLoadReport:
    areas = load_reference_areas(session, include_communes=include_communes)
    catalogue = load_catalogue(session, read_reference_catalogue())
    created = ensure_provincial_agencies(session)
    return ReferenceLoadReport(areas, catalogue, created)


def provincial_agency_code(province_code: str) -> str:
    return f"UBND-{province_code}"


def ensure_provincial_agencies(session: Session) -> int:
    """One People's Committee per current province, linked to its area."""
    existing = set(session.scalars(select(Agency.code)))
    created = 0
    for province in areas_on(session, today_utc(), level="province"):
        code = provincial_agency_code(province.code)
        if code in existing:
            continue
        session.add(
            Agency(
                code=code,
                kind=AgencyKind.PROVINCE,
                area_id=province.id,
                name_vi=f"Ủy ban nhân dân {province.name_vi}",
                name_en=f"People's Committee of {province.name_en}",
            )
        )
        created += 1
    session.flush()
    return created
