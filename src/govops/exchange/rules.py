"""A flow's own checks on a delivery, after the catalogue's: ranges, sums, sudden jumps.

Ranges refuse a row. A province total that does not add up to the national value refuses
the national row, naming the sum it should have matched. A sudden jump from the latest
stored value is a warning: the row is stored, the receipt says why it looks odd.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from govops.catalog.areas import NATION_CODE
from govops.catalog.models import Area
from govops.core.errors import RowErrors
from govops.datastore.models import Observation, Series
from govops.datastore.rows import IncomingRow
from govops.datastore.validation import ValidRow
from govops.exchange.registry import FlowRules


@dataclass(frozen=True)
class Checked:
    row: IncomingRow
    valid: ValidRow


def check_ranges(rules: FlowRules, checked: Sequence[Checked], errors: RowErrors) -> list[Checked]:
    kept = []
    for item in checked:
        limits = rules.ranges.get(item.row.indicator)
        value = item.valid.value
        if limits is not None and value is not None:
            if limits.min is not None and value < Decimal(str(limits.min)):
                errors.add(
                    item.row.number, "value", f"is below the flow's minimum {limits.min}", value
                )
                continue
            if limits.max is not None and value > Decimal(str(limits.max)):
                errors.add(
                    item.row.number, "value", f"is above the flow's maximum {limits.max}", value
                )
                continue
        kept.append(item)
    return kept


def check_sums(
    session: Session, rules: FlowRules, checked: Sequence[Checked], errors: RowErrors
) -> list[Checked]:
    """Refuse national rows whose provinces in the same delivery do not add up to them."""
    if not rules.sum_to_national:
        return list(checked)
    provinces = _province_ids(session, {c.valid.area_id for c in checked})
    totals: dict[tuple[str, str, object], Decimal] = defaultdict(Decimal)
    counted: dict[tuple[str, str, object], int] = defaultdict(int)
    for item in checked:
        key = (item.row.indicator, item.valid.dims_key, item.valid.period_start)
        if item.row.indicator in rules.sum_to_national and item.valid.area_id in provinces:
            totals[key] += item.valid.value or Decimal(0)
            counted[key] += 1
    tolerance = Decimal(str(rules.sum_tolerance))
    refused: set[int] = set()
    for item in checked:
        key = (item.row.indicator, item.valid.dims_key, item.valid.period_start)
        national = item.valid.value
        if item.row.area != NATION_CODE or national is None or not counted.get(key):
            continue
        total = totals[key]
        if abs(total - national) > abs(national) * tolerance:
            errors.add(
                item.row.number,
                "value",
                f"the {counted[key]} provinces in this delivery add up to {total}, which "
                f"differs from the national value by more than {rules.sum_tolerance:.1%}",
                national,
            )
            refused.add(item.row.number)
    return [item for item in checked if item.row.number not in refused]


def _province_ids(session: Session, area_ids: set[int]) -> set[int]:
    if not area_ids:
        return set()
    return set(
        session.scalars(select(Area.id).where(Area.id.in_(area_ids), Area.level == "province"))
    )


def jump_warnings(
    session: Session, rules: FlowRules, checked: Sequence[Checked], warnings: RowErrors
) -> None:
    """Warn about values far from the latest stored value of the period before or the same
    period (a revision)."""
    if rules.jump_warning is None or not checked:
        return
    latest = _latest_values(session, checked)
    limit = Decimal(str(rules.jump_warning))
    for item in checked:
        value = item.valid.value
        before = latest.get((item.valid.indicator_id, item.valid.area_id, item.valid.dims_key))
        if value is None or before is None or before == 0:
            continue
        change = (value - before) / abs(before)
        if abs(change) > limit:
            warnings.add(
                item.row.number,
                "value",
                f"changes by {change:+.1%} from the latest stored value {before}; "
                f"stored, but check it (the flow warns beyond {rules.jump_warning:.0%})",
                value,
            )


def _latest_values(
    session: Session, checked: Sequence[Checked]
) -> dict[tuple[int, int, str], Decimal]:
    keys = {(c.valid.indicator_id, c.valid.area_id, c.valid.dims_key) for c in checked}
    rows = session.execute(
        _LATEST_VALUES,
        {
            "indicator_ids": sorted({key[0] for key in keys}),
            "area_ids": sorted({key[1] for key in keys}),
        },
    )
    found: dict[tuple[int, int, str], Decimal] = {}
    for row in rows:
        key = (row.indicator_id, row.area_id, row.dims_key)
        if key in keys and row.value is not None:
            found[key] = row.value  # ordered by recorded_at: the last vintage wins
    return found


def _latest_values_statement() -> Select[int, int, str, Decimal | None, datetime]:
    newest = (
        select(Observation.series_id, func.max(Observation.period_start).label("period_start"))
        .join(Series, Series.id == Observation.series_id)
        .where(
            Series.indicator_id.in_(bindparam("indicator_ids", expanding=True)),
            Series.area_id.in_(bindparam("area_ids", expanding=True)),
        )
        .group_by(Observation.series_id)
        .subquery()
    )
    return (
        select(
            Series.indicator_id,
            Series.area_id,
            Series.dims_key,
            Observation.value,
            Observation.recorded_at,
        )
        .join(Observation, Observation.series_id == Series.id)
        .join(
            newest,
            (newest.c.series_id == Observation.series_id)
            & (newest.c.period_start == Observation.period_start),
        )
        .order_by(Observation.recorded_at)
    )


# Built once: each delivery asks it, and building it costs more than running it.
_LATEST_VALUES = _latest_values_statement()
