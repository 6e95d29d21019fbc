"""Reading series: latest or as of an instant, across area versions and frequencies.

A query names an indicator, areas by code, a period range and optionally an instant
(``as_of``): the answer is what was known then. For an area whose boundaries changed,
periods before its current version are assembled from its predecessors when the
indicator's area rule allows it, and left as gaps (with the reason) when it does not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from govops.catalog.areas import NATION_CODE, all_lineage, area_at, areas_on
from govops.catalog.models import Area, AreaLineage, Indicator
from govops.catalog.rules import AreaRule
from govops.catalog.service import get_indicator
from govops.core.errors import InvalidRequest
from govops.core.periods import Frequency, Period, period_end
from govops.datastore.cells import Cell, Cells, combined_status, latest_recorded, missing
from govops.datastore.formula import Formula
from govops.datastore.models import Observation, Series

ALL_PROVINCES = "provinces"


@dataclass(frozen=True)
class PeriodRange:
    first: Period | None
    last: Period | None

    def bounds(self) -> tuple[date | None, date | None]:
        return (self.first.start if self.first else None, self.last.start if self.last else None)


@dataclass
class AreaSeries:
    area: Area
    cells: Cells
    notes: list[str] = field(default_factory=list)


class SeriesReader:
    """Reads one indicator's values for areas, as known at ``as_of`` (None: latest)."""

    def __init__(
        self,
        session: Session,
        indicator: Indicator,
        *,
        dims_key: str = "",
        as_of: datetime | None = None,
    ) -> None:
        self.session = session
        self.indicator = indicator
        self.frequency = Frequency(indicator.frequency)
        self.dims_key = dims_key
        self.as_of = as_of
        self._formula = Formula(indicator.formula) if indicator.formula else None
        self._prefetched: dict[int, Cells] = {}
        self._prefetched_range: PeriodRange | None = None
        self._lineage: dict[int, list[tuple[Area, AreaLineage]]] | None = None

    def prefetch(self, areas: Sequence[Area], periods: PeriodRange) -> None:
        """Read the stored values of these areas and all their predecessors in one query.

        Without it, a table of 34 provinces across the merger costs a query per province
        and per predecessor.
        """
        wanted: set[int] = set()
        pending = [area.id for area in areas]
        while pending:
            area_id = pending.pop()
            if area_id not in wanted:
                wanted.add(area_id)
                pending.extend(old.id for old, _edge in self._predecessors(area_id))
        found = self.stored(wanted, periods)
        self._prefetched = {area_id: found.get(area_id, {}) for area_id in wanted}
        self._prefetched_range = periods

    def _predecessors(self, area_id: int) -> list[tuple[Area, AreaLineage]]:
        if self._lineage is None:
            self._lineage = defaultdict(list)
            for old, edge in all_lineage(self.session):
                self._lineage[edge.successor_id].append((old, edge))
        return self._lineage.get(area_id, [])

    def _stored_for(self, area: Area, periods: PeriodRange) -> Cells:
        if area.id in self._prefetched and self._covers(periods):
            return self._prefetched[area.id]
        return self.stored({area.id}, periods).get(area.id, {})

    def _covers(self, periods: PeriodRange) -> bool:
        held = self._prefetched_range
        if held is None:
            return False
        first_ok = held.first is None or (
            periods.first is not None and held.first <= periods.first
        )
        last_ok = held.last is None or (periods.last is not None and periods.last <= held.last)
        return first_ok and last_ok

    def read(self, area: Area, periods: PeriodRange) -> AreaSeries:
        if self._formula is not None:
            return self._read_derived(area, periods)
        result = AreaSeries(area, {})
        frequency = self.frequency
        # The area's dates are read once: thousands of cells pass this test per answer.
        valid_from, valid_to = area.valid_from, area.valid_to
        for start, cell in self._stored_for(area, periods).items():
            end = period_end(frequency, start)
            if (valid_from is None or valid_from <= end) and (valid_to is None or end < valid_to):
                result.cells[start] = cell
        self._fill_from_predecessors(area, periods, result)
        self._fill_from_children(area, periods, result)
        return result

    def stored(self, area_ids: set[int], periods: PeriodRange) -> dict[int, Cells]:
        """Latest values (as of ``as_of``) of this indicator's series for the areas."""
        if self.session.get_bind().dialect.name == "postgresql":
            rows = self._stored_rows_on_postgresql(area_ids, periods)
        else:
            rows = self._stored_rows(area_ids, periods)
        found: dict[int, Cells] = defaultdict(dict)
        for area_id, start, number, status, stamp in rows:
            found[area_id][start] = Cell(number, status, stamp)
        return found

    def _stored_rows(self, area_ids: set[int], periods: PeriodRange) -> Sequence[Any]:
        first, last = periods.bounds()
        query = (
            select(
                Series.area_id,
                Observation.period_start,
                Observation.value,
                Observation.status,
                Observation.recorded_at,
            )
            .join(Series, Series.id == Observation.series_id)
            .where(
                Series.indicator_id == self.indicator.id,
                Series.area_id.in_(area_ids),
                Series.dims_key == self.dims_key,
                ~self._later_vintage().exists(),
            )
            .order_by(Observation.series_id, Observation.period_start)
        )
        if first is not None:
            query = query.where(Observation.period_start >= first)
        if last is not None:
            query = query.where(Observation.period_start <= last)
        if self.as_of is not None:
            query = query.where(Observation.recorded_at <= self.as_of)
        # Core execution: the ORM's result machinery costs more than the rows here.
        return self.session.connection().execute(query).all()

    def _stored_rows_on_postgresql(
        self, area_ids: set[int], periods: PeriodRange
    ) -> Sequence[Any]:
        """The same rows, read through the driver: an answer is thousands of rows, and
        building result rows and running column types over them cost a fifth of it.

        One walk down the primary key, newest vintage first, keeps the first row of each
        period (DISTINCT ON): half the time of probing the key for a newer vintage per row.
        """
        first, last = periods.bounds()
        conditions = [
            "s.indicator_id = %(indicator)s",
            "s.area_id = ANY(%(areas)s)",
            "s.dims_key = %(dims)s",
        ]
        if first is not None:
            conditions.append("o.period_start >= %(first)s")
        if last is not None:
            conditions.append("o.period_start <= %(last)s")
        if self.as_of is not None:
            conditions.append("o.recorded_at <= %(as_of)s")
        statement = (
            "SELECT DISTINCT ON (o.series_id, o.period_start) "
            "s.area_id, o.period_start, o.value, o.status, o.recorded_at "
            "FROM observation AS o JOIN series AS s ON s.id = o.series_id "
            f"WHERE {' AND '.join(conditions)} "
            "ORDER BY o.series_id DESC, o.period_start DESC, o.recorded_at DESC"
        )
        parameters = {
            "indicator": self.indicator.id,
            "areas": sorted(area_ids),
            "dims": self.dims_key,
            "first": first,
            "last": last,
            "as_of": self.as_of,
        }
        driver = self.session.connection().connection.driver_connection
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(statement, parameters)
            rows = cursor.fetchall()
        # Oldest period first, as every reader of the cells expects. Timestamps come back
        # in UTC: govops' PostgreSQL sessions run in UTC (see create_db_engine).
        rows.reverse()
        return rows

    def _later_vintage(self) -> Select[datetime]:
        # A probe of the primary key per row, instead of sending every revision to be
        # dropped here.
        newer = aliased(Observation)
        later = select(newer.recorded_at).where(
            newer.series_id == Observation.series_id,
            newer.period_start == Observation.period_start,
            newer.recorded_at > Observation.recorded_at,
        )
        if self.as_of is not None:
            later = later.where(newer.recorded_at <= self.as_of)
        return later

    def _fill_from_predecessors(
        self, area: Area, periods: PeriodRange, result: AreaSeries
    ) -> None:
        if area.valid_from is None:
            return
        predecessors = self._predecessors(area.id)
        if not predecessors:
            return
        before = PeriodRange(
            periods.first, _last_before(self.frequency, area.valid_from, periods.last)
        )
        if before.last is None or (before.first and before.last < before.first):
            return
        parts = [self.read(old, before) for old, _edge in predecessors]
        shares = [edge.share for _old, edge in predecessors]
        names = ", ".join(f"{old.code} {old.name_vi}" for old, _edge in predecessors)
        same_territory = len(predecessors) == 1 and shares[0] is None
        assembled = self._combine(parts, shares, before, same_territory=same_territory)
        result.cells.update(assembled)
        if assembled:
            how = "carried over from" if same_territory else "assembled from predecessors"
            result.notes.append(f"values before {area.valid_from.isoformat()} {how} {names}")

    def _combine(
        self,
        parts: list[AreaSeries],
        shares: list[Decimal | None],
        periods: PeriodRange,
        *,
        same_territory: bool,
    ) -> Cells:
        starts = sorted({start for part in parts for start in part.cells})
        rule = AreaRule(self.indicator.area_rule)
        if same_territory:
            return dict(parts[0].cells)
        if rule is AreaRule.NONE:
            return {
                start: missing(
                    f"{self.indicator.code} cannot be added up over areas; "
                    "the predecessors' values are not combined"
                )
                for start in starts
            }
        weights = self._weights([part.area for part in parts], starts, periods)
        combined: Cells = {}
        for start in starts:
            cells = [part.cells.get(start) for part in parts]
            combined[start] = aggregate_cells(rule, cells, shares, [w.get(start) for w in weights])
        return combined

    def _weights(
        self, areas: list[Area], starts: list[date], periods: PeriodRange
    ) -> list[dict[date, Decimal | None]]:
        if self.indicator.area_rule != AreaRule.WEIGHTED_MEAN:
            return [{} for _ in areas]
        weight_indicator = get_indicator(self.session, self.indicator.weight_indicator_code or "")
        reader = SeriesReader(
            self.session,
            weight_indicator,
            as_of=self.as_of,
            dims_key=check_dims(weight_indicator, {}),
        )
        frequency = Frequency(weight_indicator.frequency)
        weights = []
        for area in areas:
            known = reader.read(area, PeriodRange(None, None)).cells
            weights.append({start: _weight_at(known, frequency, start) for start in starts})
        return weights

    def _fill_from_children(self, area: Area, periods: PeriodRange, result: AreaSeries) -> None:
        rule = AreaRule(self.indicator.area_rule)
        if area.level != "nation" or rule is not AreaRule.SUM or periods.first is None:
            return
        if periods.last is None:
            return
        gaps = [p for p in Period.span(periods.first, periods.last) if p.start not in result.cells]
        if not gaps:
            return
        summed = 0
        for children, periods_of_group in _group_by_children(self.session, area, gaps):
            stored = self.stored(
                {child.id for child in children},
                PeriodRange(periods_of_group[0], periods_of_group[-1]),
            )
            for period in periods_of_group:
                cells = [stored.get(child.id, {}).get(period.start) for child in children]
                if all(cell is None for cell in cells):
                    continue
                cell = aggregate_cells(rule, cells, [None] * len(cells), [])
                note = cell.note or f"sum of {len(children)} provinces"
                result.cells[period.start] = cell._replace(note=note)
                summed += 1
        if summed:
            result.notes.append("periods without a national value are summed from provinces")

    def _read_derived(self, area: Area, periods: PeriodRange) -> AreaSeries:
        assert self._formula is not None
        inputs = {}
        notes: list[str] = []
        for code in self._formula.inputs:
            source = get_indicator(self.session, code)
            reader = SeriesReader(
                self.session, source, as_of=self.as_of, dims_key=check_dims(source, {})
            )
            series = reader.read(area, periods)
            inputs[code] = series.cells
            notes.extend(series.notes)
        starts = sorted(set.intersection(*(set(cells) for cells in inputs.values())))
        cells: Cells = {}
        for start in starts:
            parts = [inputs[code][start] for code in self._formula.inputs]
            values = {code: inputs[code][start].value for code in self._formula.inputs}
            known = {code: value for code, value in values.items() if value is not None}
            cells[start] = Cell(
                self._formula.evaluate(known),
                combined_status(parts),
                latest_recorded(parts),
                computed=True,
            )
        notes.append(f"derived: {self.indicator.formula}")
        return AreaSeries(area, cells, sorted(set(notes)))


def aggregate_cells(
    rule: AreaRule,
    cells: Sequence[Cell | None],
    shares: Sequence[Decimal | None],
    weights: Sequence[Decimal | None],
) -> Cell:
    """Combine the values of several areas for one period by the indicator's rule."""
    values: list[Decimal] = [
        cell.value for cell in cells if cell is not None and cell.value is not None
    ]
    if len(values) < len(cells):
        return missing(f"{len(cells) - len(values)} of {len(cells)} areas have no value")
    present: Sequence[Cell] = cells  # type: ignore[assignment]
    # Thousands of cells pass here per answer: whole areas (no share) skip the products.
    if any(share is not None for share in shares):
        scaled = [
            value * (share if share is not None else Decimal(1))
            for value, share in zip(values, shares, strict=True)
        ]
    else:
        scaled = values
    status = combined_status(present)
    stamp = latest_recorded(present)
    if rule is AreaRule.SUM:
        return Cell(sum(scaled, Decimal(0)), status, stamp, computed=True)
    if rule is AreaRule.MEAN:
        return Cell(sum(values, Decimal(0)) / len(values), status, stamp, computed=True)
    if any(weight is None for weight in weights) or not weights:
        return missing("the weights for a weighted mean are missing")
    total = sum((w for w in weights if w is not None), Decimal(0))
    if total == 0:
        return missing("the weights for a weighted mean add up to zero")
    weighted = sum(
        (v * w for v, w in zip(values, weights, strict=True) if w is not None), Decimal(0)
    )
    return Cell(weighted / total, status, stamp, computed=True)


def _group_by_children(
    session: Session, area: Area, periods: list[Period]
) -> list[tuple[list[Area], list[Period]]]:
    """Runs of periods that share the same set of child areas.

    The children of the nation change only at boundary reforms, so a decade of months is
    one or two runs, each read with one query.
    """
    every_child = list(session.scalars(select(Area).where(Area.parent_id == area.id)))
    runs: list[tuple[list[Area], list[Period]]] = []
    for period in periods:
        children = [child for child in every_child if child.is_valid_on(period.end)]
        if runs and [c.id for c in runs[-1][0]] == [c.id for c in children]:
            runs[-1][1].append(period)
        else:
            runs.append((children, [period]))
    return runs


def _weight_at(known: Cells, frequency: Frequency, start: date) -> Decimal | None:
    # The weight of a period is the weight indicator's value for the period that contains
    # it (the year, for an annual population), or the latest one before it.
    containing = Period.containing(frequency, start).start
    candidates = [day for day, cell in known.items() if day <= containing and cell.value]
    return known[max(candidates)].value if candidates else None


def _last_before(frequency: Frequency, day: date, last: Period | None) -> Period | None:
    """The last period of this frequency that ends before ``day`` (and not after ``last``)."""
    period = Period.containing(frequency, day)
    while period.end >= day:
        period = period.previous()
    if last is not None and last < period:
        return last
    return period


def resolve_areas(session: Session, codes: Sequence[str], at: date) -> list[Area]:
    """The area versions that codes name on ``at``; 'provinces' names all of them."""
    if not codes:
        codes = [NATION_CODE]
    areas: list[Area] = []
    for code in codes:
        if code == ALL_PROVINCES:
            areas.extend(areas_on(session, at, level="province"))
        else:
            areas.append(area_at(session, code, at))
    return areas


def check_dims(indicator: Indicator, dims: dict[str, str]) -> str:
    declared = {dimension.code: dimension for dimension in indicator.dimensions}
    unknown = sorted(set(dims) - set(declared))
    if unknown:
        raise InvalidRequest(f"indicator {indicator.code} has no dimension {', '.join(unknown)}")
    parts = []
    for code, dimension in declared.items():
        value = dims.get(code, "_T")
        if value not in {v.code for v in dimension.values}:
            allowed = ", ".join(sorted(v.code for v in dimension.values))
            raise InvalidRequest(
                f"dimension {code} has no value '{value}'; one of {allowed}", field="dims"
            )
        parts.append(f"{code}={value}")
    return ";".join(parts)
