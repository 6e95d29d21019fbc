"""For which rows a writer may send observations.

A provincial People's Committee reports for its own province (and the communes in it),
whatever the indicator. Any other agency writes the indicators it owns, for every area.
Writers of every agency (administrators, the command line) write anything. An indicator
the writer may not read is answered as unknown, as it is on reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.models import Agency, Area, Indicator
from govops.core.errors import RowErrors
from govops.datastore.rows import IncomingRow
from govops.datastore.validation import ValidRow
from govops.security.permissions import (
    Principal,
    Scope,
    can_read_classification,
    can_write_for_agency,
)


@dataclass(frozen=True)
class _Ownership:
    owner_agency_id: int | None
    owner_code: str
    classification: str


class WriteScope:
    """Checks each valid row against what ``writer`` may write, adding row errors."""

    def __init__(self, session: Session, writer: Principal) -> None:
        self.session = session
        self.writer = writer
        self.agency = session.get(Agency, writer.agency_id) if writer.agency_id else None
        self._indicators: dict[int, _Ownership] = {}
        self._areas: dict[int, Area] = {}

    def allows(self, row: IncomingRow, valid: ValidRow, errors: RowErrors) -> bool:
        owned = self._ownership(valid.indicator_id)
        if not can_read_classification(
            self.writer, owned.classification, owner_agency_id=owned.owner_agency_id
        ):
            errors.add(row.number, "indicator", "not in the catalogue", row.indicator)
            return False
        if self.writer.scope is Scope.EVERY_AGENCY:
            return True

        if self.agency is not None and self.agency.area_id is not None:
            return self._allows_area(row, valid, self.agency.area_id, errors)
        if can_write_for_agency(self.writer, owned.owner_agency_id):
            return True
        mine = self.agency.code if self.agency else "no agency"
        errors.add(
            row.number,
            "indicator",
            f"is owned by {owned.owner_code}; {self.writer.name} writes only the indicators "
            f"of {mine}",
            row.indicator,
        )
        return False

    def _allows_area(
        self, row: IncomingRow, valid: ValidRow, province_id: int, errors: RowErrors
    ) -> bool:
        # Known shortcoming: the province is its area version of today, so a committee
        # cannot yet correct periods of a predecessor province from before a merger.
        area = self._area(valid.area_id)
        if province_id in (area.id, area.parent_id):
            return True
        province = self._area(province_id)
        errors.add(
            row.number,
            "area",
            f"is outside {province.name_vi} ({province.code}); {self.writer.name} writes "
            f"for {self.agency.code if self.agency else 'its agency'} only",
            row.area,
        )
        return False

    def _ownership(self, indicator_id: int) -> _Ownership:
        if indicator_id not in self._indicators:
            found = self.session.execute(
                select(Indicator.owner_agency_id, Agency.code, Indicator.classification)
                .outerjoin(Agency, Agency.id == Indicator.owner_agency_id)
                .where(Indicator.id == indicator_id)
            ).one()
            self._indicators[indicator_id] = _Ownership(
                found[0], found[1] or "no agency", found[2]
            )
        return self._indicators[indicator_id]

    def _area(self, area_id: int) -> Area:
        if area_id not in self._areas:
            area = self.session.get(Area, area_id)
            assert area is not None, f"area {area_id} was resolved by the validator"
            self._areas[area_id] = area
        return self._areas[area_id]
