"""Which provinces report a period, and which of the 63 old provinces make each of them up.

An area code means the area valid at the end of the period, as the datastore reads it:
figures for a period that ends before 1 July 2025 are recorded under the 63 provinces of
the time, later ones under the 34. A province of the 34 is made up of the old provinces
its lineage leads back to; one whose territory did not change is its own old province.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from govops.catalog.areas import areas_on, predecessors_of
from govops.catalog.models import Area
from govops.demo.provinces import BY_CODE

Reporting = list[tuple[str, tuple[str, ...]]]  # (area code, old province codes)


class Geography:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._on: dict[date, Reporting] = {}
        self._made_of: dict[int, tuple[str, ...]] = {}

    def provinces_on(self, day: date) -> Reporting:
        """The provinces valid on ``day``, each with the old provinces that make it up."""
        if day not in self._on:
            self._on[day] = [
                (area.code, self.made_of(area))
                for area in areas_on(self.session, day, level="province")
            ]
        return self._on[day]

    def made_of(self, area: Area) -> tuple[str, ...]:
        if area.id not in self._made_of:
            predecessors = predecessors_of(self.session, area)
            if predecessors:
                codes = {code for old, _edge in predecessors for code in self.made_of(old)}
                self._made_of[area.id] = tuple(sorted(codes))
            elif area.code in BY_CODE:
                self._made_of[area.id] = (area.code,)
            else:
                raise ValueError(
                    f"province {area.code} {area.name_vi} has no lineage to the 63 provinces "
                    "of 2025 the demo figures are made for"
                )
        return self._made_of[area.id]
