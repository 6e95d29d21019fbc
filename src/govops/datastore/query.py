"""Reading series: latest or as of an instant, across area versions and frequencies.

A query names an indicator, areas by code, a period range and optionally an instant
(``as_of``): the answer is what was known then. For an area whose boundaries changed,
periods before its current version are assembled from its predecessors when the
indicator's area rule allows it, and left as gaps (with the reason) when it does not.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from govops.catalog.areas import NATION_CODE, all_lineage, area_at, areas_on
from govops.catalog.models import Area, AreaLineage, Indicator
from govops.catalog.rules import AreaRule
from govops.catalog.service import get_indicator
from govops.core.errors import InvalidRequest
from govops.core.periods import Frequency, Period, period_end
from govops.datastore.cells import (
    STATUSES_BEST_FIRST,
    Cell,
    Cells,
    combined_status,
    latest_recorded,
    missing,
    new_record,
    worst_status,
)
from govops.datastore.formula import Formula
from govops.datastore.models import Observation, Series

ALL_PROVINCES = "provinces"


@dataclass(frozen=True)
class PeriodRange:
    first: Period | None
    last: Period | None

    def bounds(self) -> tuple[date | None, date | None]:
        return (self.first.start if self.first else None, self.last.start if self.last else None)


class _Edge(NamedTuple):
    successor_id: int
    predecessor_id: int
    share: Decimal | None
    first_start: date | None
    last_start: date


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
        # History of current areas before their version began, summed in the database
        # from their predecessors by prefetch (PostgreSQL only).
        self._assembled: dict[int, Cells] = {}
        self._lineage: dict[int, list[tuple[Area, AreaLineage]]] | None = None

    def prefetch(self, areas: Sequence[Area], periods: PeriodRange) -> None:
        """Read the stored values of these areas and all their predecessors in one query.

        Without it, a table of 34 provinces across the merger costs a query per province
        and per predecessor.
        """
        assembled = self._assemble_in_database(areas, periods)
        wanted: set[int] = set()
        pending = [area.id for area in areas]
        while pending:
            area_id = pending.pop()
            if area_id not in wanted:
                wanted.add(area_id)
                if area_id not in assembled:
                    pending.extend(old.id for old, _edge in self._predecessors(area_id))
        found = self.stored(wanted, periods)
        self._prefetched = {area_id: found.get(area_id, {}) for area_id in wanted}
        self._prefetched_range = periods
        self._assembled = assembled

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
        result = AreaSeries(area, self._within_life(area, self._stored_for(area, periods)))
        self._fill_from_predecessors(area, periods, result)
        self._fill_from_children(area, periods, result)
        return result

    def _within_life(self, area: Area, stored: Cells) -> Cells:
        """The cells of periods that end while this version of the area is valid."""
        if not stored:
            return {}
        frequency, valid_from, valid_to = self.frequency, area.valid_from, area.valid_to

        def lived(start: date) -> bool:
            end = period_end(frequency, start)
            begun = valid_from is None or valid_from <= end
            return begun and (valid_to is None or end < valid_to)

        # Usually every cell is: then the first and last periods tell it, without a test
        # for each of the thousands of cells of an answer.
        if lived(min(stored)) and lived(max(stored)):
            return dict(stored)
        return {start: cell for start, cell in stored.items() if lived(start)}

    def stored(self, area_ids: set[int], periods: PeriodRange) -> dict[int, Cells]:
        """Latest values (as of ``as_of``) of this indicator's series for the areas."""
        if self.session.get_bind().dialect.name == "postgresql":
            rows = self._stored_rows_on_postgresql(area_ids, periods)
        else:
            rows = self._stored_rows(area_ids, periods)
        found: dict[int, Cells] = defaultdict(dict)
        for area_id, start, number, status, stamp in rows:
            found[area_id][start] = new_record(Cell, (number, status, stamp, None, False))
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

        Each series is read by its own walk down the primary key, newest vintage first,
        keeping the first row of each period (DISTINCT ON inside a LATERAL join): the rows
        come out in key order, so nothing is sorted, which halves the time of one
        DISTINCT ON over the whole join.
        """
        first, last = periods.bounds()
        conditions = ["o.series_id = s.id"]
        if first is not None:
            conditions.append("o.period_start >= %(first)s")
        if last is not None:
            conditions.append("o.period_start <= %(last)s")
        if self.as_of is not None:
            conditions.append("o.recorded_at <= %(as_of)s")
        statement = (
            "SELECT s.area_id, known.period_start, known.value, known.status, "
            "known.recorded_at FROM series AS s CROSS JOIN LATERAL ("
            "SELECT DISTINCT ON (o.period_start) "
            "o.period_start, o.value, o.status, o.recorded_at FROM observation AS o "
            f"WHERE {' AND '.join(conditions)} "
            "ORDER BY o.period_start DESC, o.recorded_at DESC) AS known "
            "WHERE s.indicator_id = %(indicator)s AND s.area_id = ANY(%(areas)s) "
            "AND s.dims_key = %(dims)s"
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
        # Oldest period first within each series, as every reader of the cells expects.
        # Timestamps come back in UTC: govops' PostgreSQL sessions run in UTC (see
        # create_db_engine).
        rows.reverse()
        return rows

    def _assemble_in_database(
        self, areas: Sequence[Area], periods: PeriodRange
    ) -> dict[int, Cells]:
        """History before their version began of the areas formed from several others,
        summed (or averaged) by PostgreSQL from their predecessors' latest values.

        The same cells :meth:`_combine` makes from the predecessors' own, without sending
        them here: across the 2025 merger that is 52 provinces' values for every answer,
        and fetching and adding them up in Python cost half of the answer. Areas that are
        not simple (a predecessor with its own predecessors, a territory carried over
        whole, a weighted mean) are left to the general path.
        """
        rule = AreaRule(self.indicator.area_rule)
        if (
            self.session.get_bind().dialect.name != "postgresql"
            or self._formula is not None
            or rule not in (AreaRule.SUM, AreaRule.MEAN)
            or self.frequency.is_multi_year
        ):
            return {}
        edges = [edge for area in areas for edge in self._simple_edges(area, periods)]
        if not edges:
            return {}
        assembled: dict[int, Cells] = {edge.successor_id: {} for edge in edges}
        wanted = {edge.successor_id: 0 for edge in edges}
        for edge in edges:
            wanted[edge.successor_id] += 1
        for successor_id, start, total, found, worst, stamp in self._summed_rows(edges, rule):
            parts = wanted[successor_id]
            if found < parts:
                cell = missing(f"{parts - found} of {parts} areas have no value")
            else:
                value = total / parts if rule is AreaRule.MEAN else total
                status = STATUSES_BEST_FIRST[worst - 1]
                cell = new_record(Cell, (value, status, stamp, None, True))
            assembled[successor_id][start] = cell
        return assembled

    def _simple_edges(self, area: Area, periods: PeriodRange) -> list[_Edge]:
        """The lineage edges of ``area`` with the periods each predecessor contributes,
        or none when its history is not a plain sum of predecessors' stored values."""
        predecessors = self._predecessors(area.id)
        if area.valid_from is None or not predecessors:
            return []
        if len(predecessors) == 1 and predecessors[0][1].share is None:
            return []  # the same territory under a new version: carried over as it is
        if any(old.level == "nation" or self._predecessors(old.id) for old, _ in predecessors):
            return []
        last = _last_before(self.frequency, area.valid_from, periods.last)
        if last is None or (periods.first is not None and last < periods.first):
            return []
        edges = []
        for old, lineage in predecessors:
            # The periods of the old area's own life, as the general path reads them.
            first = periods.first.start if periods.first else None
            if old.valid_from is not None:
                begun = Period.containing(self.frequency, old.valid_from).start
                first = begun if first is None else max(first, begun)
            final = last.start
            if old.valid_to is not None:
                ended = _last_before(self.frequency, old.valid_to, None)
                final = min(final, ended.start) if ended else final
            edges.append(_Edge(area.id, old.id, lineage.share, first, final))
        return edges

    def _summed_rows(self, edges: list[_Edge], rule: AreaRule) -> Sequence[Any]:
        as_of = "AND o.recorded_at <= %(as_of)s " if self.as_of is not None else ""
        # A mean weighs areas equally, whatever part of them was carried over.
        scaled = (
            "k.value"
            if rule is AreaRule.MEAN
            else "CASE WHEN e.share IS NULL THEN k.value ELSE k.value * e.share END"
        )
        statement = (
            f"SELECT e.successor_id, k.period_start, sum({scaled}), count(k.value), "
            "max(array_position(%(statuses)s::varchar[], k.status)), max(k.recorded_at) "
            "FROM unnest(%(successors)s::int[], %(predecessors)s::int[], "
            "%(shares)s::numeric[], %(firsts)s::date[], %(lasts)s::date[]) "
            "AS e(successor_id, predecessor_id, share, first_start, last_start) "
            "JOIN series AS s ON s.area_id = e.predecessor_id "
            "AND s.indicator_id = %(indicator)s AND s.dims_key = %(dims)s "
            "CROSS JOIN LATERAL (SELECT DISTINCT ON (o.period_start) "
            "o.period_start, o.value, o.status, o.recorded_at FROM observation AS o "
            "WHERE o.series_id = s.id AND o.period_start <= e.last_start "
            # A bound the index can use, where "IS NULL OR" would filter every row read.
            "AND o.period_start >= COALESCE(e.first_start, '-infinity'::date) "
            f"{as_of}ORDER BY o.period_start DESC, o.recorded_at DESC) AS k "
            "GROUP BY e.successor_id, k.period_start "
            "ORDER BY e.successor_id, k.period_start"
        )
        parameters = {
            "statuses": list(STATUSES_BEST_FIRST),
            "successors": [edge.successor_id for edge in edges],
            "predecessors": [edge.predecessor_id for edge in edges],
            "shares": [edge.share for edge in edges],
            "firsts": [edge.first_start for edge in edges],
            "lasts": [edge.last_start for edge in edges],
            "indicator": self.indicator.id,
            "dims": self.dims_key,
            "as_of": self.as_of,
        }
        driver = self.session.connection().connection.driver_connection
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(statement, parameters)
            return cursor.fetchall()

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
        shares = [edge.share for _old, edge in predecessors]
        names = ", ".join(f"{old.code} {old.name_vi}" for old, _edge in predecessors)
        same_territory = len(predecessors) == 1 and shares[0] is None
        if area.id in self._assembled and periods == self._prefetched_range:
            assembled = self._assembled[area.id]
        else:
            parts = [self.read(old, before) for old, _edge in predecessors]
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
        if rule in (AreaRule.SUM, AreaRule.MEAN):
            return add_up_parts(
                [part.cells for part in parts], shares, starts, mean=rule is AreaRule.MEAN
            )
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


def add_up_parts(
    parts: Sequence[Cells], shares: Sequence[Decimal | None], starts: list[date], *, mean: bool
) -> Cells:
    """The sum (or mean) of several areas' cells for every period in ``starts``.

    The same result as :func:`aggregate_cells` period by period, made in one pass over
    each part's cells: the 52 predecessors of the 2025 provinces bring thousands of cells
    to every answer that crosses the merger, and this is a third of the cost.
    """
    totals: dict[date, Decimal] = {}
    counts: dict[date, int] = {}
    statuses: dict[date, set[str]] = {}
    stamps: dict[date, list[datetime | None]] = {}
    for cells, share in zip(parts, shares, strict=True):
        # A mean weighs areas equally, whatever part of them was carried over.
        scale = None if mean else share
        for start, (value, status, stamp, _note, _computed) in cells.items():
            if value is None:
                continue
            if scale is not None:
                value = value * scale
            if start in totals:
                totals[start] += value
                counts[start] += 1
                statuses[start].add(status)
                stamps[start].append(stamp)
            else:
                totals[start], counts[start] = value, 1
                statuses[start], stamps[start] = {status}, [stamp]
    wanted = len(parts)
    combined: Cells = {}
    for start in starts:
        found = counts.get(start, 0)
        if found < wanted:
            combined[start] = missing(f"{wanted - found} of {wanted} areas have no value")
            continue
        total = totals[start]
        status = worst_status(statuses[start])
        known = [stamp for stamp in stamps[start] if stamp is not None]
        combined[start] = Cell(
            total / wanted if mean else total,
            status,
            max(known, default=None),
            computed=True,
        )
    return combined


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
    period = _last_ending_before(frequency, day)
    if last is not None and last < period:
        return last
    return period


@functools.lru_cache(maxsize=1024)
def _last_ending_before(frequency: Frequency, day: date) -> Period:
    # Asked for every lineage edge of every answer; boundary dates are few.
    period = Period.containing(frequency, day)
    while period.end >= day:
        period = period.previous()
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
