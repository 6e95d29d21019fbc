"""Checking incoming rows against the catalogue, the areas and the periods.

The validator keeps small caches (indicators, area versions, parsed periods) so a file of
millions of rows is checked at the speed of dictionary look-ups, in constant memory.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from govops.catalog.areas import area_at
from govops.catalog.models import (
    Area,
    Dimension,
    DimensionValue,
    Indicator,
    indicator_dimension,
)
from govops.core.errors import NotFound, RowErrors
from govops.core.periods import Frequency, InvalidPeriodError, Period
from govops.datastore.rows import IncomingRow

STATUS_CODES = {
    "A": "normal",
    "P": "provisional",
    "E": "estimated",
    "F": "forecast",
    "M": "missing",
}
_STATUS_WORDS = {word: code for code, word in STATUS_CODES.items()}
# Area look-ups by (code, period end) kept at once; a file's memory stays bounded.
AREA_CACHE_LIMIT = 50_000
AREA_CODES_ASKED_ONE_BY_ONE = 64
AreaVersion = tuple[int, date | None, date | None]
# More digits than this is a typing accident, not a measurement.
MAX_VALUE_DIGITS = 24


@dataclass(frozen=True, slots=True)
class IndicatorRules:
    id: int
    code: str
    frequency: Frequency
    dimension_values: dict[str, frozenset[str]]
    derived: bool


@dataclass(frozen=True, slots=True)
class ValidRow:
    number: int
    indicator_id: int
    area_id: int
    dims_key: str
    period_start: date
    value: Decimal | None
    status: str
    recorded_at: datetime | None


class RowValidator:
    def __init__(self, session: Session, *, allow_recorded_at: bool = False) -> None:
        self.session = session
        self.allow_recorded_at = allow_recorded_at
        self._indicators: dict[str, IndicatorRules | None] = {}
        self._periods: dict[tuple[str, Frequency], Period | str] = {}
        self._areas: dict[tuple[str, date], int | str] = {}
        # Area versions as (id, valid from, valid to) by code. A small write asks for its
        # few codes; a file of commune rows meets thousands, and past a few dozen, reading
        # the whole table at once (a few thousand rows) costs less than a query per code.
        self._versions: dict[str, list[AreaVersion]] = {}
        self._all_versions_read = False
        # Accepted periods with their last day, so known rows skip computing it again.
        self._period_ends: dict[tuple[str, Frequency], tuple[Period, date]] = {}

    def check(self, row: IncomingRow, errors: RowErrors) -> ValidRow | None:
        """The row made ready to store, or None after adding its errors to ``errors``."""
        before = errors.total
        rules = self._indicator(row, errors)
        period = self._period(row, rules, errors) if rules else None
        area_id = self._area(row, period, errors) if period else None
        value, status = self._value_and_status(row, errors)
        dims_key = self._dims_key(row, rules, errors) if rules else ""
        recorded_at = self._recorded_at(row, errors)
        if errors.total > before or rules is None or period is None or area_id is None:
            return None
        return ValidRow(
            row.number, rules.id, area_id, dims_key, period.start, value, status, recorded_at
        )

    def preload(self, indicators: Collection[str], areas: Collection[str]) -> None:
        """Read what rows of these indicator and area codes need, in two queries.

        A small write meets a handful of codes; asked for together they cost two round
        trips instead of two or three per code.
        """
        codes = [code for code in set(indicators) if code not in self._indicators]
        if codes:
            found = _indicator_rules(self.session, codes)
            for code in codes:
                self._indicators[code] = found.get(code)
        missing = {code for code in areas if code not in self._versions}
        if missing and not self._all_versions_read:
            if len(self._versions) + len(missing) > AREA_CODES_ASKED_ONE_BY_ONE:
                self._versions = _area_versions(self.session)
                self._all_versions_read = True
            else:
                versions = _area_versions(self.session, missing)
                for code in missing:
                    self._versions[code] = versions.get(code, [])

    def known_key(self, indicator: str, area: str, period: str) -> tuple[int, int, Period] | None:
        """Indicator id, area id and period from earlier rows' checks alone.

        For a row whose codes were all seen and accepted before, on an indicator without
        other dimensions; None when the row needs the full check.
        """
        rules = self._indicators.get(indicator)
        if rules is None or rules.derived or rules.dimension_values:
            return None
        known_period = self._period_ends.get((period, rules.frequency))
        if known_period is None:
            return None
        parsed, end = known_period
        area_id = self._areas.get((area, end))
        if not isinstance(area_id, int):
            return None
        return rules.id, area_id, parsed

    def _indicator(self, row: IncomingRow, errors: RowErrors) -> IndicatorRules | None:
        if row.indicator not in self._indicators:
            self._indicators[row.indicator] = self._load_indicator(row.indicator)
        rules = self._indicators[row.indicator]
        if rules is None:
            errors.add(row.number, "indicator", "not in the catalogue", row.indicator)
        elif rules.derived:
            errors.add(
                row.number,
                "indicator",
                "is derived by a formula and computed on read; send its inputs",
                row.indicator,
            )
            return None
        return rules

    def _load_indicator(self, code: str) -> IndicatorRules | None:
        return _indicator_rules(self.session, [code]).get(code)

    def _period(self, row: IncomingRow, rules: IndicatorRules, errors: RowErrors) -> Period | None:
        key = (row.period, rules.frequency)
        if key not in self._periods:
            try:
                parsed_now = Period.parse_for(row.period, rules.frequency)
                self._periods[key] = parsed_now
                self._period_ends[key] = (parsed_now, parsed_now.end)
            except InvalidPeriodError as error:
                self._periods[key] = str(error)
        parsed = self._periods[key]
        if isinstance(parsed, str):
            errors.add(
                row.number,
                "period",
                f"{parsed} (indicator {rules.code} is {rules.frequency.label_en.lower()})",
                row.period,
            )
            return None
        return parsed

    def _area(self, row: IncomingRow, period: Period, errors: RowErrors) -> int | None:
        # An area code names the version valid at the end of the period: a 2025 annual
        # value is reported by the provinces that exist at the end of 2025.
        key = (row.area, period.end)
        if key not in self._areas:
            if len(self._areas) >= AREA_CACHE_LIMIT:
                # Communes times months would grow without end; entries are rebuilt from
                # the area versions already read, without a query.
                self._areas.clear()
            self._areas[key] = self._area_on(row.area, period.end)
        found = self._areas[key]
        if isinstance(found, str):
            errors.add(row.number, "area", found, row.area)
            return None
        return found

    def _area_on(self, code: str, day: date) -> int | str:
        """The id of the version of ``code`` valid on ``day``, or why there is none."""
        if code not in self._versions and not self._all_versions_read:
            if len(self._versions) < AREA_CODES_ASKED_ONE_BY_ONE:
                self._versions[code] = _area_versions(self.session, [code]).get(code, [])
            else:
                self._versions = _area_versions(self.session)
                self._all_versions_read = True
        for area_id, valid_from, valid_to in self._versions.get(code, ()):
            if (valid_from is None or valid_from <= day) and (valid_to is None or day < valid_to):
                return area_id
        try:
            return area_at(self.session, code, day).id
        except NotFound as error:
            return error.detail

    def _value_and_status(self, row: IncomingRow, errors: RowErrors) -> tuple[Decimal | None, str]:
        status = _status_code(row.status)
        if status is None:
            errors.add(
                row.number,
                "status",
                "must be one of A (normal), P (provisional), "
                "E (estimated), F (forecast), M (missing)",
                row.status,
            )
            status = "A"
        if row.value is None:
            if status != "M":
                errors.add(
                    row.number,
                    "value",
                    "is empty; send a number, or status M (missing) with no value",
                )
            return None, status
        value = parse_value(row.value)
        if isinstance(value, str):
            errors.add(row.number, "value", value, row.value)
            return None, status
        return value, status

    def _dims_key(self, row: IncomingRow, rules: IndicatorRules, errors: RowErrors) -> str:
        given = {name: code for name, code in row.dims.items() if code}
        for name in given.keys() - rules.dimension_values.keys():
            errors.add(
                row.number, name, f"indicator {rules.code} has no dimension {name}", given[name]
            )
        parts = []
        for name, allowed in rules.dimension_values.items():
            code = given.get(name)
            if code is None:
                errors.add(
                    row.number,
                    name,
                    f"is required for indicator {rules.code}; one of {', '.join(sorted(allowed))}",
                )
            elif code not in allowed:
                errors.add(
                    row.number, name, f"'{code}' is not one of {', '.join(sorted(allowed))}", code
                )
            else:
                parts.append(f"{name}={code}")
        return ";".join(parts)

    def _recorded_at(self, row: IncomingRow, errors: RowErrors) -> datetime | None:
        if row.recorded_at is None:
            return None
        if not self.allow_recorded_at:
            errors.add(
                row.number,
                "recorded_at",
                "is set by the server when it stores the "
                "row; backfilling past vintages is done with `govops data load`",
            )
            return None
        try:
            stamp = datetime.fromisoformat(row.recorded_at)
        except ValueError:
            stamp = None
        if stamp is None or stamp.tzinfo is None:
            errors.add(
                row.number,
                "recorded_at",
                "must be an ISO 8601 timestamp with a zone, e.g. 2025-04-06T09:00:00+07:00",
                row.recorded_at,
            )
            return None
        return stamp


def _status_code(text: str | None) -> str | None:
    if text is None or text == "":
        return "A"
    text = text.strip()
    if text.upper() in STATUS_CODES:
        return text.upper()
    return _STATUS_WORDS.get(text.lower())


def parse_value(text: str) -> Decimal | str:
    """A Decimal, or the reason the text is not a number we accept."""
    text = text.strip()
    if "_" in text:
        return "uses '_' — write numbers without separators (1234.5)"
    if "," in text:
        return (
            "uses ',' — write numbers with '.' as the decimal sign and no thousands "
            "separators (1234.5)"
        )
    try:
        value = Decimal(text)
    except InvalidOperation:
        return "is not a number"
    if not value.is_finite():
        return "must be a finite number"
    if len(value.as_tuple().digits) > MAX_VALUE_DIGITS:
        return f"has more than {MAX_VALUE_DIGITS} digits"
    return value


def _indicator_rules(session: Session, codes: Collection[str]) -> dict[str, IndicatorRules]:
    """The rules of the indicators of ``codes`` that exist, read with their dimensions in
    one query (columns only: a row check needs none of the rest)."""
    rows = session.execute(_INDICATOR_RULES, {"codes": list(codes)}).all()
    heads: dict[str, tuple[int, str, str | None]] = {}
    values: dict[str, dict[str, set[str]]] = {}
    for indicator_id, code, frequency, formula, dimension, value in rows:
        heads[code] = (indicator_id, frequency, formula)
        dimensions = values.setdefault(code, {})
        if dimension is not None:
            # In the indicator's order of dimensions: the order of the series' key.
            dimensions.setdefault(dimension, set())
            if value is not None:
                dimensions[dimension].add(value)
    return {
        code: IndicatorRules(
            id=indicator_id,
            code=code,
            frequency=Frequency(frequency),
            dimension_values={name: frozenset(v) for name, v in values[code].items()},
            derived=bool(formula),
        )
        for code, (indicator_id, frequency, formula) in heads.items()
    }


# Built once, with the codes as a parameter: a small write asks them, and building them
# costs more than running them.
_INDICATOR_RULES = (
    select(
        Indicator.id,
        Indicator.code,
        Indicator.frequency,
        Indicator.formula,
        Dimension.code,
        DimensionValue.code,
    )
    .outerjoin(indicator_dimension, indicator_dimension.c.indicator_id == Indicator.id)
    .outerjoin(Dimension, Dimension.id == indicator_dimension.c.dimension_id)
    .outerjoin(DimensionValue, DimensionValue.dimension_id == Dimension.id)
    .where(Indicator.code.in_(bindparam("codes", expanding=True)))
    .order_by(Indicator.id, indicator_dimension.c.position)
)
_ALL_AREA_VERSIONS = select(Area.code, Area.id, Area.valid_from, Area.valid_to).order_by(
    Area.code, Area.level
)
_AREA_VERSIONS = _ALL_AREA_VERSIONS.where(Area.code.in_(bindparam("codes", expanding=True)))


def _area_versions(
    session: Session, codes: Collection[str] | None = None
) -> dict[str, list[AreaVersion]]:
    rows = (
        session.execute(_ALL_AREA_VERSIONS)
        if codes is None
        else session.execute(_AREA_VERSIONS, {"codes": list(codes)})
    )
    versions: dict[str, list[AreaVersion]] = {}
    for found, area_id, valid_from, valid_to in rows:
        versions.setdefault(found, []).append((area_id, valid_from, valid_to))
    return versions
