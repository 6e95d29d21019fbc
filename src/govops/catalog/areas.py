"""Areas (địa bàn) with validity dates and lineage, and the reference areas of Viet Nam.

Current provinces and communes come from the ``vietnam-provinces`` package (July 2025
structure, official codes). The 63 provinces before 1 July 2025 and the unit each merged
into come from ``data/vn_province_lineage_2025.csv``. A province whose territory did not
change keeps one area version across the merger; every other old province ends on
30 June 2025 and has a lineage edge to the unit that took it over.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from importlib import resources

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Mapped, Session

from govops.catalog.models import Area, AreaLineage
from govops.core.errors import InvalidRequest, NotFound
from govops.core.text import fold, nfc

NATION_CODE = "VN"
MERGER_2025 = date(2025, 7, 1)


@dataclass(frozen=True)
class LineageRow:
    old_code: str
    old_name_vi: str
    old_name_en: str
    old_kind: str
    new_code: str
    new_name_vi: str
    new_name_en: str
    new_kind: str
    effective_date: date


@dataclass
class AreaLoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    lineage_created: int = 0
    changed_codes: list[str] = field(default_factory=list)


def read_lineage_file() -> list[LineageRow]:
    text = resources.files("govops.catalog").joinpath("data/vn_province_lineage_2025.csv")
    lines = [line for line in text.read_text("utf-8").splitlines() if not line.startswith("#")]
    return [
        LineageRow(
            old_code=row["old_code"],
            old_name_vi=nfc(row["old_name_vi"]),
            old_name_en=row["old_name_en"],
            old_kind=row["old_type"],
            new_code=row["new_code"],
            new_name_vi=nfc(row["new_name_vi"]),
            new_name_en=row["new_name_en"],
            new_kind=row["new_type"],
            effective_date=date.fromisoformat(row["effective_date"]),
        )
        for row in csv.DictReader(lines)
    ]


def load_reference_areas(session: Session, *, include_communes: bool = True) -> AreaLoadReport:
    """Create or update the nation, the 63 old and 34 new provinces, lineage, communes."""
    report = AreaLoadReport()
    nation = _upsert_area(
        session,
        report,
        code=NATION_CODE,
        level="nation",
        kind="country",
        name_vi="Việt Nam",
        name_en="Viet Nam",
        parent=None,
        valid_from=None,
        valid_to=None,
    )
    rows = read_lineage_file()
    successors = _load_provinces(session, report, nation, rows)
    if include_communes:
        _load_communes(session, report, successors)
    session.flush()
    return report


def _load_provinces(
    session: Session, report: AreaLoadReport, nation: Area, rows: list[LineageRow]
) -> dict[str, Area]:
    members: dict[str, list[LineageRow]] = defaultdict(list)
    for row in rows:
        members[row.new_code].append(row)

    successors: dict[str, Area] = {}
    for new_code, group in members.items():
        first = group[0]
        unchanged = len(group) == 1 and first.old_code == new_code
        successors[new_code] = _upsert_area(
            session,
            report,
            code=new_code,
            level="province",
            kind=first.new_kind,
            name_vi=first.new_name_vi,
            name_en=first.new_name_en,
            parent=nation,
            valid_from=None if unchanged else first.effective_date,
            valid_to=None,
        )
        if unchanged:
            continue
        for row in group:
            old = _upsert_area(
                session,
                report,
                code=row.old_code,
                level="province",
                kind=row.old_kind,
                name_vi=row.old_name_vi,
                name_en=row.old_name_en,
                parent=nation,
                valid_from=None,
                valid_to=row.effective_date,
            )
            _ensure_lineage(session, report, old, successors[new_code], row.effective_date)
    return successors


def _load_communes(session: Session, report: AreaLoadReport, provinces: dict[str, Area]) -> None:
    from vietnam_provinces import Ward

    for ward in Ward.iter_all():
        province = provinces[f"{ward.province_code.value:02d}"]
        _upsert_area(
            session,
            report,
            code=f"{ward.code.value:05d}",
            level="commune",
            kind=ward.division_type.value,
            name_vi=nfc(ward.name),
            name_en=fold(ward.name).title(),
            parent=province,
            valid_from=MERGER_2025,
            valid_to=None,
            record_change=False,
        )


def _upsert_area(
    session: Session,
    report: AreaLoadReport,
    *,
    code: str,
    level: str,
    kind: str,
    name_vi: str,
    name_en: str,
    parent: Area | None,
    valid_from: date | None,
    valid_to: date | None,
    record_change: bool = True,
) -> Area:
    area = session.scalar(
        select(Area).where(
            Area.code == code, Area.level == level, _same_date(Area.valid_from, valid_from)
        )
    )
    values = {
        "kind": kind,
        "name_vi": name_vi,
        "name_en": name_en,
        "parent_id": parent.id if parent else None,
        "valid_to": valid_to,
        "search_text": fold(f"{code} {name_vi} {name_en}"),
    }
    if area is None:
        area = Area(code=code, level=level, valid_from=valid_from, **values)
        session.add(area)
        session.flush()
        report.created += 1
        return area
    changed = {key: value for key, value in values.items() if getattr(area, key) != value}
    for key, value in changed.items():
        setattr(area, key, value)
    if changed:
        report.updated += 1
        if record_change:
            report.changed_codes.append(code)
    else:
        report.unchanged += 1
    return area


def _same_date(column: Mapped[date | None], value: date | None) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def _ensure_lineage(
    session: Session, report: AreaLoadReport, old: Area, new: Area, effective: date
) -> None:
    exists = session.scalar(
        select(AreaLineage.id).where(
            AreaLineage.predecessor_id == old.id, AreaLineage.successor_id == new.id
        )
    )
    if exists is None:
        session.add(
            AreaLineage(
                predecessor_id=old.id, successor_id=new.id, effective_date=effective, share=None
            )
        )
        report.lineage_created += 1


def record_area_change(
    session: Session,
    *,
    code: str,
    effective: date,
    kind: str | None = None,
    name_vi: str | None = None,
    name_en: str | None = None,
) -> Area:
    """Close the current version of an area and open a new one that keeps its code.

    Used when a unit changes type or name without changing territory (a province becoming
    a centrally run city): the two versions are joined by a whole-territory lineage edge,
    so history reads straight across.
    """
    current = area_at(session, code, effective)
    if current.valid_from is not None and current.valid_from >= effective:
        raise InvalidRequest(f"area {code} already has a version starting {effective}")
    successor = Area(
        code=code,
        level=current.level,
        kind=kind or current.kind,
        name_vi=nfc(name_vi or current.name_vi),
        name_en=name_en or current.name_en,
        parent_id=current.parent_id,
        valid_from=effective,
        valid_to=current.valid_to,
    )
    successor.search_text = fold(f"{code} {successor.name_vi} {successor.name_en}")
    current.valid_to = effective
    session.add(successor)
    session.flush()
    for child in session.scalars(
        select(Area).where(Area.parent_id == current.id, valid_on(effective))
    ):
        child.parent_id = successor.id
    session.add(
        AreaLineage(
            predecessor_id=current.id,
            successor_id=successor.id,
            effective_date=effective,
            share=None,
        )
    )
    session.flush()
    return successor


def valid_on(day: date) -> ColumnElement[bool]:
    return and_(
        or_(Area.valid_from.is_(None), Area.valid_from <= day),
        or_(Area.valid_to.is_(None), Area.valid_to > day),
    )


def area_at(session: Session, code: str, day: date) -> Area:
    """The version of the area with this code that was valid on ``day``."""
    found = session.scalars(
        select(Area).where(Area.code == code, valid_on(day)).order_by(Area.level)
    ).first()
    if found is not None:
        return found
    raise NotFound(_missing_area_message(session, code, day), area=code, date=day.isoformat())


def _missing_area_message(session: Session, code: str, day: date) -> str:
    versions = list(session.scalars(select(Area).where(Area.code == code)))
    if not versions:
        return f"area code '{code}' does not exist"
    described = []
    for version in versions:
        text = f"{version.name_vi} ({_validity(version)})"
        for successor in successors_of(session, version):
            text += f", became part of {successor.code} {successor.name_vi}"
            text += f" on {successor.valid_from}"
        described.append(text)
    return f"area code '{code}' was not valid on {day.isoformat()}: " + "; ".join(described)


def _validity(area: Area) -> str:
    start = area.valid_from.isoformat() if area.valid_from else "…"
    end = area.valid_to.isoformat() if area.valid_to else "now"
    return f"valid {start} to {end}" if area.valid_to else f"valid from {start}"


def areas_on(
    session: Session, day: date, *, level: str | None = None, parent: Area | None = None
) -> list[Area]:
    query = select(Area).where(valid_on(day)).order_by(Area.level, Area.code)
    if level:
        query = query.where(Area.level == level)
    if parent is not None:
        query = query.where(Area.parent_id == parent.id)
    return list(session.scalars(query))


def children_on(session: Session, parent: Area, day: date) -> list[Area]:
    """Areas whose parent is ``parent`` and that were valid on ``day``.

    Old provinces hang under the nation like new ones, so the children of the nation on a
    date before the merger are the 63, after it the 34.
    """
    return list(
        session.scalars(
            select(Area).where(Area.parent_id == parent.id, valid_on(day)).order_by(Area.code)
        )
    )


def predecessors_of(session: Session, area: Area) -> list[tuple[Area, AreaLineage]]:
    rows = session.execute(
        select(Area, AreaLineage)
        .join(AreaLineage, AreaLineage.predecessor_id == Area.id)
        .where(AreaLineage.successor_id == area.id)
        .order_by(Area.code)
    )
    return [(row[0], row[1]) for row in rows]


def all_lineage(session: Session) -> list[tuple[Area, AreaLineage]]:
    """Every lineage edge with its predecessor; the table is small (one row per change)."""
    rows = session.execute(
        select(Area, AreaLineage)
        .join(AreaLineage, AreaLineage.predecessor_id == Area.id)
        .order_by(Area.code)
    )
    return [(row[0], row[1]) for row in rows]


def successors_of(session: Session, area: Area) -> list[Area]:
    return list(
        session.scalars(
            select(Area)
            .join(AreaLineage, AreaLineage.successor_id == Area.id)
            .where(AreaLineage.predecessor_id == area.id)
            .order_by(Area.code)
        )
    )


def search_areas(session: Session, text: str, day: date | None, limit: int = 50) -> Iterator[Area]:
    query = (
        select(Area)
        .where(Area.search_text.contains(fold(text), autoescape=True))
        .order_by(Area.code)
    )
    if day is not None:
        query = query.where(valid_on(day))
    return iter(session.scalars(query.limit(limit)))
